"""existing clients' callback dates follow the cadence rule

Until now recording a done visit moved neither the client's last callback nor its next
due date, new clients got no due date, and prospects and closed clients counted as
overdue. From here on the services keep the rule (admin_app/services/callbacks.py); this
brings the rows written before it into line, once:

- a client's last callback becomes its latest done visit, where that is later;
- prospects and closed clients are not due (NULL);
- any other client is due its tier's interval after its last callback, or 7 days after
  it was created when never called.

Only rows whose value changes are written. Data only: the downgrade leaves them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23

"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

LATEST_DONE = """(SELECT max(v.completed_at) FROM visit v
                  WHERE v.client_id = client.id AND v.status = 'done')"""
INTERVAL = "(SELECT t.callback_interval_days FROM tier t WHERE t.id = client.tier_id)"

DUE = {
    'postgresql': f"""CASE WHEN status IN ('prospect', 'closed') THEN NULL
                          WHEN last_callback_at IS NULL
                          THEN created_at + make_interval(0, 0, 0, 7)
                          ELSE last_callback_at + make_interval(0, 0, 0, {INTERVAL}) END""",
    'sqlite': f"""CASE WHEN status IN ('prospect', 'closed') THEN NULL
                      WHEN last_callback_at IS NULL
                      THEN strftime('%Y-%m-%d %H:%M:%S', created_at, '7 days')
                      ELSE strftime('%Y-%m-%d %H:%M:%S', last_callback_at,
                                    CAST({INTERVAL} AS TEXT) || ' days') END""",
}
# A change worth writing: SQLite keeps times as text, whose fraction of a second may be
# written differently for the same moment.
DIFFERS = {
    'postgresql': "next_callback_due IS DISTINCT FROM {due}",
    'sqlite': "julianday(next_callback_due) IS NOT julianday({due})",
}


def upgrade():
    engine = op.get_bind().dialect.name
    op.execute(f"""UPDATE client SET last_callback_at = {LATEST_DONE}
                   WHERE EXISTS (SELECT 1 FROM visit v
                                 WHERE v.client_id = client.id AND v.status = 'done'
                                   AND (client.last_callback_at IS NULL
                                        OR v.completed_at > client.last_callback_at))""")
    due = DUE[engine]
    op.execute(f"UPDATE client SET next_callback_due = {due} "
               f"WHERE {DIFFERS[engine].format(due=due)}")


def downgrade():
    pass
