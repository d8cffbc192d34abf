"""indexes for the audit log at ten million entries

A record's history and the log filtered by user or by action are read newest first: each
on an index that starts with what it filters and ends with the time, so a page reads its
twenty rows instead of sorting every entry of the record, user or action.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

"""
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_audit_entry_entity_entity_id_at', 'audit_entry',
                    ['entity', 'entity_id', 'at'], unique=False)
    op.create_index('ix_audit_entry_user_id_at', 'audit_entry', ['user_id', 'at'],
                    unique=False)
    op.create_index('ix_audit_entry_action_at', 'audit_entry', ['action', 'at'],
                    unique=False)
    op.drop_index('ix_audit_entry_entity_entity_id', table_name='audit_entry')
    op.drop_index('ix_audit_entry_user_id', table_name='audit_entry')
    op.drop_index('ix_audit_entry_action', table_name='audit_entry')


def downgrade():
    op.create_index('ix_audit_entry_action', 'audit_entry', ['action'], unique=False)
    op.create_index('ix_audit_entry_user_id', 'audit_entry', ['user_id'], unique=False)
    op.create_index('ix_audit_entry_entity_entity_id', 'audit_entry', ['entity', 'entity_id'],
                    unique=False)
    op.drop_index('ix_audit_entry_action_at', table_name='audit_entry')
    op.drop_index('ix_audit_entry_user_id_at', table_name='audit_entry')
    op.drop_index('ix_audit_entry_entity_entity_id_at', table_name='audit_entry')
