"""service levels counted in calendar or working days

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Existing service levels keep counting calendar days, as they did; an admin switches a
severity to working days on the Service levels screen.

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('service_level', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counted_in', sa.Enum('calendar', 'working', name='day_count', native_enum=False, create_constraint=True, length=32), server_default='calendar', nullable=False))


def downgrade():
    with op.batch_alter_table('service_level', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_service_level_day_count'), type_='check')
        batch_op.drop_column('counted_in')
