"""server-side sessions; log-in lock-outs per account and address

- ``user_session``: a signed-in session the server knows (the SHA-256 of the token its
  cookie carries), so that logging out, deactivation and a change of role or password end
  it, and idle and too-old sessions are refused.
- ``login_lock``: failed log-ins in a row, and the lock they earned, per account *and*
  address, in place of the account-wide ``user.failed_logins`` / ``user.locked_until``
  (which let anyone lock anyone out). Locks in force when this runs are forgotten; the
  downgrade does not bring them back.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_session',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_session_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_user_session'))
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)

    op.create_table('login_lock',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.CheckConstraint('failures >= 0', name=op.f('ck_login_lock_failures_non_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_login_lock_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'source', name=op.f('pk_login_lock'))
    )

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_user_failed_logins_non_negative'), type_='check')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_user_failed_logins_non_negative'),
                                         'failed_logins >= 0')

    op.drop_table('login_lock')
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))

    op.drop_table('user_session')
