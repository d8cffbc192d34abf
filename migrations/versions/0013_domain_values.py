"""values the domain can't hold are refused by the database too

Names, codes, user names and event titles can't be blank or only spaces, and a planned
visit has no completion time (issue 14). The screens refuse both with a message beside
the field; these CHECK constraints hold every other write path to the same rules.

Rows that break a rule stop the upgrade with a message naming them, rather than being
changed silently: correct them and run it again.

SQLite adds a CHECK by copying the table, and can't copy the visits' index on expressions
(0007): it is dropped first and created again after.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

"""
import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# table -> [(constraint name as the naming convention gives it, its condition)]
CHECKS = {
    'user': [('username_not_blank', "trim(username) <> ''")],
    'client': [('code_not_blank', "trim(code) <> ''"),
               ('name_not_blank', "trim(name) <> ''")],
    'visit': [('planned_not_completed', "status <> 'planned' OR completed_at IS NULL")],
    'event': [('title_not_blank', "trim(title) <> ''")],
}


def upgrade():
    bind = op.get_bind()
    broken = []
    for table, checks in CHECKS.items():
        for name, condition in checks:
            count = bind.execute(sa.text(
                f'SELECT count(*) FROM "{table}" WHERE NOT ({condition})')).scalar()
            if count:
                broken.append(f'{count} row(s) of {table} break ck_{table}_{name}: '
                              f'NOT ({condition})')
    if broken:
        raise RuntimeError('Correct these rows before upgrading: ' + '; '.join(broken))
    op.drop_index('ix_visit_work_order', table_name='visit')
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, condition in checks:
                batch_op.create_check_constraint(name, condition)
    _create_work_order_index()


def downgrade():
    op.drop_index('ix_visit_work_order', table_name='visit')
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _condition in checks:
                batch_op.drop_constraint(name, type_='check')
    _create_work_order_index()


def _create_work_order_index():
    """The index of 0007, exactly as it creates it."""
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
    compiled = expression.compile(dialect=op.get_bind().dialect,
                                  compile_kwargs={'literal_binds': True, 'include_table': False})
    return str(compiled)
