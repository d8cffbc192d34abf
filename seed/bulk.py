"""Bulk-insert plumbing for the demo data: rows as plain dicts, written a batch at a time
with Core inserts. An ORM object per row would take minutes and hold everything in memory.

The engine-specific branches (``dialect.name``) are deliberate: PostgreSQL writes a batch
with one ``INSERT ... SELECT FROM unnest`` and has id sequences to advance; SQLite wants a
larger page cache while seeding.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

SQLITE_CACHE_KIB = 128 * 1024


def max_id(session: Session, table: sa.Table) -> int:
    return session.scalar(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))) or 0


def insert(session: Session, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Write ``rows`` (dicts with the same keys) in one round trip.

    On PostgreSQL an ``executemany`` is still one INSERT per row on the server: for
    100,000 clients about 28 s of server CPU against 11 s for one set-based insert per
    batch and table, at the same client cost. So there each column travels as one array
    and ``INSERT ... SELECT FROM unnest(...)`` writes the batch. Elsewhere (SQLite) Core
    ``executemany`` is already the fast path."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(sa.insert(table), rows)
        return
    columns = tuple(rows[0])
    session.execute(unnest_insert(table, columns),
                    {name: [row[name] for row in rows] for name in columns})


def unnest_insert(table: sa.Table, columns: tuple[str, ...]) -> sa.TextClause:
    """``INSERT INTO t (a, b) SELECT * FROM unnest(CAST(:a AS INTEGER[]), ...)``.

    Arrays are cast to the column's base type without length or precision, so a value
    that does not fit fails on assignment instead of being truncated by the cast; CHECK
    and foreign-key constraints apply as for any insert."""
    dialect = postgresql.dialect()
    quote = dialect.identifier_preparer.quote
    arrays = []
    for name in columns:
        base = table.c[name].type.compile(dialect=dialect).split("(")[0].strip()
        arrays.append(f"CAST(:{name} AS {base}[])")
    return sa.text(f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, columns))}) "
                   f"SELECT * FROM unnest({', '.join(arrays)})")


def advance_sequence(session: Session, table: sa.Table) -> None:
    """PostgreSQL only: move the id sequence past the ids assigned here."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(sa.text(
        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
        f"(SELECT max(id) FROM {table.name}))"
    ))


@contextmanager
def roomy_sqlite_cache(session: Session) -> Iterator[None]:
    """On SQLite, a larger page cache while seeding, then the old size back.

    The default 2 MB cache thrashes once a dozen indexes on random-order keys (names,
    phones, ID numbers) outgrow it: 100,000 clients then take about twice as long."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    old = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with suppress(sa.exc.SQLAlchemyError):
            connection.exec_driver_sql(f"PRAGMA cache_size={int(old)}")
