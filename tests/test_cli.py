"""CLI commands through Flask's test runner: users create, demo set-up."""

from __future__ import annotations

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import AuditEntry, Tier, User

from .conftest import PASSWORD


def test_users_create_with_password(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "zhang", "--role", "supervisor", "--password", "long-enough-pw"])
    assert result.exit_code == 0, result.output
    assert "Created supervisor 'zhang'" in result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "zhang"))
        assert user.role == "supervisor"
        assert user.check_password("long-enough-pw")
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity == "user"))
        assert entry.user_id is None  # the system actor
        assert entry.action == "create"


def test_users_create_prompts_for_password(app):
    result = app.test_cli_runner().invoke(args=["users", "create", "li", "--role", "staff"],
                                          input="prompted-password\nprompted-password\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "li"))
        assert user.check_password("prompted-password")


def test_users_create_refuses_short_password_duplicate_and_bad_role(app, users):
    runner = app.test_cli_runner()
    short = runner.invoke(args=["users", "create", "wu", "--role", "staff", "--password", "short"])
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    dup = runner.invoke(args=["users", "create", "staff", "--role", "staff",
                              "--password", "long-enough-pw"])
    assert dup.exit_code != 0 and "already taken" in dup.output
    bad = runner.invoke(args=["users", "create", "wu", "--role", "boss",
                              "--password", "long-enough-pw"])
    assert bad.exit_code != 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 3


def test_demo_creates_users_once_and_prints_passwords(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "--clients", "0"])
    assert first.exit_code == 0, first.output
    for name in ("admin", "supervisor", "staff"):
        assert name in first.output
    assert PASSWORD in first.output  # DEMO_PASSWORD from the test config
    with app.app_context():
        roles = dict(db.session.execute(sa.select(User.username, User.role)).all())
        assert roles == {"admin": "admin", "supervisor": "supervisor", "staff": "staff"}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Tier)) == 4
    again = runner.invoke(args=["demo", "--clients", "0"])
    assert again.exit_code == 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 3


def test_demo_generates_and_keeps_a_password_when_none_is_configured(app):
    app.config["DEMO_PASSWORD"] = None
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "--clients", "0"])
    second = runner.invoke(args=["demo", "--clients", "0"])
    line = next(x for x in first.output.splitlines() if x.strip().startswith("admin"))
    password = line.split()[1]
    assert len(password) >= 12
    assert password in second.output
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.username == "admin")) \
            .check_password(password)


def test_generated_demo_passwords_always_meet_the_policy(app):
    from admin_app.cli import _demo_password
    from admin_app.services import accounts

    app.config["DEMO_PASSWORD"] = None
    for attempt in range(200):
        app.instance_path = f"{app.instance_path}/{attempt}"
        with app.app_context():
            password = _demo_password()
        for username in ("admin", "supervisor", "staff"):
            accounts.check_password_policy(password, username=username)
