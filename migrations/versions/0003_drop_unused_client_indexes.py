"""drop the client indexes on phone and id_number

Both columns are searched by substring (ILIKE '%…%'), which a b-tree index can't serve,
and neither is filtered or sorted on (they are masked for staff). The indexes were only
a cost: every client write, and every tier recalculation, updated them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

"""
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_phone'))
        batch_op.drop_index(batch_op.f('ix_client_id_number'))


def downgrade():
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_id_number'), ['id_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_phone'), ['phone'], unique=False)
