"""What a customer sends to support from the "Still need help?" form."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from helpcenter.db import Base


class SupportRequest(Base):
    """One request to support, with where it came from (what the agent console will show)."""

    __tablename__ = "support_requests"
    __table_args__ = (Index("ix_support_requests_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    message: Mapped[str] = mapped_column(Text)
    # A workflow run's reference code (HC-7K2Q9D), read to an agent and linked to the run's trail.
    reference: Mapped[str | None] = mapped_column(String(20), index=True)
    page: Mapped[str | None] = mapped_column(String(500))  # the path the customer came from
    lang: Mapped[str] = mapped_column(String(5))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
