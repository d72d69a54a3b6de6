"""Users of an account and their seat assignments: never more assigned than seats, even
when two requests race for the last free seat."""
import threading

import pytest
from sqlalchemy import func, select

from helpcenter.billing import models as m
from helpcenter.billing import service
from helpcenter.billing.errors import NotFound, SeatAssignmentRefused, UserInvalid


def user_id(session, email):
    uid = session.scalar(select(m.AccountUser.id).where(m.AccountUser.email == email))
    session.rollback()
    return uid


def assigned(session, sub_id):
    session.rollback()
    return session.scalar(select(func.count()).select_from(m.SeatAssignment)
                          .where(m.SeatAssignment.subscription_id == sub_id))


def test_list_seat_users(ids, db_session):
    users = service.list_seat_users(db_session, contact_id=ids.dupont, subscription_id=ids.dupont_sub)
    assert [(u.name, u.assigned) for u in users] == [
        ("Camille Martin", True), ("Hugo Bernard", True), ("Jules Moreau", False), ("Léa Petit", True)]
    with pytest.raises(NotFound):
        service.list_seat_users(db_session, contact_id=ids.dupont, subscription_id=ids.northwind_sub)


@pytest.mark.parametrize("who", ["dupont", "dupont_admin"])
def test_billing_contacts_and_admins_assign_and_unassign(ids, db_session, who):
    jules = user_id(db_session, "jules.moreau@dupont.example")
    service.assign_seat(db_session, contact_id=getattr(ids, who), subscription_id=ids.dupont_sub, user_id=jules,
                        ip="192.0.2.4")
    assert assigned(db_session, ids.dupont_sub) == 4
    assert service.get_subscription(db_session, ids.dupont_account, ids.dupont_sub).free == 1
    service.unassign_seat(db_session, contact_id=getattr(ids, who), subscription_id=ids.dupont_sub, user_id=jules)
    assert assigned(db_session, ids.dupont_sub) == 3
    actions = [(e.action, e.details["user"], e.ip) for e in service.list_audit_events(db_session, ids.dupont_account)]
    assert actions == [("seat_unassigned", "jules.moreau@dupont.example", None),
                       ("seat_assigned", "jules.moreau@dupont.example", "192.0.2.4")]


def test_refusals_change_nothing(ids, db_session, unchanged):
    camille = user_id(db_session, "camille.martin@dupont.example")
    jules = user_id(db_session, "jules.moreau@dupont.example")
    robert = user_id(db_session, "robert.king@northwind.example")
    with unchanged():
        with pytest.raises(SeatAssignmentRefused) as refused:
            service.assign_seat(db_session, contact_id=ids.dupont, subscription_id=ids.dupont_sub, user_id=camille)
        assert refused.value.code == "already_assigned"
        with pytest.raises(SeatAssignmentRefused) as refused:
            service.unassign_seat(db_session, contact_id=ids.dupont, subscription_id=ids.dupont_sub, user_id=jules)
        assert refused.value.code == "not_assigned"
        with pytest.raises(NotFound):  # another account's user
            service.assign_seat(db_session, contact_id=ids.dupont, subscription_id=ids.dupont_sub, user_id=robert)
        with pytest.raises(NotFound):  # another account's subscription
            service.assign_seat(db_session, contact_id=ids.dupont, subscription_id=ids.northwind_sub, user_id=jules)
        with pytest.raises(NotFound):
            service.unassign_seat(db_session, contact_id=ids.northwind, subscription_id=ids.dupont_sub,
                                  user_id=camille)


def test_never_more_assigned_than_seats(ids, db_session, unchanged):
    for n in range(2):
        new = service.add_user(db_session, contact_id=ids.dupont, name=f"Extra {n}", email=f"extra{n}@dupont.example")
        service.assign_seat(db_session, contact_id=ids.dupont, subscription_id=ids.dupont_sub, user_id=new.id)
    assert assigned(db_session, ids.dupont_sub) == 5
    jules = user_id(db_session, "jules.moreau@dupont.example")
    with unchanged():
        with pytest.raises(SeatAssignmentRefused) as refused:
            service.assign_seat(db_session, contact_id=ids.dupont, subscription_id=ids.dupont_sub, user_id=jules)
    assert refused.value.code == "no_free_seat"


def test_two_requests_racing_for_the_last_seat_assign_one(ids, db_session, new_session):
    extra = service.add_user(db_session, contact_id=ids.dupont, name="Extra", email="extra@dupont.example")
    service.assign_seat(db_session, contact_id=ids.dupont, subscription_id=ids.dupont_sub, user_id=extra.id)
    candidates = [service.add_user(db_session, contact_id=ids.dupont, name=f"Racer {n}",
                                   email=f"racer{n}@dupont.example").id for n in range(4)]
    start = threading.Barrier(len(candidates))
    outcomes = []

    def race(uid):
        session = new_session()
        start.wait()
        try:
            service.assign_seat(session, contact_id=ids.dupont, subscription_id=ids.dupont_sub, user_id=uid)
            outcomes.append("assigned")
        except SeatAssignmentRefused as refused:
            outcomes.append(refused.code)

    threads = [threading.Thread(target=race, args=(uid,)) for uid in candidates]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["assigned", "no_free_seat", "no_free_seat", "no_free_seat"]
    assert assigned(db_session, ids.dupont_sub) == 5


def test_add_user(ids, db_session):
    user = service.add_user(db_session, contact_id=ids.dupont_admin, name="  Zoé   Laurent ",
                            email="Zoe.Laurent@Dupont.example", ip="192.0.2.8")
    assert (user.name, user.email, user.assigned) == ("Zoé Laurent", "zoe.laurent@dupont.example", False)
    assert user.id in [u.id for u in service.list_seat_users(db_session, contact_id=ids.dupont,
                                                              subscription_id=ids.dupont_sub)]
    event = service.list_audit_events(db_session, ids.dupont_account)[0]
    assert event.action == "user_added" and event.actor_email == "admin@dupont.example"
    # The same address in another account is another person.
    service.add_user(db_session, contact_id=ids.northwind, name="Zoé", email="zoe.laurent@dupont.example")


@pytest.mark.parametrize("name, email, errors", [
    ("", "a@b.example", {"name": "required"}),
    ("x" * 101, "a@b.example", {"name": "too_long"}),
    ("Ann", "not-an-email", {"email": "invalid"}),
    ("Ann", "a@b", {"email": "invalid"}),
    ("Ann", "a b@c.example", {"email": "invalid"}),
    ("Ann", "CAMILLE.MARTIN@dupont.example", {"email": "taken"}),
    ("", "", {"name": "required", "email": "invalid"}),
])
def test_add_user_refusals_change_nothing(ids, db_session, unchanged, name, email, errors):
    with unchanged():
        with pytest.raises(UserInvalid) as refused:
            service.add_user(db_session, contact_id=ids.dupont, name=name, email=email)
    assert refused.value.errors == errors
