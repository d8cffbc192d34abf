"""versions on visits, event attendance and service levels

Each edit form carries the version it was opened at, and a save over someone else's newer
save is refused (views.mixins.VersionGuardMixin), as for clients, tiers, complaints and
events already. Existing rows start at version 1.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

"""
import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

TABLES = ('visit', 'event_attendance', 'service_level')


def upgrade():
    for table in TABLES:
        op.add_column(table, sa.Column('version_id', sa.Integer(), nullable=False,
                                       server_default='1'))


def downgrade():
    # A plain DROP COLUMN (SQLite 3.35+): a batch that copied ``visit`` would lose 0007's
    # index on expressions.
    for table in TABLES:
        op.drop_column(table, 'version_id')
