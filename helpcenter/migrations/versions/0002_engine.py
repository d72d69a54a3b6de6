"""workflow engine: workflow_runs (one table for every workflow) and workflow_events (the trail)

The rows of wizard_run are migrated, not dropped: an unfinished seat change survives a
deployment. Each becomes a workflow_runs row of workflow 'seats' with its columns in `data`
(the same keys), a new reference code, and finished_at set when it holds an order. Then
wizard_run is dropped. Downgrade moves the seat runs back and drops the new tables (the
payment-details runs and the events are lost: they have no place in the old schema).

Revision ID: 0002_engine
Revises: 0002_customer
"""
import secrets
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0002_engine'
down_revision: Union[str, Sequence[str], None] = "0002_customer"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
SEAT_KEYS = ("subscription_id", "quantity", "quote_id", "checked_out", "reviewed_quote_id", "paid_quote_id",
             "payment_error", "order_id")


def _reference(taken: set) -> str:
    while True:
        reference = "HC-" + "".join(secrets.choice(ALPHABET) for _ in range(6))
        if reference not in taken and not reference[3:].isdigit():  # never read as an order number
            taken.add(reference)
            return reference


def upgrade() -> None:
    runs = op.create_table(
        'workflow_runs',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('workflow', sa.String(length=40), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=16), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_workflow_runs_contact_id_contacts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_runs')),
        sa.UniqueConstraint('reference', name=op.f('uq_workflow_runs_reference')),
    )
    with op.batch_alter_table('workflow_runs', schema=None) as batch_op:
        batch_op.create_index('ix_workflow_runs_contact_workflow', ['contact_id', 'workflow', 'finished_at'],
                              unique=False)
    op.create_table(
        'workflow_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.String(length=64), nullable=False),
        sa.Column('reference', sa.String(length=16), nullable=False),
        sa.Column('workflow', sa.String(length=40), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('step', sa.String(length=40), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_events')),
    )
    with op.batch_alter_table('workflow_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workflow_events_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_workflow_events_reference'), ['reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_workflow_events_run_id'), ['run_id'], unique=False)

    bind = op.get_bind()
    old = sa.table('wizard_run', *[sa.column(c) for c in (
        'id', 'contact_id', *SEAT_KEYS, 'prefill_product', 'prefill_quantity', 'revision')],
        sa.column('created_at', sa.DateTime(timezone=True)), sa.column('updated_at', sa.DateTime(timezone=True)))
    taken: set = set()
    rows = []
    for row in bind.execute(sa.select(old)).mappings():
        data = {key: row[key] for key in SEAT_KEYS if row[key] is not None}
        data["checked_out"] = bool(row["checked_out"])
        prefill = {k: v for k, v in (("product", row["prefill_product"]), ("quantity", row["prefill_quantity"]))
                   if v is not None}
        if prefill:
            data["prefill"] = prefill
        rows.append({"id": row["id"], "workflow": "seats", "contact_id": row["contact_id"],
                     "reference": _reference(taken), "data": data, "revision": row["revision"],
                     "created_at": row["created_at"], "updated_at": row["updated_at"],
                     "finished_at": row["updated_at"] if row["order_id"] is not None else None})
    if rows:
        op.bulk_insert(runs, rows)

    with op.batch_alter_table('wizard_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wizard_run_contact_id'))
    op.drop_table('wizard_run')


def downgrade() -> None:
    wizard_run = op.create_table(
        'wizard_run',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=True),
        sa.Column('quantity', sa.Integer(), nullable=True),
        sa.Column('quote_id', sa.String(length=64), nullable=True),
        sa.Column('checked_out', sa.Boolean(), nullable=False),
        sa.Column('reviewed_quote_id', sa.String(length=64), nullable=True),
        sa.Column('paid_quote_id', sa.String(length=64), nullable=True),
        sa.Column('payment_error', sa.String(length=40), nullable=True),
        sa.Column('order_id', sa.Integer(), nullable=True),
        sa.Column('prefill_product', sa.String(length=64), nullable=True),
        sa.Column('prefill_quantity', sa.Integer(), nullable=True),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_wizard_run_contact_id_contacts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_wizard_run')),
    )
    with op.batch_alter_table('wizard_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wizard_run_contact_id'), ['contact_id'], unique=False)
    bind = op.get_bind()
    new = sa.table('workflow_runs', *[sa.column(c) for c in ('id', 'workflow', 'contact_id', 'revision')],
                   sa.column('data', sa.JSON()), sa.column('created_at', sa.DateTime(timezone=True)),
                   sa.column('updated_at', sa.DateTime(timezone=True)))
    rows = []
    for row in bind.execute(sa.select(new).where(new.c.workflow == 'seats')).mappings():
        data = row["data"] or {}
        prefill = data.get("prefill") or {}
        rows.append({"id": row["id"], "contact_id": row["contact_id"],
                     **{key: data.get(key) for key in SEAT_KEYS}, "checked_out": bool(data.get("checked_out")),
                     "prefill_product": prefill.get("product"), "prefill_quantity": prefill.get("quantity"),
                     "revision": row["revision"], "created_at": row["created_at"], "updated_at": row["updated_at"]})
    if rows:
        op.bulk_insert(wizard_run, rows)
    with op.batch_alter_table('workflow_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workflow_events_run_id'))
        batch_op.drop_index(batch_op.f('ix_workflow_events_reference'))
        batch_op.drop_index(batch_op.f('ix_workflow_events_contact_id'))
    op.drop_table('workflow_events')
    with op.batch_alter_table('workflow_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_workflow_runs_contact_workflow')
    op.drop_table('workflow_runs')
