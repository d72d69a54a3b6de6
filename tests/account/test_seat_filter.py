"""Globex's seat page (250 users): a filter by name or email (a GET form, no JavaScript) that
combines with the pages of 25 users, the most recently added first (issues 12 item 7, 14 item 4)."""
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from helpcenter.account.views import PER_PAGE


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def names(response):
    return [tr.th.get_text(strip=True) for tr in soup(response).select("table.seat-users tbody tr")]


@pytest.fixture
def seats_url(client, ids, sign_in_as):
    sign_in_as("billing@globex.example")
    sub_id = ids.subscription_id("billing@globex.example")
    return lambda lang="en": f"/{lang}/account/seats/{sub_id}"


@pytest.mark.parametrize("lang, label, button", [("en", "Filter by name or email", "Filter"),
                                                 ("fr", "Filtrer par nom ou adresse e-mail", "Filtrer")])
def test_the_filter_is_a_get_form_with_a_label(client, seats_url, lang, label, button):
    page = soup(client.get(seats_url(lang)))
    form = page.select_one("form.user-filter")
    assert form["method"] == "get"
    assert page.select_one('label[for="q"]').get_text(strip=True) == label
    assert form.select_one("input#q")["name"] == "q"
    assert form.button.get_text(strip=True) == button


def test_250_users_are_shown_25_at_a_time_newest_first(client, seats_url):
    first = client.get(seats_url())
    assert names(first) == [f"Organizer {n:03d}" for n in range(250, 250 - PER_PAGE, -1)]
    last = client.get(seats_url() + "?page=10")
    assert names(last) == [f"Organizer {n:03d}" for n in range(25, 0, -1)]
    assert "Users 226 to 250 of 250" in soup(last).select_one(".user-count").get_text(" ", strip=True)
    assert names(client.get(seats_url() + "?page=99")) == names(last)  # past the end: the last page
    assert names(client.get(seats_url() + "?page=abc")) == names(first)


@pytest.mark.parametrize("query, expected", [
    ("Organizer 123", ["Organizer 123"]),
    ("ORGANIZER017@GLOBEX", ["Organizer 017"]),           # by email, any case
    ("organizer24", [f"Organizer {n}" for n in range(249, 239, -1)]),
])
def test_the_filter_matches_a_name_or_an_email(client, seats_url, query, expected):
    page = client.get(seats_url(), query_string={"q": query})
    assert names(page) == expected
    assert soup(page).select_one("input#q")["value"] == query


def test_the_filter_combines_with_the_pages(client, seats_url):
    # "Organizer 2" matches Organizer 200 to 250: 51 users, three pages of 25, newest first.
    page = client.get(seats_url(), query_string={"q": "Organizer 2"})
    assert names(page) == [f"Organizer {n}" for n in range(250, 225, -1)]
    links = [a["href"] for a in soup(page).select("nav.pager a[rel=next]")]
    assert len(links) == 1
    target = urlsplit(links[0])
    assert target.path == seats_url() and target.fragment == "users"
    assert parse_qs(target.query) == {"q": ["Organizer 2"], "page": ["2"]}
    second = client.get(f"{target.path}?{target.query}")
    assert names(second) == [f"Organizer {n}" for n in range(225, 200, -1)]
    assert "Users 26 to 50 of 51" in soup(second).select_one(".user-count").get_text(" ", strip=True)
    third = client.get(f"{target.path}?{target.query.replace('page=2', 'page=3')}")
    assert names(third) == ["Organizer 200"]


@pytest.mark.parametrize("lang, message", [("en", "No user matches “zzz”."),
                                           ("fr", "Aucun utilisateur ne correspond à « zzz »."),])
def test_no_match_says_so_and_offers_the_whole_list(client, seats_url, lang, message):
    page = client.get(seats_url(lang), query_string={"q": "zzz"})
    assert names(page) == []
    text = " ".join(soup(page).get_text(" ").split()).replace("\u202f", " ").replace("\xa0", " ")
    assert message in text


def test_unassigning_from_a_filtered_page_comes_back_to_it(client, seats_url, forms, ids):
    user = next(u for u in ids.users("billing@globex.example") if u.name == "Organizer 123")
    response = forms.post(seats_url() + "?q=Organizer+12", {"unassign": str(user.id), "q": "Organizer 12"},
                          action=seats_url())
    assert response.status_code == 303
    assert response.location == seats_url() + "?q=Organizer+12"
