"""The engine constructs of ``admin_app.sql`` give the same answers on SQLite and on
PostgreSQL (run the suite with TEST_DATABASE_URL for the second), and each is complete."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from admin_app import sql
from admin_app.models import UTCDateTime

CONSTRUCTS = sorted(sql._Construct.__subclasses__(), key=lambda c: c.__name__)


ARITY = {"add_days": 2, "add_minutes": 2, "hours_between": 2, "month_text": 1, "weekday": 1,
         "hour_of_day": 1, "local_datetime_text": 2, "date_text": 1, "excel_datetime": 2,
         "excel_date": 1, "random_below": 1, "right": 2, "position": 2, "repeat_text": 2,
         "first_code_point": 1, "money_text": 1, "moments_differ": 2, "json_object_of": 2,
         "json_array_of": 2}


@pytest.mark.parametrize("construct", CONSTRUCTS, ids=lambda c: c.__name__)
def test_every_construct_is_cached_and_compiles_on_both_engines(construct):
    # Without its own inherit_cache, SQLAlchemy silently stops caching every statement
    # that uses the construct.
    assert construct.__dict__.get("inherit_cache") is True
    args = [sa.column(f"a{i}") for i in range(ARITY[construct.__name__])]
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        text = str(construct(*args).compile(dialect=dialect))
        assert "a0" in text
        assert not text.startswith(construct.name + "(")  # compiled, not a made-up function


def moment(*args: int) -> sa.ColumnElement:
    return sa.literal(datetime(*args, tzinfo=UTC), UTCDateTime)


def test_time_constructs(session):
    row = session.execute(sa.select(
        sql.add_days(moment(2026, 1, 31, 10, 0), 30),
        sql.hours_between(moment(2026, 1, 1, 0, 0), moment(2026, 1, 2, 6, 30)),
        sql.month_text(moment(2026, 3, 5, 1, 0)),
        sql.weekday(moment(2026, 11, 29, 12, 0)),  # a Sunday
        sql.hour_of_day(moment(2026, 11, 29, 23, 15)),
        sql.local_datetime_text(moment(2026, 1, 1, 15, 59, 59), 480),
        sql.local_datetime_text(moment(2026, 1, 1, 3, 0), -300),
        sql.date_text(sa.literal(date(2026, 2, 28))),
        sql.excel_date(sa.literal(date(2026, 1, 1))),
        sql.excel_datetime(moment(2026, 1, 1, 6, 0), 360),
        sql.add_minutes(moment(2026, 12, 31, 23, 30), 24 * 60 + 45),
    )).one()
    due = row[0] if isinstance(row[0], datetime) else datetime.fromisoformat(row[0])
    assert due.replace(tzinfo=None) == datetime(2026, 3, 2, 10, 0)
    assert float(row[1]) == pytest.approx(30.5)
    assert row[2:5] == ("2026-03", 0, 23)
    assert row[5:8] == ("2026-01-01 23:59:59", "2025-12-31 22:00:00", "2026-02-28")
    assert float(row[8]) == 46023  # what a spreadsheet shows as 2026-01-01
    assert float(row[9]) == pytest.approx(46023.5)
    later = row[10] if isinstance(row[10], datetime) else datetime.fromisoformat(row[10])
    assert later.replace(tzinfo=None) == datetime(2027, 1, 2, 0, 15)


def test_moments_differ_by_the_moment_not_by_how_it_is_written(session):
    written = sql.add_days(moment(2026, 1, 1, 10, 0), 0)  # SQLite: text without a fraction
    row = session.execute(sa.select(
        sql.moments_differ(written, moment(2026, 1, 1, 10, 0)),
        sql.moments_differ(moment(2026, 1, 1, 10, 0), moment(2026, 1, 1, 10, 1)),
        sql.moments_differ(sa.null(), sa.null()),
        sql.moments_differ(moment(2026, 1, 1, 10, 0), sa.null()),
    )).one()
    assert [bool(v) for v in row] == [False, True, False, True]


def test_json_constructs_build_what_a_json_column_reads(session):
    from admin_app.models import AuditEntry

    session.execute(sa.insert(AuditEntry).from_select(
        ["action", "entity", "changes", "at"],
        sa.select(sa.literal("update"), sa.literal("client"), sql.json_object_of(
            "tier_id", sql.json_array_of(sa.literal(1), sa.literal(2)),
            "scope", sa.literal("全部")), sa.literal(datetime(2026, 1, 1), UTCDateTime))))
    assert session.scalar(sa.select(AuditEntry.changes)) == {"tier_id": [1, 2], "scope": "全部"}
    session.rollback()


def test_text_constructs(session):
    row = session.execute(sa.select(
        sql.right(sa.literal("13800001234"), 4), sql.position("@", sa.literal("ab@c")),
        sql.position("@", sa.literal("abc")), sql.first_code_point(sa.literal("＝1")),
        sql.repeat_text("*", 5), sql.repeat_text("*", 0),
        sql.money_text(sa.cast(sa.literal("12.5"), sa.Numeric(18, 2))),
    )).one()
    assert tuple(row) == ("1234", 3, 0, 0xFF1D, "*****", "", "12.50")


def test_an_unreachable_database_is_told_from_a_refused_statement(session, unreachable_error):
    assert sql.is_unreachable(unreachable_error)
    with pytest.raises(sa.exc.DBAPIError) as refused:
        session.execute(sa.text("SELECT * FROM no_such_table"))
    session.rollback()
    assert not sql.is_unreachable(refused.value)
    assert not sql.is_unreachable(ValueError("unable to open database file"))
