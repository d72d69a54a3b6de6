"""The "Notify the user by email" checkbox of the seat page: there, checked and labelled; an
unchecked box (the form's marker present) queues no email; a checked box queues one; an older
form without the marker still notifies; with a mail server the email goes out at once."""
import pytest
from sqlalchemy import select

from helpcenter.billing import models
from helpcenter.billing import service
from helpcenter.billing.outbox import SEAT_ASSIGNED

LANGS = ["en", "fr"]
DUPONT = "billing@dupont.example"
PRODUCT = "GoToAssist Remote Support v5"


def waiting_user(db_session, ids):
    db_session.expire_all()
    users = service.list_seat_users(db_session, contact_id=ids.contact(DUPONT).id,
                                    subscription_id=ids.subscription_id(DUPONT))
    return next(user for user in users if not user.assigned)


def has_seat(db_session, ids, user_id):
    db_session.expire_all()
    users = service.list_seat_users(db_session, contact_id=ids.contact(DUPONT).id,
                                    subscription_id=ids.subscription_id(DUPONT))
    return next(user for user in users if user.id == user_id).assigned


def emails(db_session):
    db_session.rollback()
    return db_session.scalars(select(models.EmailMessage).order_by(models.EmailMessage.id)).all()


@pytest.fixture
def mail_server(app_config, smtp_server):
    """A real SMTP server configured for the app (ask for it before `client`)."""
    app_config.update({"MAIL_SERVER": smtp_server.hostname, "MAIL_PORT": smtp_server.port, "MAIL_TIMEOUT": 5})
    return smtp_server


@pytest.mark.parametrize("lang", LANGS)
def test_each_assign_form_has_a_checked_labelled_checkbox(client, ids, db_session, sign_in_as, lang, translate,
                                                          soup_of):
    sign_in_as(DUPONT, lang)
    user = waiting_user(db_session, ids)
    soup = soup_of(client.get(f"/{lang}/account/seats/{ids.subscription_id(DUPONT)}"))
    form = soup.select_one(f"#user-{user.id} form")
    assert form.select_one("button[name=assign]")["value"] == str(user.id)
    box = form.select_one("input[type=checkbox][name=notify]")
    assert box is not None and box.has_attr("checked")
    assert form.select_one("input[type=hidden][name=notify_present]")["value"] == "1"
    label = soup.select_one(f"label[for={box['id']}]")
    assert label is not None and label.find_parent("form") is form
    assert translate(lang, "Notify the user by email") in label.get_text() and user.name in label.get_text()
    # Users who already hold a seat have no such box: there is nothing to notify on unassigning.
    for row in soup.select(".seat-users tbody tr"):
        if row.select_one("button[name=unassign]"):
            assert row.select_one("input[name=notify]") is None
    ids_on_page = [tag["id"] for tag in soup.select("[id]")]
    assert len(ids_on_page) == len(set(ids_on_page))


@pytest.mark.parametrize("lang", LANGS)
def test_unchecked_box_assigns_without_an_email(client, ids, db_session, sign_in_as, forms, lang, translate,
                                                text_of):
    sign_in_as(DUPONT, lang)
    sub_id = ids.subscription_id(DUPONT)
    user = waiting_user(db_session, ids)
    response = forms.post(f"/{lang}/account/seats/{sub_id}", {"assign": str(user.id), "notify_present": "1"})
    assert response.status_code == 303
    assert has_seat(db_session, ids, user.id)
    assert emails(db_session) == []
    page = text_of(client.get(response.location))
    assert translate(lang, "%(name)s now has a seat on %(product)s.", name=user.name, product=PRODUCT) in page
    assert translate(lang, "No email was sent to them.") in page
    event = service.list_audit_events(db_session, ids.account_id(DUPONT))[0]
    assert (event.action, event.details["notify"]) == ("seat_assigned", False)


@pytest.mark.parametrize("lang", LANGS)
def test_checked_box_queues_one_email_in_the_accounts_language(client, ids, db_session, sign_in_as, forms, lang,
                                                                translate, text_of):
    sign_in_as(DUPONT, lang)
    sub_id = ids.subscription_id(DUPONT)
    user = waiting_user(db_session, ids)
    response = forms.post(f"/{lang}/account/seats/{sub_id}",
                          {"assign": str(user.id), "notify_present": "1", "notify": "1"})
    assert response.status_code == 303
    assert has_seat(db_session, ids, user.id)
    [email] = emails(db_session)
    # The account's language (Dupont: French), whatever the language of the page.
    assert (email.kind, email.to_address, email.locale) == (SEAT_ASSIGNED, user.email, "fr")
    assert PRODUCT in email.subject and PRODUCT in email.text_body
    assert email.sent_at is None  # no mail server configured: it waits in the outbox
    page = text_of(client.get(response.location))
    assert translate(lang, "An email lets them know.") in page
    assert translate(lang, "No email was sent to them.") not in page


def test_a_form_without_the_marker_still_notifies(client, ids, db_session, sign_in_as, forms):
    sign_in_as(DUPONT)
    user = waiting_user(db_session, ids)
    response = forms.post(f"/en/account/seats/{ids.subscription_id(DUPONT)}", {"assign": str(user.id)})
    assert response.status_code == 303
    assert [e.to_address for e in emails(db_session)] == [user.email]


def test_a_refused_assignment_queues_nothing(client, ids, db_session, sign_in_as, forms):
    sign_in_as(DUPONT)
    db_session.expire_all()
    holder = next(u for u in service.list_seat_users(db_session, contact_id=ids.contact(DUPONT).id,
                                                     subscription_id=ids.subscription_id(DUPONT)) if u.assigned)
    response = forms.post(f"/en/account/seats/{ids.subscription_id(DUPONT)}",
                          {"assign": str(holder.id), "notify_present": "1", "notify": "1"})
    assert response.status_code == 303
    assert emails(db_session) == []


def test_with_a_mail_server_the_email_is_sent_after_the_assignment(mail_server, client, ids, db_session,
                                                                   sign_in_as, forms):
    sign_in_as(DUPONT, "fr")
    user = waiting_user(db_session, ids)
    sub_id = ids.subscription_id(DUPONT)
    response = forms.post(f"/fr/account/seats/{sub_id}", {"assign": str(user.id), "notify_present": "1",
                                                         "notify": "1"})
    assert response.status_code == 303
    assert len(mail_server.received) == 1
    assert mail_server.received[0]["To"] == user.email
    [email] = emails(db_session)
    assert email.sent_at is not None
    # Unchecked: nothing goes out.
    service.unassign_seat(db_session, contact_id=ids.contact(DUPONT).id, subscription_id=sub_id, user_id=user.id)
    response = forms.post(f"/fr/account/seats/{sub_id}", {"assign": str(user.id), "notify_present": "1"})
    assert response.status_code == 303 and has_seat(db_session, ids, user.id)
    assert len(mail_server.received) == 1 and len(emails(db_session)) == 1
