"""indexes for the work queues

The birthday queue asks for ranges of birth dates, one or two per birth year; an index
on the birth date answers them without reading every client.

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-01

"""
from alembic import op


revision = '0008'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_birth_date'), ['birth_date'], unique=False)


def downgrade():
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_birth_date'))
