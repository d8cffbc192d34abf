"""The application's own PostgreSQL role, which cannot rewrite history.

Run migrations as the database's owner; run the app as a role made by ``grant_app_role``:
it may read and write every table but may only *add* to the audit log (no UPDATE, DELETE
or TRUNCATE on ``audit_entry``), so even a flaw in the app, or someone with its
password, cannot edit or erase an entry. Run it again after each migration: tables a
migration adds get the same grants (the command is idempotent).

SQLite has no roles: there the audit log is append-only through the app (no screen or URL
edits or deletes an entry) and the file's permissions."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.engine import Connection

AUDIT_TABLE = "audit_entry"
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RoleError(ValueError):
    """The role can't be set up (bad name, not PostgreSQL)."""


def grant_app_role(connection: Connection, role: str) -> None:
    """Create ``role`` (LOGIN, no password: set one with ALTER ROLE) if it does not exist,
    and grant it what the app needs on the current schema, less changing the audit log."""
    if connection.dialect.name != "postgresql":
        raise RoleError("Database roles exist on PostgreSQL only.")
    if not ROLE_NAME.match(role):
        raise RoleError(f"{role!r} is not a role name: lower-case letters, digits and _.")
    exists = connection.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                               {"r": role})
    if not exists:
        connection.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
    database = connection.scalar(sa.text("SELECT current_database()"))
    for statement in (
        f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"',
        f'GRANT USAGE ON SCHEMA public TO "{role}"',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
        f'GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
        f'REVOKE UPDATE, DELETE, TRUNCATE ON {AUDIT_TABLE} FROM "{role}"',
    ):
        connection.exec_driver_sql(statement)
    if connection.scalar(sa.text("SELECT to_regclass('alembic_version')")) is not None:
        # The schema's version is the migrations' business: the app only reads it.
        connection.exec_driver_sql(f'REVOKE ALL ON alembic_version FROM "{role}"')
        connection.exec_driver_sql(f'GRANT SELECT ON alembic_version TO "{role}"')
