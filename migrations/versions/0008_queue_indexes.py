"""indexes for the work queues

- an advisor's clients, soonest due first ("My clients");
- birthdays: the queue asks for the birth dates a week's birthdays can be, and counts
  them from the index without reading the clients;
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
    # Plain CREATE INDEX, not a batch: a batch that copied ``visit`` on SQLite would lose
    # 0007's index on expressions.
    op.create_index('ix_client_advisor_id_next_callback_due', 'client',
                    ['advisor_id', 'next_callback_due'], unique=False)
    op.create_index('ix_client_birth_date_status', 'client', ['birth_date', 'status'],
                    unique=False)
    op.create_index('ix_visit_staff_id_status_scheduled_for', 'visit',
                    ['staff_id', 'status', 'scheduled_for'], unique=False)


def downgrade():
    op.drop_index('ix_visit_staff_id_status_scheduled_for', table_name='visit')
    op.drop_index('ix_client_birth_date_status', table_name='client')
    op.drop_index('ix_client_advisor_id_next_callback_due', table_name='client')
