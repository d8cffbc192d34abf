"""indexes for the work queues

- an advisor's clients, soonest due first ("My clients");
- birthdays: the queue asks for ranges of birth dates, one or two per birth year, and
  counts them from the index without reading the clients;
- one's callbacks still planned this week.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.create_index('ix_client_advisor_id_next_callback_due',
                              ['advisor_id', 'next_callback_due'], unique=False)
        batch_op.create_index('ix_client_birth_date_status', ['birth_date', 'status'],
                              unique=False)
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index('ix_visit_staff_id_status_scheduled_for',
                              ['staff_id', 'status', 'scheduled_for'], unique=False)


def downgrade():
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_staff_id_status_scheduled_for')
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_index('ix_client_birth_date_status')
        batch_op.drop_index('ix_client_advisor_id_next_callback_due')
