"""support agents: the staff table; indexes the insights page needs on workflow_events

Revision ID: 0002_agent
Revises: 0002_perf
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_agent"
down_revision = "0002_perf"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_email")),
    )
    # Funnels read only this covering index; problems a (kind, at) range (helpcenter/agent/sources.py).
    op.create_index("ix_workflow_events_funnel", "workflow_events", ["kind", "workflow", "step", "run_id", "at"])
    op.create_index("ix_workflow_events_kind_at", "workflow_events", ["kind", "at"])


def downgrade() -> None:
    op.drop_index("ix_workflow_events_kind_at", table_name="workflow_events")
    op.drop_index("ix_workflow_events_funnel", table_name="workflow_events")
    op.drop_table("staff")
