"""The order history and the users list come 25 per page, newest first: a long history never
loads in full (the rows loaded do not grow with it)."""
import pytest
from sqlalchemy import event

from helpcenter.billing import models, service
from helpcenter.db import Base

DUPONT = "billing@dupont.example"
PER_PAGE = 25
PAGER_TEXT = {"en": ("Page 2 of 3", "Newer", "Older"), "fr": ("Page 2 sur 3", "Plus récents", "Plus anciens")}


def add_orders(app, db_session, ids, n):
    contact = ids.contact(DUPONT)
    sub_id = ids.subscription_id(DUPONT)
    clock = app.extensions["clock"]
    for i in range(n):
        target = 7 if i % 2 == 0 else 6
        quote = service.quote_seat_change(db_session, clock, contact_id=contact.id, subscription_id=sub_id,
                                          new_seats=target)
        service.place_order(db_session, clock, contact_id=contact.id, quote_id=quote.id, locale="fr",
                            assign_seats_url="http://localhost/fr/account/")
    db_session.commit()


def add_users(db_session, ids, n, start=0):
    contact = ids.contact(DUPONT)
    for i in range(start, start + n):
        service.add_user(db_session, contact_id=contact.id, name=f"Page User {i:02d}", email=f"page.user{i}@dupont.example")
    db_session.commit()


class RowsLoaded:
    def __init__(self):
        self.count = 0

    def __enter__(self):
        event.listen(Base, "load", self._on_load, propagate=True)
        return self

    def _on_load(self, *_):
        self.count += 1

    def __exit__(self, *exc):
        event.remove(Base, "load", self._on_load)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_order_history_pages_newest_first(app, client, ids, db_session, sign_in_as, soup_of, lang):
    add_orders(app, db_session, ids, 2 * PER_PAGE + 3)
    numbers = [o.number for o in service.list_orders(db_session, ids.account_id(DUPONT))]  # newest first
    sign_in_as(DUPONT, lang)
    first = soup_of(client.get(f"/{lang}/account/"))
    shown = [s["id"].removeprefix("order-") for s in first.select("section.order")]
    assert shown == numbers[:PER_PAGE]
    assert first.select_one("nav.pager a[rel=next]")["href"] == f"/{lang}/account/?page=2#orders"
    assert first.select_one("nav.pager a[rel=prev]") is None
    second = soup_of(client.get(f"/{lang}/account/?page=2"))
    assert [s["id"].removeprefix("order-") for s in second.select("section.order")] == numbers[PER_PAGE:2 * PER_PAGE]
    page_of, newer, older = PAGER_TEXT[lang]
    pager = second.select_one("nav.pager")
    assert page_of in pager.get_text() and pager.select_one("a[rel=prev]").get_text() == newer
    assert pager.select_one("a[rel=next]").get_text() == older
    last = soup_of(client.get(f"/{lang}/account/?page=3"))
    assert [s["id"].removeprefix("order-") for s in last.select("section.order")] == numbers[2 * PER_PAGE:]
    # A page that does not exist, or is not a number, shows the nearest one that does.
    assert len(soup_of(client.get(f"/{lang}/account/?page=99")).select("section.order")) == 3
    assert len(soup_of(client.get(f"/{lang}/account/?page=x")).select("section.order")) == PER_PAGE


def test_account_pages_load_a_bounded_number_of_rows(app, client, ids, db_session, sign_in_as):
    sub_id = ids.subscription_id(DUPONT)
    sign_in_as(DUPONT)
    add_orders(app, db_session, ids, PER_PAGE + 1)
    add_users(db_session, ids, PER_PAGE + 1)
    loads = []
    for extra in (0, 40):
        add_orders(app, db_session, ids, extra)
        add_users(db_session, ids, extra, start=100)
        with RowsLoaded() as overview:
            assert client.get("/en/account/").status_code == 200
        with RowsLoaded() as seats:
            assert client.get(f"/en/account/seats/{sub_id}").status_code == 200
        loads.append((overview.count, seats.count))
    assert loads[0] == loads[1], loads


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_users_list_pages_newest_first(client, ids, db_session, sign_in_as, soup_of, lang):
    add_users(db_session, ids, PER_PAGE + 2)
    sub_id = ids.subscription_id(DUPONT)
    newest = sorted((u.id for u in ids.users(DUPONT)), reverse=True)
    sign_in_as(DUPONT, lang)
    first = soup_of(client.get(f"/{lang}/account/seats/{sub_id}"))
    assert [int(tr["id"].removeprefix("user-")) for tr in first.select(".seat-users tbody tr")] == newest[:PER_PAGE]
    assert first.select_one(".seat-users tbody th").get_text(strip=True) == f"Page User {PER_PAGE + 1:02d}"
    href = first.select_one("nav.pager a[rel=next]")["href"]
    assert href == f"/{lang}/account/seats/{sub_id}?page=2#users"
    second = soup_of(client.get(href.split("#")[0]))
    assert [int(tr["id"].removeprefix("user-")) for tr in second.select(".seat-users tbody tr")] == newest[PER_PAGE:]
