"""Assigning seats to the account's users: happy paths, refusals, and other accounts' ids."""
import pytest

from helpcenter.billing import service
from helpcenter.billing.errors import SeatAssignmentRefused
from helpcenter.messages import billing_error_message, user_error_messages

LANGS = ["en", "fr"]
DUPONT = "billing@dupont.example"
NORTHWIND = "billing@northwind.example"


def seat_users(db_session, ids, email):
    db_session.expire_all()
    return service.list_seat_users(db_session, contact_id=ids.contact(email).id,
                                   subscription_id=ids.subscription_id(email))


def first(users, assigned):
    return next(user for user in users if user.assigned is assigned)


@pytest.mark.parametrize("lang", LANGS)
def test_the_seat_page_lists_users_and_counts(client, ids, db_session, sign_in_as, lang, translate, soup_of):
    sign_in_as(DUPONT, lang)
    sub_id = ids.subscription_id(DUPONT)
    response = client.get(f"/{lang}/account/seats/{sub_id}")
    assert response.status_code == 200
    soup = soup_of(response)
    counts = [dd.get_text(strip=True) for dd in soup.select(".seat-counts dd")]
    assert counts == [translate(lang, "Agents"), "5", "3", "2"]
    users = sorted(seat_users(db_session, ids, DUPONT), key=lambda u: u.id, reverse=True)  # newest first
    rows = soup.select(".seat-users tbody tr")
    assert len(rows) == len(users)
    for user, row in zip(users, rows):
        assert row.th.get_text(strip=True) == user.name
        button = row.select_one("button[type=submit]")
        assert button["name"] == ("unassign" if user.assigned else "assign")
        assert button["value"] == str(user.id)
        assert row.select_one("input[name=csrf_token]")["value"]
        assert user.name in button.get_text()  # each button names its user for screen readers
    article = soup.find("a", string=lambda s: s and translate(lang, "Read the article “Manage users' product seats”") in s)
    assert article is not None
    assert article["href"] == f"/{lang}/articles/2" or article["href"].startswith(f"/{lang}/articles/2-")
    assert soup.select_one("input[name=name]") and soup.select_one("input[name=email]")


@pytest.mark.parametrize("lang", LANGS)
def test_assign_a_seat(client, ids, db_session, sign_in_as, forms, lang, translate, text_of):
    sign_in_as(DUPONT, lang)
    sub_id = ids.subscription_id(DUPONT)
    user = first(seat_users(db_session, ids, DUPONT), assigned=False)
    response = forms.post(f"/{lang}/account/seats/{sub_id}", {"assign": str(user.id)})
    assert response.status_code == 303 and response.location == f"/{lang}/account/seats/{sub_id}"
    assert next(u for u in seat_users(db_session, ids, DUPONT) if u.id == user.id).assigned
    page = client.get(response.location)
    assert translate(lang, "%(name)s now has a seat on %(product)s.", name=user.name,
                     product="GoToAssist Remote Support v5") in text_of(page)
    assert service.get_subscription(db_session, ids.account_id(DUPONT), sub_id).assigned == 4


@pytest.mark.parametrize("lang", LANGS)
def test_unassign_a_seat(client, ids, db_session, sign_in_as, forms, lang, translate, text_of):
    sign_in_as(DUPONT, lang)
    sub_id = ids.subscription_id(DUPONT)
    user = first(seat_users(db_session, ids, DUPONT), assigned=True)
    response = forms.post(f"/{lang}/account/seats/{sub_id}", {"unassign": str(user.id)})
    assert response.status_code == 303
    assert not next(u for u in seat_users(db_session, ids, DUPONT) if u.id == user.id).assigned
    assert translate(lang, "%(name)s no longer has a seat on %(product)s: the seat is free to assign to someone else.",
                     name=user.name, product="GoToAssist Remote Support v5") in text_of(client.get(response.location))


def test_an_admin_may_assign_seats(client, ids, db_session, sign_in_as, forms):
    sign_in_as("admin@dupont.example")
    sub_id = ids.subscription_id(DUPONT)
    user = first(seat_users(db_session, ids, DUPONT), assigned=False)
    assert forms.post(f"/en/account/seats/{sub_id}", {"assign": str(user.id)}).status_code == 303
    assert next(u for u in seat_users(db_session, ids, DUPONT) if u.id == user.id).assigned


@pytest.mark.parametrize("lang", LANGS)
def test_no_free_seat_is_refused_and_nothing_changes(client, ids, db_session, sign_in_as, forms, snapshot, lang,
                                                      in_locale, translate, text_of):
    contact = ids.contact(DUPONT)
    sub_id = ids.subscription_id(DUPONT)
    for n in range(3):  # enough users without a seat to fill the subscription and one more
        service.add_user(db_session, contact_id=contact.id, name=f"Extra {n}", email=f"extra{n}@dupont.example")
    for user in [u for u in seat_users(db_session, ids, DUPONT) if not u.assigned][:2]:
        service.assign_seat(db_session, contact_id=contact.id, subscription_id=sub_id, user_id=user.id)
    waiting = first(seat_users(db_session, ids, DUPONT), assigned=False)
    sign_in_as(DUPONT, lang)
    before = snapshot()
    page = client.get(f"/{lang}/account/seats/{sub_id}")
    assert translate(lang, "All seats are assigned. To give a seat to another user, unassign a seat first "
                           "or add seats to the subscription.") in text_of(page)
    response = forms.post(f"/{lang}/account/seats/{sub_id}", {"assign": str(waiting.id)})
    assert response.status_code == 303
    assert snapshot() == before
    message = in_locale(lang, billing_error_message, SeatAssignmentRefused("no_free_seat"))
    assert message in text_of(client.get(response.location))


@pytest.mark.parametrize("action, assigned, code", [
    ("assign", True, "already_assigned"),
    ("unassign", False, "not_assigned"),
])
def test_pointless_assignments_are_refused(client, ids, db_session, sign_in_as, forms, snapshot, in_locale,
                                           text_of, action, assigned, code):
    sign_in_as(DUPONT, "fr")
    sub_id = ids.subscription_id(DUPONT)
    user = first(seat_users(db_session, ids, DUPONT), assigned=assigned)
    before = snapshot()
    response = forms.post(f"/fr/account/seats/{sub_id}", {action: str(user.id)})
    assert response.status_code == 303
    assert snapshot() == before
    assert in_locale("fr", billing_error_message, SeatAssignmentRefused(code)) in text_of(client.get(response.location))


@pytest.mark.parametrize("data", [
    {"assign": "abc"}, {"assign": ""}, {"assign": "1", "unassign": "1"}, {"assign": "-1"}, {"assign": "１"},
    {"something": "else"},
])
def test_malformed_posts_are_bad_requests(ids, sign_in_as, forms, snapshot, data):
    sign_in_as(DUPONT)
    sub_id = ids.subscription_id(DUPONT)
    before = snapshot()
    assert forms.post(f"/en/account/seats/{sub_id}", data).status_code == 400
    assert snapshot() == before


def test_assignments_need_the_csrf_token(client, ids, db_session, sign_in_as, snapshot):
    sign_in_as(DUPONT)
    sub_id = ids.subscription_id(DUPONT)
    user = first(seat_users(db_session, ids, DUPONT), assigned=False)
    before = snapshot()
    assert client.post(f"/en/account/seats/{sub_id}", data={"assign": str(user.id)}).status_code == 400
    assert client.post(f"/en/account/seats/{sub_id}", data={"name": "A", "email": "a@b.example",
                                                            "add_user": "1"}).status_code == 400
    assert snapshot() == before


# --- adding a user ----------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_add_a_user(client, ids, db_session, sign_in_as, forms, lang, translate, text_of):
    sign_in_as(DUPONT, lang)
    sub_id = ids.subscription_id(DUPONT)
    response = forms.post(f"/{lang}/account/seats/{sub_id}",
                          {"name": "Claire Martin", "email": "claire.martin@dupont.example", "add_user": "1"})
    assert response.status_code == 303 and response.location == f"/{lang}/account/seats/{sub_id}"
    user = next(u for u in seat_users(db_session, ids, DUPONT) if u.email == "claire.martin@dupont.example")
    assert user.name == "Claire Martin" and not user.assigned
    assert translate(lang, "%(name)s was added to the account. You can now assign them a seat.",
                     name="Claire Martin") in text_of(client.get(response.location))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name, email, errors", [
    ("", "new.person@dupont.example", {"name": "required"}),
    ("N" * 101, "new.person@dupont.example", {"name": "too_long"}),
    ("New Person", "not-an-email", {"email": "invalid"}),
    ("", "", {"name": "required", "email": "invalid"}),
])
def test_add_user_errors_are_shown_beside_fields(ids, sign_in_as, forms, snapshot, lang, name, email, errors,
                                                 in_locale, translate, soup_of):
    sign_in_as(DUPONT, lang)
    sub_id = ids.subscription_id(DUPONT)
    before = snapshot()
    response = forms.post(f"/{lang}/account/seats/{sub_id}", {"name": name, "email": email, "add_user": "1"})
    assert response.status_code == 400
    assert snapshot() == before
    soup = soup_of(response)
    assert soup.title.get_text().startswith(translate(lang, "Error:") + " ")
    messages = in_locale(lang, user_error_messages, errors)
    summary = {a["href"]: a.get_text(strip=True) for a in soup.select(".error-summary a")}
    for field, message in messages.items():
        assert summary[f"#user-{field}"] == message
        assert message in soup.select_one(f"#user-{field}-error").get_text()
        assert soup.select_one(f"#user-{field}")["aria-invalid"] == "true"
    assert len(summary) == len(messages)
    # Nothing typed is cleared.
    assert soup.select_one("#user-name").get("value", "") == name
    assert soup.select_one("#user-email").get("value", "") == email


def test_an_email_already_on_the_account_is_refused(ids, db_session, sign_in_as, forms, snapshot, in_locale,
                                                    soup_of):
    existing = seat_users(db_session, ids, DUPONT)[0]
    sign_in_as(DUPONT, "fr")
    sub_id = ids.subscription_id(DUPONT)
    before = snapshot()
    response = forms.post(f"/fr/account/seats/{sub_id}",
                          {"name": "Someone Else", "email": existing.email.upper(), "add_user": "1"})
    assert response.status_code == 400
    assert snapshot() == before
    message = in_locale("fr", user_error_messages, {"email": "taken"})["email"]
    assert soup_of(response).select_one("#user-email-error").get_text(" ", strip=True).endswith(message)


# --- other accounts' ids, and GET changing nothing ------------------------------

def test_another_accounts_subscription_is_404_for_every_method(client, ids, db_session, sign_in_as, forms,
                                                                snapshot):
    sign_in_as(DUPONT)
    own = ids.subscription_id(DUPONT)
    theirs = ids.subscription_id(NORTHWIND)
    own_user = first(seat_users(db_session, ids, DUPONT), assigned=False)
    their_user = first(seat_users(db_session, ids, NORTHWIND), assigned=False)
    their_assigned = first(seat_users(db_session, ids, NORTHWIND), assigned=True)
    token = forms.token(f"/en/account/seats/{own}")
    before = snapshot()
    assert client.get(f"/en/account/seats/{theirs}").status_code == 404
    for data in ({"assign": str(own_user.id)}, {"assign": str(their_user.id)},
                 {"unassign": str(their_assigned.id)},
                 {"name": "Intruder", "email": "intruder@dupont.example", "add_user": "1"}):
        assert client.post(f"/en/account/seats/{theirs}", data={**data, "csrf_token": token}).status_code == 404
    # Their users through our own subscription: the same answer.
    assert client.post(f"/en/account/seats/{own}",
                       data={"assign": str(their_user.id), "csrf_token": token}).status_code == 404
    assert client.post(f"/en/account/seats/{own}",
                       data={"unassign": str(their_assigned.id), "csrf_token": token}).status_code == 404
    # A missing id answers exactly like an existing one of another account.
    missing = client.get("/en/account/seats/999999")
    other = client.get(f"/en/account/seats/{theirs}")
    assert missing.status_code == other.status_code == 404
    # The same page but for the id in its own links (the language switcher).
    assert missing.get_data(as_text=True).replace("999999", "ID") == \
        other.get_data(as_text=True).replace(f"/seats/{theirs}", "/seats/ID")
    assert snapshot() == before


def test_the_seat_page_needs_a_signed_in_contact(client, ids, snapshot):
    sub_id = ids.subscription_id(DUPONT)
    response = client.get(f"/en/account/seats/{sub_id}")
    assert response.status_code == 302
    assert response.location == f"/en/sign-in?next=/en/account/seats/{sub_id}"


@pytest.mark.parametrize("email", [DUPONT, "admin@dupont.example", NORTHWIND, "billing@globex.example"])
def test_get_changes_nothing(client, ids, sign_in_as, snapshot, email):
    sign_in_as(email)
    before = snapshot()
    sub_id = ids.subscription_id(email)
    for url in ("/en/account/", f"/en/account/seats/{sub_id}", "/fr/account/", f"/fr/account/seats/{sub_id}",
                f"/en/account/seats/{sub_id}?assign=1&unassign=1&name=x&email=y@z.example&add_user=1",
                "/en/sign-in", "/en/sign-out"):
        assert client.get(url).status_code == (405 if url == "/en/sign-out" else 200), url
    assert snapshot() == before
