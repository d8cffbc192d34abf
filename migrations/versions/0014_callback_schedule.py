"""a client's next callback date is computed from what it follows, not stored

Until now each client row held its next callback date, so that a change of a tier's
callback interval rewrote every client of the tier (400,000 rows and two indexes at a
million clients: 12 s on SQLite, 43 s on PostgreSQL). From here on a client keeps what the
date follows (admin_app/services/callbacks.py):

- ``cadence_anchor``: its last callback, when the date is the tier's interval after it;
- ``due_fixed``: a date that follows nothing (a new client's first callback, a date
  brought forward when the client was made active again);

at most one of them (a CHECK), and the date is computed. The rows written before are
converted as they stand: a date earlier than the cadence gives (brought forward) stays as
a set date, every other date becomes the anchor it was computed from. The column
``next_callback_due`` stays, as a copy of the date for reports (the application no longer
reads it). Its indexes give way to indexes on the anchor per tier (and per advisor and
tier) and on the set date; the single-column indexes of ``tier_id`` and ``advisor_id``,
which lead them, go.

SQLite adds a CHECK by copying the table (with its other indexes).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

"""
import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

NOT_DUE = "status IN ('prospect', 'closed')"
INTERVAL = "(SELECT t.callback_interval_days FROM tier t WHERE t.id = client.tier_id)"
# The cadence date, and "earlier than it by more than a second" (a brought-forward date).
CADENCE = {
    'postgresql': f"last_callback_at + make_interval(0, 0, 0, {INTERVAL})",
    'sqlite': f"julianday(last_callback_at) + {INTERVAL}",
}
EARLIER = {
    'postgresql': "next_callback_due < {cadence} - interval '1 second'",
    'sqlite': "julianday(next_callback_due) < {cadence} - 1.0 / 86400",
}
NEW_CLIENT = {
    'postgresql': "created_at + make_interval(0, 0, 0, 7)",
    'sqlite': "strftime('%Y-%m-%d %H:%M:%S', created_at, '7 days')",
}
OLD_INDEXES = [
    ('ix_client_next_callback_due', ['next_callback_due']),
    ('ix_client_advisor_id_next_callback_due', ['advisor_id', 'next_callback_due']),
    ('ix_client_tier_id', ['tier_id']),
    ('ix_client_advisor_id', ['advisor_id']),
]
NEW_INDEXES = [
    ('ix_client_due_fixed', ['due_fixed']),
    ('ix_client_tier_id_cadence_anchor', ['tier_id', 'cadence_anchor']),
    ('ix_client_advisor_id_tier_id_cadence_anchor', ['advisor_id', 'tier_id',
                                                     'cadence_anchor']),
    ('ix_client_advisor_id_due_fixed', ['advisor_id', 'due_fixed']),
]
CHECK = ('one_callback_schedule', 'cadence_anchor IS NULL OR due_fixed IS NULL')


def upgrade():
    engine = op.get_bind().dialect.name
    op.add_column('client', sa.Column('cadence_anchor', sa.DateTime(), nullable=True))
    op.add_column('client', sa.Column('due_fixed', sa.DateTime(), nullable=True))
    forward = EARLIER[engine].format(cadence=CADENCE[engine])
    op.execute(f"""UPDATE client SET
        cadence_anchor = CASE WHEN {NOT_DUE} OR last_callback_at IS NULL THEN NULL
                              WHEN next_callback_due IS NOT NULL AND tier_id IS NOT NULL
                                   AND {forward} THEN NULL
                              ELSE last_callback_at END,
        due_fixed = CASE WHEN {NOT_DUE} THEN NULL
                         WHEN last_callback_at IS NULL
                         THEN coalesce(next_callback_due, {NEW_CLIENT[engine]})
                         WHEN next_callback_due IS NOT NULL AND tier_id IS NOT NULL
                              AND {forward} THEN next_callback_due
                         ELSE NULL END""")
    for name, _columns in OLD_INDEXES:
        op.drop_index(name, table_name='client')
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.create_check_constraint(*CHECK)
    for name, columns in NEW_INDEXES:
        op.create_index(name, 'client', columns, unique=False)


def downgrade():
    engine = op.get_bind().dialect.name
    for name, _columns in NEW_INDEXES:
        op.drop_index(name, table_name='client')
    due = {
        'postgresql': f"cadence_anchor + make_interval(0, 0, 0, {INTERVAL})",
        'sqlite': f"strftime('%Y-%m-%d %H:%M:%S', cadence_anchor, "
                  f"CAST({INTERVAL} AS TEXT) || ' days')",
    }[engine]
    op.execute(f"UPDATE client SET next_callback_due = coalesce(due_fixed, {due})")
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_constraint(CHECK[0], type_='check')
        batch_op.drop_column('due_fixed')
        batch_op.drop_column('cadence_anchor')
    for name, columns in OLD_INDEXES:
        op.create_index(name, 'client', columns, unique=False)
