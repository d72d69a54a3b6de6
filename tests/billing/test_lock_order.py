"""One lock order for every billing operation (account, then subscription, then the rest):
concurrent pairs of operations on one account never deadlock on PostgreSQL (issue 10, item 1)."""
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from helpcenter.billing import models as m
from helpcenter.billing import service
from helpcenter.billing.errors import BillingError
from helpcenter.billing.read import CardDetails

ROUNDS = 6
GOOD = CardDetails("5555 5555 5555 4444", "03", "2031", "737", "Claire Dupont")


def _together(*operations):
    """Run the operations at the same instant (a barrier), each on its own session; their outcomes."""
    barrier = threading.Barrier(len(operations))
    outcomes = [None] * len(operations)

    def run(index, operation):
        barrier.wait()
        try:
            outcomes[index] = operation()
        except BillingError as refused:  # a domain answer (stale quote, say) is a fine outcome
            outcomes[index] = refused
        except DBAPIError as error:  # a deadlock or a serialisation failure is not
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i, op)) for i, op in enumerate(operations)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


@pytest.fixture
def postgresql_only(is_postgresql):
    assert is_postgresql  # the marker below keeps these tests in the PostgreSQL tier


def _quote(session, clock, ids, seats):
    return service.quote_seat_change(session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                     new_seats=seats)


def _place(new_session, clock, ids, quote_id):
    def operation():
        return service.place_order(new_session(), clock, contact_id=ids.dupont, quote_id=quote_id, locale="fr",
                                   assign_seats_url="/")
    return operation


@pytest.mark.postgresql  # row locks and deadlocks are PostgreSQL's; SQLite serialises writers
@pytest.mark.parametrize("other", ["place_order", "step_5", "seat_assignment", "payment_details"])
def test_place_order_beside_another_operation_never_deadlocks(postgresql_only, ids, db_session, new_session,
                                                              clock, other):
    for round_ in range(ROUNDS):
        seats = 8 + round_ % 2  # each round changes the count again
        db_session.expire_all()
        current = db_session.get(m.Subscription, ids.dupont_sub).seats
        if current == seats:
            seats += 2
        q = _quote(db_session, clock, ids, seats)
        if other == "place_order":
            second = _place(new_session, clock, ids, q.id)  # the same form sent twice
        elif other == "step_5":
            q2 = _quote(db_session, clock, ids, seats)

            def second(q2=q2, vat=("FR40303265045" if round_ % 2 else "")):
                return service.update_payment_details(new_session(), clock, contact_id=ids.dupont, quote_id=q2.id,
                                                      use_saved_card=False, card=GOOD, vat_number=vat)
        elif other == "seat_assignment":
            user_id = db_session.scalar(select(m.AccountUser.id).where(m.AccountUser.account_id == ids.dupont_account)
                                        .order_by(m.AccountUser.id.desc()))

            def second(user_id=user_id):
                session = new_session()
                try:
                    service.assign_seat(session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                        user_id=user_id, notify=False)
                except BillingError:
                    service.unassign_seat(session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                          user_id=user_id)
                return "seat"
        else:
            def second(vat=("FR40303265045" if round_ % 2 else "")):
                token = service.verify_card(new_session(), clock, contact_id=ids.dupont, card=GOOD)
                return service.save_payment_details(new_session(), clock, contact_id=ids.dupont, card=token,
                                                    vat_number=vat, locale="fr", account_url="/")
        outcomes = _together(_place(new_session, clock, ids, q.id), second)
        errors = [o for o in outcomes if isinstance(o, DBAPIError)]
        assert not errors, f"round {round_} ({other}): {errors[0]}"
    db_session.expire_all()
    orders = db_session.scalar(select(func.count()).select_from(m.Order))
    charges = db_session.scalar(select(func.count()).select_from(m.GatewayCharge))
    assert orders >= 1 and charges <= orders  # one charge at most per order, never a second for a quote
