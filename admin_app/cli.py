"""Command-line interface: thin click wrappers over services, registered by the factory."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from .enums import Role
from .extensions import babel, db
from .models import User
from .services import accounts, audit

users_cli = AppGroup("users", help="Manage user accounts.")
tiers_cli = AppGroup("tiers", help="Client tiers.")

DEMO_USERS = (
    ("admin", Role.admin, "王芳"),
    ("supervisor", Role.supervisor, "李强"),
    ("staff", Role.staff, "张敏"),
)


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password", help="Prompted for when not given.")
@click.option("--full-name", default="")
@click.option("--department", default=None)
def users_create(username: str, role: str, password: str | None, full_name: str,
                 department: str | None) -> None:
    """Create a user with ROLE."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(db.session, username, role=role, password=password,
                                    full_name=full_name, department=department)
    except accounts.AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created {user.role.value} '{user.username}'.")


@click.command("seed")
@with_appcontext
@click.option("--clients", type=click.IntRange(min=0), default=1000, show_default=True)
@click.option("--random-seed", type=int, default=None, help="Make the data reproducible.")
def seed_command(clients: int, random_seed: int | None) -> None:
    """Create the default tiers if missing, then CLIENTS demo clients with their history."""
    from seed.demo import generate
    from seed.tiers import ensure_default_tiers

    created = ensure_default_tiers(db.session)
    db.session.commit()
    if created:
        click.echo(f"Created {created} default tiers.")
    if clients:
        with click.progressbar(length=clients, label="Clients") as bar:
            counts = generate(db.session, clients=clients, random_seed=random_seed,
                              progress=bar.update)
        audit.record(db.session, action="seed", entity="client", changes=counts)
        db.session.commit()
        click.echo(", ".join(f"{n} {name}" for name, n in counts.items()))


@click.command("demo")
@with_appcontext
@click.option("--clients", type=click.IntRange(min=0), default=2000, show_default=True)
def demo_command(clients: int) -> None:
    """Set up a demo: default tiers; on an empty database demo data and three demo users."""
    from seed.tiers import ensure_default_tiers

    ensure_default_tiers(db.session)
    db.session.commit()
    password = _demo_password()
    if db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0:
        for username, role, name in DEMO_USERS:
            accounts.create_user(db.session, username, role=role, password=password,
                                 full_name=name, department="客户服务部")
        db.session.commit()
        if clients:
            click.get_current_context().invoke(seed_command, clients=clients, random_seed=None)
    demo = db.session.scalars(sa.select(User).where(
        User.username.in_([u for u, _r, _n in DEMO_USERS]))).all()
    usable = [u for u in demo if u.check_password(password)]
    if usable:
        click.echo("Demo users (user name / password):")
        for user in sorted(usable, key=lambda u: u.username):
            click.echo(f"  {user.username:<11} {password}   ({user.role.value})")
    else:
        click.echo("The database already has users; demo passwords are not shown.")


@tiers_cli.command("recalc")
@click.option("--dry-run", is_flag=True, help="Only report what would change.")
def tiers_recalc(dry_run: bool) -> None:
    """Recalculate every unlocked client's tier (all or nothing)."""
    from .services import locking, messages, tiers

    try:
        with locking.refusing_busy_writes():
            with click.progressbar(length=3, label="Recalculating") as bar:
                result = tiers.recalculate(db.session, dry_run=dry_run, progress=bar.update)
            db.session.commit()
    except locking.Busy as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    click.echo(messages.recalculation_summary(result))


@click.command("refresh-callback-dates")
@with_appcontext
def refresh_callback_dates_command() -> None:
    """Write again the column client.next_callback_due, the copy of each client's next
    callback date kept for reports (the screens compute the date themselves)."""
    from .services import callbacks

    changed = callbacks.refresh_due_copies(db.session)
    click.echo(f"Next callback dates refreshed: {changed} changed.")


@click.command("export")
@click.argument("entity", type=click.Choice(["clients", "visits", "events", "complaints"]))
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
@with_appcontext
def export_command(entity: str, fmt: str, output: str) -> None:
    """Write the ENTITY list (all rows, same columns as the screens) to a file."""
    from .services import exports, locking

    try:  # times in the firm's zone: the command has no user of its own
        export = exports.start(db.session, entity, fmt, tz=babel.default_timezone,
                               details={"scope": "cli"})
        with locking.refusing_busy_writes():  # audited before the first byte is written
            export.begin(db.session)
            db.session.commit()
    except (exports.ExportError, locking.Busy) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    started = time.perf_counter()  # the rate of writing rows, after counting them
    finished = False
    try:
        with open(output, "wb") as out, click.progressbar(length=export.total or 0,
                                                          label="Rows") as bar:
            for chunk in export.chunks(db.session,
                                       on_row=lambda n: bar.update(n - bar.pos)):
                out.write(chunk)
        finished = True
    finally:  # completed however it ends (Ctrl+C, a full disk): rows written, how far
        db.session.rollback()  # the end of the streaming read
        export.finish(db.session, finished=finished)
        db.session.commit()
    elapsed = time.perf_counter() - started
    click.echo(f"Wrote {export.rows} rows to {output} in {elapsed:.1f} s "
               f"({export.rows / max(elapsed, 1e-9):,.0f} rows/s).")


@click.command("grant-app-role")
@click.argument("role")
@with_appcontext
def grant_app_role_command(role: str) -> None:
    """Set up ROLE, the PostgreSQL role the app runs as: it may read and write every table
    but only add to the audit log. Run as the database's owner, after each migration."""
    from . import db_roles

    try:
        with db.engine.begin() as connection:
            db_roles.grant_app_role(connection, role)
    except db_roles.RoleError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Role {role} may read and write the tables, and only add to the audit log.")


def _demo_password() -> str:
    """DEMO_PASSWORD, else one generated once and kept in instance/ (never committed)."""
    if current_app.config.get("DEMO_PASSWORD"):
        return current_app.config["DEMO_PASSWORD"]
    path = Path(current_app.instance_path) / "demo_password"
    if path.exists():
        return path.read_text().strip()
    password = f"{secrets.token_urlsafe(12)}-{secrets.randbelow(90) + 10}"  # meets the policy
    accounts.check_password_policy(password)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(password)
    path.chmod(0o600)
    return password


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(tiers_cli)
    app.cli.add_command(seed_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(export_command)
    app.cli.add_command(refresh_callback_dates_command)
    app.cli.add_command(grant_app_role_command)
