"""phone numbers in their canonical form, and an index to find them by

Mainland mobiles become their 11 digits ("+86 138-1234-5678" -> 13812345678); every other
number E.164: a mainland landline +86 and the area code without its 0 ("010-12345678" ->
+861012345678), Hong Kong, Macau, Taiwan and others with their country code
("+852 9123 4567" -> +85291234567). The rules are those of admin_app/services/phones.py
when this was written, copied here so that later changes there don't change what this
migration did.

Rows are read and written a batch at a time, by id, on SQLite and PostgreSQL alike. A
value that is not a valid number is left as it is and reported in the migration's log
(client id and code, not the value) for someone to correct on the client's form; a
blank one becomes empty (NULL). The downgrade drops the index; the numbers stay
canonical, a form every version reads.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08

"""
import logging
import unicodedata

from alembic import op
import phonenumbers
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

BATCH = 1000
log = logging.getLogger('alembic.runtime.migration')

client = sa.table('client', sa.column('id', sa.Integer), sa.column('code', sa.String),
                  sa.column('phone', sa.String))


def canonical(text):
    """The canonical form of a valid number, or None."""
    typed = unicodedata.normalize('NFKC', text).strip()
    if typed.startswith('(+'):
        typed = typed.replace('(+', '+', 1)
    if not typed or any(c not in '+0123456789 ().-/' for c in typed):
        return None
    try:
        number = phonenumbers.parse(typed, 'CN')
    except phonenumbers.NumberParseException:
        return None
    if number.extension or not phonenumbers.is_valid_number(number):
        return None
    if (phonenumbers.region_code_for_number(number) == 'CN'
            and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE):
        return phonenumbers.national_significant_number(number)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_phones(connection):
    """Every client's phone in its canonical form; returns the (id, code, phone) of those
    that are not valid numbers, left as they are."""
    update = (client.update().where(client.c.id == sa.bindparam('row_id'))
              .values(phone=sa.bindparam('new_phone')))
    left, last = [], 0
    while True:
        rows = connection.execute(
            sa.select(client.c.id, client.c.code, client.c.phone)
            .where(client.c.id > last, client.c.phone.is_not(None))
            .order_by(client.c.id).limit(BATCH)).all()
        if not rows:
            return left
        last = rows[-1].id
        changes = []
        for row in rows:
            value = canonical(row.phone) if row.phone.strip() else None
            if value is None and row.phone.strip():
                left.append((row.id, row.code, row.phone))
            elif value != row.phone:
                changes.append({'row_id': row.id, 'new_phone': value})
        if changes:
            connection.execute(update, changes)


def upgrade():
    left = normalise_phones(op.get_bind())
    if left:
        # Which clients, not the values: the log is no place for personal data.
        log.warning('%d client phone numbers are not valid numbers and were left as they '
                    'are; correct them on the clients\' forms (id code): %s', len(left),
                    ', '.join(f'{id} {code}' for id, code, _phone in left))
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.create_index('ix_client_phone', ['phone'], unique=False,
                              postgresql_ops={'phone': 'text_pattern_ops'})


def downgrade():
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_index('ix_client_phone')
