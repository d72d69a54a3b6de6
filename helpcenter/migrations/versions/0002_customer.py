"""account time zones; support requests ("Still need help?")

Revision ID: 0002_customer
Revises: 0002_security
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002_customer"
down_revision: Union[str, Sequence[str], None] = "0002_security"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add accounts.timezone and the support_requests table."""
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False))
    op.create_table(
        "support_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=True),
        sa.Column("page", sa.String(length=500), nullable=True),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_support_requests_account_id_accounts"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_support_requests_contact_id_contacts"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_requests")),
    )
    with op.batch_alter_table("support_requests", schema=None) as batch_op:
        batch_op.create_index("ix_support_requests_created_at", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_support_requests_reference"), ["reference"], unique=False)
        batch_op.create_index(batch_op.f("ix_support_requests_account_id"), ["account_id"], unique=False)


def downgrade() -> None:
    """Drop them again."""
    op.drop_table("support_requests")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("timezone")
