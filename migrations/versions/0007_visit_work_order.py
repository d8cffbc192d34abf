"""an index for the visits list's default order (what needs doing first)

The list opens on planned visits by when they are due, then the rest latest first
(models.VISIT_WORK_ORDER); this index on exactly those expressions lets both engines read
the first page in order instead of sorting every visit.

SQLite can't reflect an index on expressions: a later batch_alter_table on ``visit``
(which copies the table) must create this index again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    visit = sa.table('visit', sa.column('id', sa.Integer), sa.column('status', sa.String),
                     sa.column('scheduled_for', sa.DateTime),
                     sa.column('completed_at', sa.DateTime))
    planned = visit.c.status == sa.literal_column("'planned'")
    happened = sa.func.coalesce(visit.c.completed_at, visit.c.scheduled_for)
    bucket = sa.case(
        (sa.and_(planned, visit.c.scheduled_for.is_not(None)), sa.literal_column('0')),
        (planned, sa.literal_column('1')),
        (happened.is_not(None), sa.literal_column('2')),
        else_=sa.literal_column('3'),
    )
    due = sa.case((planned, visit.c.scheduled_for))
    past = sa.case((sa.not_(planned), happened))
    op.create_index('ix_visit_work_order', 'visit',
                    [sa.text(f'({_sql(bucket)})'), sa.text(f'({_sql(due)})'),
                     sa.text(f'({_sql(past)}) DESC'), sa.text('id DESC')])


def _sql(expression):
    """The expression as the index's SQL, columns unqualified (as in the model's index)."""
    compiled = expression.compile(dialect=op.get_bind().dialect,
                                  compile_kwargs={'literal_binds': True, 'include_table': False})
    return str(compiled)


def downgrade():
    op.drop_index('ix_visit_work_order', table_name='visit')
