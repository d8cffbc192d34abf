"""The one place where SQLite and PostgreSQL differ.

Services state their rules with the small SQL constructs below (``add_days``,
``hours_between``, ``local_datetime_text`` …); each is compiled per engine with
SQLAlchemy's compiler extension, the way Django's database functions carry an
``as_sqlite`` and an ``as_postgresql``. A third engine is one more ``@compiles`` per
construct here, and nothing in ``services/`` changes.

Every argument of a construct is a SQL expression (Python values become bound
parameters), so statements that use them are cached by SQLAlchemy like any other.

The few differences that are not expressions (connection settings, row locks, temporary
tables, conflict-ignoring inserts, bulk loading, lock-timeout and unreachable-database
errors, which constraint a refused write broke) are functions at the end of the module,
over a session or an engine.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql import coercions, roles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal

SQLITE, POSTGRESQL = "sqlite", "postgresql"
EXCEL_EPOCH_JULIAN = 2415018.5  # 1899-12-30, day 0 of a spreadsheet's serial dates
EXCEL_EPOCH_UNIX_DAYS = 25569  # 1970-01-01 as a spreadsheet serial date
POSTGRESQL_LOCK_NOT_AVAILABLE = "55P03"
# SQLSTATE classes of a server that can't serve now: connection exception (08), insufficient
# resources (53: too many connections, out of memory), operator intervention (57: shutting
# down, starting up, a statement cancelled).
POSTGRESQL_UNAVAILABLE_CLASSES = frozenset({"08", "53", "57"})
# SQLite's primary result codes for a database file that can't be used: READONLY, IOERR,
# FULL, CANTOPEN.
SQLITE_UNAVAILABLE_CODES = frozenset({8, 10, 13, 14})
DIGITS_PREFIX = re.compile(r"\+?[0-9]+", re.ASCII)


def _text(expr: Any) -> Any:
    return sa.cast(expr, sa.Text)


def _const(text: str) -> Any:
    """A constant text written into the SQL itself (formats), not a bound parameter, so
    that an expression in GROUP BY reads the same as in the select list."""
    return sa.literal_column("'" + text.replace("'", "''") + "'", sa.Text)


def _args(element: FunctionElement[Any]) -> list[Any]:
    return list(element.clauses)


class _Construct(FunctionElement[Any]):
    """A function whose SQL is chosen per engine; arguments are expressions (Python
    values become bound parameters)."""

    inherit_cache = True
    name = "cc_construct"  # "cc_…" names appear only where an engine has no compilation


def _compile(compiler: SQLCompiler, expression: Any, **kw: Any) -> str:
    return str(compiler.process(expression, **kw))


# --- time -------------------------------------------------------------------------------


class add_days(_Construct):  # noqa: N801 - reads as a SQL function
    """``moment`` plus ``days`` days (an integer expression): a UTC time stamp."""

    inherit_cache = True
    type = sa.DateTime()
    name = "cc_add_days"


@compiles(add_days, SQLITE)
def _add_days_sqlite(element: add_days, compiler: SQLCompiler, **kw: Any) -> str:
    moment, days = _args(element)
    return _compile(compiler, sa.func.strftime(
        _const("%Y-%m-%d %H:%M:%S"), moment, _text(days) + sa.literal(" days")), **kw)


@compiles(add_days, POSTGRESQL)
def _add_days_postgresql(element: add_days, compiler: SQLCompiler, **kw: Any) -> str:
    moment, days = _args(element)
    return _compile(compiler, moment + sa.func.make_interval(0, 0, 0, days), **kw)


class add_minutes(_Construct):  # noqa: N801
    """``moment`` plus ``minutes`` minutes (an integer expression): a UTC time stamp."""

    inherit_cache = True
    type = sa.DateTime()
    name = "cc_add_minutes"


@compiles(add_minutes, SQLITE)
def _add_minutes_sqlite(element: add_minutes, compiler: SQLCompiler, **kw: Any) -> str:
    moment, minutes = _args(element)
    return _compile(compiler, sa.func.strftime(
        _const("%Y-%m-%d %H:%M:%S"), moment, _text(minutes) + sa.literal(" minutes")), **kw)


@compiles(add_minutes, POSTGRESQL)
def _add_minutes_postgresql(element: add_minutes, compiler: SQLCompiler, **kw: Any) -> str:
    moment, minutes = _args(element)
    return _compile(compiler, moment + sa.func.make_interval(
        0, 0, 0, 0, 0, sa.cast(minutes, sa.Integer)), **kw)


class moments_differ(_Construct):  # noqa: N801
    """True unless the two UTC time stamps are the same moment (or both NULL). SQLite
    keeps times as text, in which one moment can be written with or without its fraction
    of a second: compared as Julian days there."""

    inherit_cache = True
    type = sa.Boolean()
    name = "cc_moments_differ"


@compiles(moments_differ, SQLITE)
def _differ_sqlite(element: moments_differ, compiler: SQLCompiler, **kw: Any) -> str:
    first, second = _args(element)
    return _compile(compiler, sa.func.julianday(first).is_distinct_from(
        sa.func.julianday(second)), **kw)


@compiles(moments_differ, POSTGRESQL)
def _differ_postgresql(element: moments_differ, compiler: SQLCompiler, **kw: Any) -> str:
    first, second = _args(element)
    return _compile(compiler, first.is_distinct_from(second), **kw)


class json_object_of(_Construct):  # noqa: N801
    """A JSON object of ``key, value, key, value, …`` (keys as texts), for a JSON column
    filled by INSERT … SELECT (the audit entries of a set-based change)."""

    inherit_cache = True
    type = sa.JSON()
    name = "cc_json_object_of"


@compiles(json_object_of, SQLITE)
def _json_object_sqlite(element: json_object_of, compiler: SQLCompiler, **kw: Any) -> str:
    return _compile(compiler, sa.func.json_object(*_args(element)), **kw)


@compiles(json_object_of, POSTGRESQL)
def _json_object_postgresql(element: json_object_of, compiler: SQLCompiler, **kw: Any) -> str:
    return _compile(compiler, sa.func.json_build_object(*_args(element)), **kw)


class json_array_of(_Construct):  # noqa: N801
    """A JSON array of the values (a change's ``[old, new]``)."""

    inherit_cache = True
    type = sa.JSON()
    name = "cc_json_array_of"


@compiles(json_array_of, SQLITE)
def _json_array_sqlite(element: json_array_of, compiler: SQLCompiler, **kw: Any) -> str:
    return _compile(compiler, sa.func.json_array(*_args(element)), **kw)


@compiles(json_array_of, POSTGRESQL)
def _json_array_postgresql(element: json_array_of, compiler: SQLCompiler, **kw: Any) -> str:
    return _compile(compiler, sa.func.json_build_array(*_args(element)), **kw)


class hours_between(_Construct):  # noqa: N801
    """Hours from ``start`` to ``end``, with fractions."""

    inherit_cache = True
    type = sa.Float()
    name = "cc_hours_between"


@compiles(hours_between, SQLITE)
def _hours_sqlite(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _args(element)
    return _compile(compiler, (sa.func.julianday(end) - sa.func.julianday(start)) * 24.0, **kw)


@compiles(hours_between, POSTGRESQL)
def _hours_postgresql(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _args(element)
    return _compile(compiler, sa.extract("epoch", end - start) / 3600.0, **kw)


class month_text(_Construct):  # noqa: N801
    """``YYYY-MM`` of a time stamp."""

    inherit_cache = True
    type = sa.Text()
    name = "cc_month_text"


@compiles(month_text, SQLITE)
def _month_sqlite(element: month_text, compiler: SQLCompiler, **kw: Any) -> str:
    return _compile(compiler, sa.func.strftime(_const("%Y-%m"), *_args(element)), **kw)


@compiles(month_text, POSTGRESQL)
def _month_postgresql(element: month_text, compiler: SQLCompiler, **kw: Any) -> str:
    return _compile(compiler, sa.func.to_char(*_args(element), _const("YYYY-MM")), **kw)


class weekday(_Construct):  # noqa: N801
    """Day of the week of a time stamp, 0 = Sunday."""

    inherit_cache = True
    type = sa.Integer()
    name = "cc_weekday"


@compiles(weekday, SQLITE)
def _weekday_sqlite(element: weekday, compiler: SQLCompiler, **kw: Any) -> str:
    value = sa.func.strftime(_const("%w"), *_args(element))
    return _compile(compiler, sa.cast(value, sa.Integer), **kw)


@compiles(weekday, POSTGRESQL)
def _weekday_postgresql(element: weekday, compiler: SQLCompiler, **kw: Any) -> str:
    return _compile(compiler, sa.cast(sa.extract("dow", *_args(element)), sa.Integer), **kw)


class hour_of_day(_Construct):  # noqa: N801
    """Hour (0–23) of a time stamp."""

    inherit_cache = True
    type = sa.Integer()
    name = "cc_hour_of_day"


@compiles(hour_of_day, SQLITE)
def _hour_sqlite(element: hour_of_day, compiler: SQLCompiler, **kw: Any) -> str:
    value = sa.func.strftime(_const("%H"), *_args(element))
    return _compile(compiler, sa.cast(value, sa.Integer), **kw)


@compiles(hour_of_day, POSTGRESQL)
def _hour_postgresql(element: hour_of_day, compiler: SQLCompiler, **kw: Any) -> str:
    return _compile(compiler, sa.cast(sa.extract("hour", *_args(element)), sa.Integer), **kw)


class local_datetime_text(_Construct):  # noqa: N801
    """``YYYY-MM-DD HH:MM:SS`` of a UTC time stamp shifted by ``minutes``; the fraction of
    a second is cut off first, as the screens show it (never rounded into the next one)."""

    inherit_cache = True
    type = sa.Text()
    name = "cc_local_datetime_text"


@compiles(local_datetime_text, SQLITE)
def _local_text_sqlite(element: local_datetime_text, compiler: SQLCompiler, **kw: Any) -> str:
    moment, minutes = _args(element)
    return _compile(compiler, sa.func.datetime(sa.func.substr(moment, 1, 19),
                                               _text(minutes) + sa.literal(" minutes"),
                                               type_=sa.Text), **kw)


@compiles(local_datetime_text, POSTGRESQL)
def _local_text_postgresql(element: local_datetime_text, compiler: SQLCompiler,
                           **kw: Any) -> str:
    moment, minutes = _args(element)
    shifted = moment + sa.func.make_interval(0, 0, 0, 0, 0, minutes)
    return _compile(compiler, sa.func.to_char(shifted, _const("YYYY-MM-DD HH24:MI:SS")), **kw)


class date_text(_Construct):  # noqa: N801
    """``YYYY-MM-DD`` of a date."""

    inherit_cache = True
    type = sa.Text()
    name = "cc_date_text"


@compiles(date_text, SQLITE)
def _date_text_sqlite(element: date_text, compiler: SQLCompiler, **kw: Any) -> str:
    return _compile(compiler, _text(*_args(element)), **kw)


@compiles(date_text, POSTGRESQL)
def _date_text_postgresql(element: date_text, compiler: SQLCompiler, **kw: Any) -> str:
    return _compile(compiler, sa.func.to_char(*_args(element), _const("YYYY-MM-DD")), **kw)


class excel_datetime(_Construct):  # noqa: N801
    """A spreadsheet's serial number (days since 1899-12-30, with the time as a fraction)
    of a UTC time stamp shifted by ``minutes``."""

    inherit_cache = True
    type = sa.Float()
    name = "cc_excel_datetime"


@compiles(excel_datetime, SQLITE)
def _excel_datetime_sqlite(element: excel_datetime, compiler: SQLCompiler, **kw: Any) -> str:
    moment, minutes = _args(element)
    return _compile(compiler, sa.func.julianday(moment) - EXCEL_EPOCH_JULIAN + minutes / 1440.0,
                    **kw)


@compiles(excel_datetime, POSTGRESQL)
def _excel_datetime_postgresql(element: excel_datetime, compiler: SQLCompiler,
                               **kw: Any) -> str:
    moment, minutes = _args(element)
    days = sa.extract("epoch", moment) / 86400.0 + EXCEL_EPOCH_UNIX_DAYS + minutes / 1440.0
    return _compile(compiler, days, **kw)


class excel_date(_Construct):  # noqa: N801
    """A spreadsheet's serial number of a date."""

    inherit_cache = True
    type = sa.Float()
    name = "cc_excel_date"


@compiles(excel_date, SQLITE)
def _excel_date_sqlite(element: excel_date, compiler: SQLCompiler, **kw: Any) -> str:
    return _compile(compiler, sa.func.julianday(*_args(element)) - EXCEL_EPOCH_JULIAN, **kw)


@compiles(excel_date, POSTGRESQL)
def _excel_date_postgresql(element: excel_date, compiler: SQLCompiler, **kw: Any) -> str:
    (day,) = _args(element)
    return _compile(compiler, day - sa.cast(sa.literal("1899-12-30"), sa.Date), **kw)


class random_below(_Construct):  # noqa: N801
    """A random whole number from 0 to ``n`` - 1 (benchmark data)."""

    inherit_cache = True
    type = sa.Integer()
    name = "cc_random_below"


@compiles(random_below, SQLITE)
def _random_below_sqlite(element: random_below, compiler: SQLCompiler, **kw: Any) -> str:
    return _compile(compiler, sa.func.abs(sa.func.random()) % _args(element)[0], **kw)


@compiles(random_below, POSTGRESQL)
def _random_below_postgresql(element: random_below, compiler: SQLCompiler, **kw: Any) -> str:
    (n,) = _args(element)
    return _compile(compiler, sa.cast(sa.func.floor(sa.func.random() * n), sa.BigInteger), **kw)


# --- text ---------------------------------------------------------------------------------


class right(_Construct):  # noqa: N801
    """The last ``n`` characters of a text."""

    inherit_cache = True
    type = sa.Text()
    name = "cc_right"


@compiles(right, SQLITE)
def _right_sqlite(element: right, compiler: SQLCompiler, **kw: Any) -> str:
    text, n = _args(element)
    return _compile(compiler, sa.func.substr(text, -n, type_=sa.Text), **kw)


@compiles(right, POSTGRESQL)
def _right_postgresql(element: right, compiler: SQLCompiler, **kw: Any) -> str:
    return _compile(compiler, sa.func.right(*_args(element), type_=sa.Text), **kw)


class starts_with(sa.sql.expression.ColumnElement[bool]):  # noqa: N801
    """``text`` begins with ``prefix`` (digits and a leading "+" only, as canonical phone
    numbers are written), as a match that a plain b-tree index serves.

    The prefix is written into the SQL, not bound: SQLite's planner turns a GLOB with a
    constant prefix into an index range (a LIKE only under a NOCASE index), and
    PostgreSQL does the same for LIKE, through an index with ``text_pattern_ops`` outside
    the C collation."""

    inherit_cache = True
    type = sa.Boolean()
    _is_implicitly_boolean = True  # a comparison in itself: no "= 1" added on SQLite
    _traverse_internals = [("text", InternalTraversal.dp_clauseelement),
                           ("prefix", InternalTraversal.dp_string)]

    def __init__(self, text: Any, prefix: str) -> None:
        if not DIGITS_PREFIX.fullmatch(prefix):
            raise ValueError(f"not a prefix of digits: {prefix!r}")
        self.text = coercions.expect(roles.ExpressionElementRole, text)
        self.prefix = prefix


@compiles(starts_with, SQLITE)
def _starts_with_sqlite(element: starts_with, compiler: SQLCompiler, **kw: Any) -> str:
    pattern = _compile(compiler, _const(element.prefix + "*"), **kw)
    return f"{_compile(compiler, element.text, **kw)} GLOB {pattern}"


@compiles(starts_with, POSTGRESQL)
def _starts_with_postgresql(element: starts_with, compiler: SQLCompiler, **kw: Any) -> str:
    pattern = _compile(compiler, _const(element.prefix + "%"), **kw)  # "%%" for psycopg
    return f"{_compile(compiler, element.text, **kw)} LIKE {pattern}"


class position(_Construct):  # noqa: N801
    """Where ``needle`` first occurs in ``text`` (1-based; 0 when it doesn't)."""

    inherit_cache = True
    type = sa.Integer()
    name = "cc_position"


@compiles(position, SQLITE)
def _position_sqlite(element: position, compiler: SQLCompiler, **kw: Any) -> str:
    needle, text = _args(element)
    return _compile(compiler, sa.func.instr(text, needle), **kw)


@compiles(position, POSTGRESQL)
def _position_postgresql(element: position, compiler: SQLCompiler, **kw: Any) -> str:
    needle, text = _args(element)
    return _compile(compiler, sa.func.strpos(text, needle), **kw)


class repeat_text(_Construct):  # noqa: N801
    """``text`` repeated ``n`` times (empty for n <= 0)."""

    inherit_cache = True
    type = sa.Text()
    name = "cc_repeat_text"


@compiles(repeat_text, SQLITE)
def _repeat_sqlite(element: repeat_text, compiler: SQLCompiler, **kw: Any) -> str:
    text, n = _args(element)  # n zero bytes as hex are 2n zeros: each pair becomes text
    zeros = sa.func.hex(sa.func.zeroblob(n), type_=sa.Text)
    return _compile(compiler, sa.func.replace(zeros, _const("00"), text, type_=sa.Text), **kw)


@compiles(repeat_text, POSTGRESQL)
def _repeat_postgresql(element: repeat_text, compiler: SQLCompiler, **kw: Any) -> str:
    return _compile(compiler, sa.func.repeat(*_args(element), type_=sa.Text), **kw)


class first_code_point(_Construct):  # noqa: N801
    """The Unicode code point of a text's first character."""

    inherit_cache = True
    type = sa.Integer()
    name = "cc_first_code_point"


@compiles(first_code_point, SQLITE)
def _first_code_point_sqlite(element: first_code_point, compiler: SQLCompiler,
                             **kw: Any) -> str:
    return _compile(compiler, sa.func.unicode(*_args(element)), **kw)


@compiles(first_code_point, POSTGRESQL)
def _first_code_point_postgresql(element: first_code_point, compiler: SQLCompiler,
                                 **kw: Any) -> str:
    return _compile(compiler, sa.func.ascii(*_args(element)), **kw)  # UTF-8: the code point


class money_text(_Construct):  # noqa: N801
    """A money amount as text with two decimals (``1234.50``)."""

    inherit_cache = True
    type = sa.Text()
    name = "cc_money_text"


@compiles(money_text, SQLITE)
def _money_text_sqlite(element: money_text, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps no scale; PostgreSQL's numeric(18,2) does.
    return _compile(compiler, sa.func.printf(_const("%.2f"), *_args(element), type_=sa.Text), **kw)


@compiles(money_text, POSTGRESQL)
def _money_text_postgresql(element: money_text, compiler: SQLCompiler, **kw: Any) -> str:
    return _compile(compiler, _text(*_args(element)), **kw)


# --- what is not an expression ----------------------------------------------------------


def engine_of(session: Session) -> str:
    return session.get_bind().dialect.name


def configure_engine(engine: sa.Engine, lock_timeout_ms: int) -> None:
    """Settings on every new connection: how long a write waits for another's lock, and on
    SQLite foreign keys, WAL and a relaxed sync (safe with WAL)."""
    if engine.dialect.name == POSTGRESQL:
        @sa.event.listens_for(engine, "connect")
        def _postgresql_settings(dbapi_connection: Any, record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f"SET lock_timeout = {lock_timeout_ms:d}")
            cursor.close()
            dbapi_connection.commit()  # a SET in a rolled-back transaction would be undone
        return
    if engine.dialect.name != SQLITE:
        return

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={lock_timeout_ms:d}")
        cursor.close()


@contextmanager
def impatient_transaction(engine: sa.Engine, wait_ms: int) -> Iterator[sa.Connection]:
    """A transaction on a connection of its own, committed at the end of the block, whose
    writes wait at most ``wait_ms`` for another's lock (instead of ``LOCK_TIMEOUT_MS``)."""
    with engine.connect() as connection:
        on_sqlite = connection.dialect.name == SQLITE
        previous = 0
        if on_sqlite:
            previous = int(connection.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0)
            connection.exec_driver_sql(f"PRAGMA busy_timeout = {wait_ms:d}")
        elif connection.dialect.name == POSTGRESQL:
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = {wait_ms:d}")
        try:
            yield connection
            connection.commit()
        finally:
            connection.rollback()
            if on_sqlite:  # the pooled connection goes back with the usual timeout
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {previous:d}")
                connection.commit()


def refuse_to_create(engine: sa.Engine, path: Path, *, allowed: Callable[[], bool],
                     refusal: Callable[[], Exception]) -> None:
    """On SQLite, refuse to connect while the database file ``path`` is missing (a
    connection would create it empty), unless ``allowed()`` says the caller creates it on
    purpose: ``refusal()`` is raised instead."""
    @sa.event.listens_for(engine, "do_connect")
    def _refuse_missing_file(dialect: Any, record: Any, cargs: Any, cparams: Any) -> None:
        if not path.exists() and not allowed():
            raise refusal()


def is_lock_timeout(error: BaseException) -> bool:
    """True for a write refused because another writer's lock outlasted the timeout
    (PostgreSQL's lock_timeout, SQLite's busy timeout)."""
    if not isinstance(error, sa.exc.OperationalError):
        return False
    original = error.orig
    if getattr(original, "sqlstate", None) == POSTGRESQL_LOCK_NOT_AVAILABLE:
        return True
    return "database is locked" in str(original)  # SQLite: SQLITE_BUSY after the timeout


def is_unreachable(error: BaseException) -> bool:
    """True for a database that can't be used just now (the server down, restarting or out
    of connections; SQLite's file, directory or disk gone or read-only), as opposed to a
    lock timeout or a statement the database refused."""
    if isinstance(error, sa.exc.InterfaceError):  # e.g. a connection closed under us
        return True
    if not isinstance(error, sa.exc.OperationalError) or is_lock_timeout(error):
        return False
    if error.connection_invalidated:  # the dialect recognised a lost connection
        return True
    original = error.orig
    code = getattr(original, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in SQLITE_UNAVAILABLE_CODES  # an extended code keeps it low
    if original is None or not hasattr(original, "sqlstate"):
        return False
    state = original.sqlstate  # None: psycopg failed before the server answered
    return state is None or str(state)[:2] in POSTGRESQL_UNAVAILABLE_CLASSES


SQLITE_CHECK_FAILED = re.compile(r"CHECK constraint failed: (\w+)")
SQLITE_UNIQUE_FAILED = re.compile(r"UNIQUE constraint failed: ((?:\w+\.\w+(?:, )?)+)")


def violated_constraint(error: sa.exc.IntegrityError, metadata: sa.MetaData) -> str | None:
    """The name of the CHECK or UNIQUE constraint the database refused a write for, or
    None when it names none (NOT NULL, foreign keys).

    PostgreSQL reports the name; SQLite names a CHECK constraint but a UNIQUE one only by
    its columns (``client.code``), which ``metadata`` turns back into the constraint."""
    original = error.orig
    diag = getattr(original, "diag", None)
    if diag is not None:
        name = getattr(diag, "constraint_name", None)
        return str(name) if name else None
    message = str(original)
    if match := SQLITE_CHECK_FAILED.search(message):
        return match.group(1)
    if match := SQLITE_UNIQUE_FAILED.search(message):
        qualified = [part.split(".") for part in match.group(1).split(", ")]
        table = metadata.tables.get(qualified[0][0])
        columns = {column for _table, column in qualified}
        return unique_constraint_name(table, columns) if table is not None else None
    return None


def unique_constraint_name(table: sa.Table, columns: set[str]) -> str | None:
    """The UNIQUE constraint (or unique index) of ``table`` over exactly ``columns``."""
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint) and \
                {c.name for c in constraint.columns} == columns:
            return str(constraint.name)
    for index in table.indexes:
        if index.unique and {c.name for c in index.columns} == columns:
            return str(index.name)
    return None


def lock_against_writers(session: Session, model: Any) -> None:
    """Hold the rows of ``model``'s table against other writers until the transaction ends.

    PostgreSQL: the rows locked FOR NO KEY UPDATE, which clashes with another such lock
    and with saving a row, but not with inserts elsewhere that refer to them.
    SQLite: a write that changes nothing, which takes the database's single write lock."""
    pk = model.__mapper__.primary_key[0]
    if engine_of(session) == POSTGRESQL:
        session.execute(sa.select(pk).with_for_update(key_share=True)).all()
    else:
        session.execute(sa.update(model).where(sa.false()).values({pk.key: pk})
                        .execution_options(synchronize_session=False))


def hold_named_lock(session: Session, key: int) -> None:
    """Make the work named by ``key`` one at a time until the transaction ends, without
    holding any rows. PostgreSQL: a transaction-level advisory lock. SQLite needs none:
    its one writer at a time already keeps two such transactions apart."""
    if engine_of(session) == POSTGRESQL:
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


def create_temp_table(session: Session, name: str, select: sa.Select[Any]) -> None:
    """A temporary table ``name`` holding the rows of ``select`` (replacing one left by
    this connection), with a column of the same name and type for each of its columns.

    The statement is the expression itself, its values bound as parameters: the table is
    created, then filled by ``INSERT … SELECT``, never by SQL text with the values written
    in, so a search text reaches the database as the value it is (``:abc``, quotes, ``%``).
    (PostgreSQL takes no parameters in ``CREATE TABLE … AS``.)

    On PostgreSQL the planner is then given the table's real size and the cost of a
    random read on cached data, so that joining its few rows to a large table goes by
    primary key rather than by scanning the large table again."""
    schema = "pg_temp" if engine_of(session) == POSTGRESQL else "temp"
    session.execute(sa.text(f"DROP TABLE IF EXISTS {schema}.{name}"))
    columns = [sa.Column(column.name, sa.Integer() if isinstance(column.type, sa.types.NullType)
               else column.type)
               for column in select.selected_columns]
    table = sa.Table(name, sa.MetaData(), *columns, prefixes=["TEMPORARY"])
    table.create(session.connection())
    session.execute(sa.insert(table).from_select([c.name for c in columns], select))
    if schema == "pg_temp":
        session.execute(sa.text(f"ANALYZE pg_temp.{name}"))
        session.execute(sa.text("SET LOCAL random_page_cost = 1.1"))


def insert_ignoring_conflicts(session: Session, table: Any, values: dict[str, Any],
                              index_elements: list[str]) -> Any:
    """``INSERT … ON CONFLICT (index_elements) DO NOTHING``."""
    insert = postgresql.insert if engine_of(session) == POSTGRESQL else sqlite.insert
    return insert(table).values(**values).on_conflict_do_nothing(index_elements=index_elements)


# --- bulk loading (demo data, benchmarks) -----------------------------------------------

SQLITE_CACHE_KIB = 128 * 1024


def max_id(session: Session, table: sa.Table) -> int:
    """The highest id in ``table`` (0 when empty): where ids assigned by hand start."""
    return session.scalar(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))) or 0


def bulk_insert(session: Session, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Write ``rows`` (dicts with the same keys) in one round trip.

    On PostgreSQL an ``executemany`` is still one INSERT per row on the server: for
    100,000 clients about 28 s of server CPU against 11 s for one set-based insert per
    batch and table, at the same client cost. So there each column travels as one array
    and ``INSERT ... SELECT FROM unnest(...)`` writes the batch. On SQLite Core's
    ``executemany`` is already the fast path."""
    if not rows:
        return
    if engine_of(session) != POSTGRESQL:
        session.execute(sa.insert(table), rows)
        return
    columns = tuple(rows[0])
    session.execute(_unnest_insert(table, columns),
                    {name: [row[name] for row in rows] for name in columns})


def _unnest_insert(table: sa.Table, columns: tuple[str, ...]) -> sa.TextClause:
    """``INSERT INTO t (a, b) SELECT * FROM unnest(CAST(:a AS INTEGER[]), ...)``.

    Arrays are cast to the column's base type without length or precision, so a value
    that does not fit fails on assignment instead of being truncated by the cast; CHECK
    and foreign-key constraints apply as for any insert."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    quote = dialect.identifier_preparer.quote
    arrays = []
    for name in columns:
        base = table.c[name].type.compile(dialect=dialect).split("(")[0].strip()
        arrays.append(f"CAST(:{name} AS {base}[])")
    return sa.text(f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, columns))}) "
                   f"SELECT * FROM unnest({', '.join(arrays)})")


def advance_sequence(session: Session, table: sa.Table) -> None:
    """Move the id sequence past ids assigned by hand (PostgreSQL; SQLite has none)."""
    if engine_of(session) != POSTGRESQL:
        return
    session.execute(sa.text(
        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
        f"(SELECT max(id) FROM {table.name}))"
    ))


@contextmanager
def roomy_cache(session: Session) -> Iterator[None]:
    """On SQLite, a larger page cache for a bulk load (or a set-based write over much of a
    large table, such as moving the due dates of a tier's clients), then the old size back.

    The default 2 MB cache thrashes once a dozen indexes on random-order keys (names,
    phones, ID numbers) outgrow it: 100,000 clients then take about twice as long."""
    connection = session.connection()
    if connection.dialect.name != SQLITE:
        yield
        return
    old = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with suppress(sa.exc.SQLAlchemyError):
            connection.exec_driver_sql(f"PRAGMA cache_size={int(old or -2000)}")


def refresh_statistics(session: Session) -> None:
    """After a bulk load: PostgreSQL's planner told the tables' new sizes (SQLite keeps
    no statistics unless asked, and is left as the app finds it)."""
    if engine_of(session) == POSTGRESQL:
        session.execute(sa.text("ANALYZE"))


def settle(engine: sa.Engine) -> None:
    """The same starting point for every measured benchmark run: dead rows vacuumed, as
    autovacuum would leave them, and earlier writes flushed, so that a run doesn't share
    the disk with the checkpoint they would otherwise trigger."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == POSTGRESQL:
            conn.execute(sa.text("VACUUM ANALYZE"))
            conn.execute(sa.text("CHECKPOINT"))
        else:
            conn.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
