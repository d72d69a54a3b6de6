"""Storing a support request and acknowledging it by email (no Flask: a session and a time)."""
from datetime import datetime

from sqlalchemy.orm import Session

from helpcenter.billing import outbox
from helpcenter.contact.models import SupportRequest


def record_support_request(session: Session, *, email: str, message: str, reference: str | None,
                           page: str | None, lang: str, account_id: int | None, contact_id: int | None,
                           now: datetime, translations_dir: str) -> tuple[SupportRequest, int]:
    """Store the request and put its acknowledgement, in the customer's language, in the outbox.

    Returns the request and the outbox message id; the caller commits, then delivers."""
    request = SupportRequest(email=email.strip(), message=message.strip(), reference=reference,
                             page=(page or None) and page[:500], lang=outbox.email_locale(lang),
                             account_id=account_id, contact_id=contact_id, created_at=now)
    session.add(request)
    session.flush()
    acknowledgement = outbox.queue_support_acknowledgement(
        session, account_id=account_id, locale=request.lang, to_address=request.email,
        request_number=request.id, reference=reference, message=request.message,
        translations_dir=translations_dir, now=now)
    return request, acknowledgement.id
