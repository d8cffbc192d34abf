"""a version on users

The user edit form carries the version it was opened at, and a save over another admin's
newer save is refused (views.mixins.VersionGuardMixin), as for every other record. A log-in
writes the user's last log-in time without changing the version, so a user logging in
while an admin edits them does not make the admin's form stale. Existing rows start at
version 1.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02

"""
import sqlalchemy as sa
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('user', sa.Column('version_id', sa.Integer(), nullable=False,
                                    server_default='1'))


def downgrade():
    op.drop_column('user', 'version_id')
