"""article feedback: what was missing after a "No" (reason code and free text)

Revision ID: 0002_perf
Revises: 0002_engine
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0002_perf'
down_revision: Union[str, Sequence[str], None] = '0002_engine'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('article_feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('comment', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('article_feedback', schema=None) as batch_op:
        batch_op.drop_column('comment')
        batch_op.drop_column('reason')
