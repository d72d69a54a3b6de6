"""support agents: staff; provisional workflow_events and support_requests

The `staff` table is the agents' own. `workflow_events` and `support_requests` are PROVISIONAL
here (see helpcenter/agent/sources.py): the workflow engine's and the contact page's migrations
create them for real, and the integrator drops them from this one at merge.

Revision ID: 0002_agent
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_agent"
down_revision = "0001"
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
    # provisional: replaced by the engine's migration at merge
    op.create_table(
        "workflow_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("workflow", sa.String(length=40), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_events")),
    )
    op.create_index("ix_workflow_events_funnel", "workflow_events", ["kind", "workflow", "step", "run_id", "at"])
    op.create_index("ix_workflow_events_kind_at", "workflow_events", ["kind", "at"])
    op.create_index(op.f("ix_workflow_events_reference"), "workflow_events", ["reference"])
    # provisional: replaced by the contact page's migration at merge
    op.create_table(
        "support_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=True),
        sa.Column("page", sa.String(length=2000), nullable=True),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_requests")),
    )
    op.create_index(op.f("ix_support_requests_created_at"), "support_requests", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_support_requests_created_at"), table_name="support_requests")
    op.drop_table("support_requests")
    op.drop_index(op.f("ix_workflow_events_reference"), table_name="workflow_events")
    op.drop_index("ix_workflow_events_kind_at", table_name="workflow_events")
    op.drop_index("ix_workflow_events_funnel", table_name="workflow_events")
    op.drop_table("workflow_events")
    op.drop_table("staff")
