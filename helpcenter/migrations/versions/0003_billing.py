"""billing: amount_owed on quotes and orders (a negative balance paid with the order)

Revision ID: 0003_billing
Revises: 0002_agent
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003_billing"
down_revision: Union[str, Sequence[str], None] = "0002_agent"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Existing rows were priced before a debt was added to the amount due: they owed nothing.
    for table in ("quotes", "orders"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("amount_owed", sa.Numeric(precision=18, scale=4), nullable=False,
                                       server_default="0"))


def downgrade() -> None:
    for table in ("orders", "quotes"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("amount_owed")
