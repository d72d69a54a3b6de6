"""The caller's transaction: operations flush, the caller commits; what waits for the commit
(sending an email) runs after it, never after a rollback."""
from sqlalchemy import func, select

from helpcenter.billing import models as m
from helpcenter.billing import orders, quotes, transaction
from helpcenter.billing.outbox import MailSettings

URL = "https://help.example/fr/account/seats/1"


def _order(session, clock, ids, mail_settings):
    q = quotes.quote_seat_change(session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                 new_seats=8)
    return orders.place_order(session, clock, contact_id=ids.dupont, quote_id=q.id, locale="fr",
                              assign_seats_url=URL, mail_settings=mail_settings)


def test_an_operation_commits_nothing_itself(ids, db_session, clock, new_session):
    _order(db_session, clock, ids, None)
    with new_session() as other:
        assert other.scalar(select(func.count()).select_from(m.Order)) == 0
    transaction.commit(db_session)
    with new_session() as other:
        assert other.scalar(select(func.count()).select_from(m.Order)) == 1


def test_the_email_is_sent_after_the_commit_and_never_after_a_rollback(ids, db_session, clock, smtp_server):
    settings = MailSettings(server=smtp_server.hostname, port=smtp_server.port)
    _order(db_session, clock, ids, settings)
    assert smtp_server.received == []  # queued, not sent: the transaction is still open
    db_session.rollback()
    transaction.commit(db_session)
    assert smtp_server.received == []  # nothing was committed, nothing is sent
    order = _order(db_session, clock, ids, settings)
    db_session.commit()  # a plain commit (the engine's) counts too
    transaction.commit(db_session)
    assert len(smtp_server.received) == 1 and order.number in smtp_server.received[0].as_string()
    assert db_session.scalars(select(m.EmailMessage.sent_at)).one() is not None
