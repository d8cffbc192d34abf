"""Recalculations one at a time: two started together move each client once, and one that
can't get the lock in time is refused with a message, changing nothing. Real threads on
real connections, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from admin_app.extensions import db
from admin_app.models import AuditEntry, Tier, TierChange
from admin_app.services import locking
from admin_app.services import tiers as svc

from . import factories
from .conftest import PASSWORD, Browser, form_values

D = Decimal


@pytest.fixture
def movers(app, users):
    """Six gold clients whose figures now earn standard, one locked."""
    with app.app_context():
        gold = factories.tier(db.session, "gold")
        for i in range(6):
            factories.client(db.session, code=f"M{i}", name=f"M{i}", assets=D(100),
                             annual_contribution=D(0), trades_12m=0, tier=gold,
                             tier_locked=i == 5, tier_lock_reason="VIP" if i == 5 else None)
        db.session.commit()


def history_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(TierChange))


def test_two_recalculations_at_once_move_each_client_once(app, movers):
    with app.app_context():
        engine = db.engine
    first_holds, release = threading.Event(), threading.Event()
    results, errors = {}, []

    def first() -> None:
        try:
            with Session(engine) as session:
                results["first"] = svc.recalculate(session)
                first_holds.set()
                release.wait(10)
                session.commit()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
            first_holds.set()

    def second() -> None:
        try:
            with Session(engine) as session:
                results["second"] = svc.recalculate(session)
                session.commit()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    one = threading.Thread(target=first)
    one.start()
    assert first_holds.wait(10)
    two = threading.Thread(target=second)
    two.start()
    two.join(0.5)
    assert two.is_alive(), "the second recalculation should wait for the first"
    release.set()
    one.join(10)
    two.join(10)
    assert errors == []
    assert (results["first"].downgraded, results["first"].locked_skipped) == (5, 1)
    # The second decided after the first had committed: nothing left to move.
    assert (results["second"].changed, results["second"].unchanged) == (0, 5)
    assert history_count(app) == 5


@pytest.fixture
def hold(app):
    """Makes another session take the recalculation lock and keep it until released (or
    the test ends). Taken after logging in: on SQLite it stops every write."""
    with app.app_context():  # not kept pushed: the CLI would run in this app, not its own
        session = Session(db.engine)

    def take() -> Session:
        svc.hold_tiers(session)
        return session

    yield take
    session.rollback()
    session.close()


def test_a_recalculation_that_cannot_get_the_lock_says_so(app, impatient, movers, hold):
    supervisor = Browser(impatient.test_client())
    supervisor.login("supervisor", PASSWORD)
    supervisor.get("/admin/client/")
    with app.app_context():  # a client the search leaves out: the list is really narrowed
        factories.client(db.session, code="Z1", name="Z1")
        db.session.commit()
    held = hold()
    narrowed = {"search": "M"}  # supervisors recalculate searched or filtered lists
    response = supervisor.post_form("/admin/client/recalculate/", {"scope": "filtered"},
                                    token_url="/admin/client/", follow_redirects=True,
                                    query_string=narrowed)
    assert response.status_code == 200
    assert "busy with another change" in response.text
    held.rollback()
    assert history_count(app) == 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "recalculate_tiers")) == 0
    # Once the other one has finished, the same request goes through.
    done = supervisor.post_form("/admin/client/recalculate/", {"scope": "filtered"},
                                token_url="/admin/client/", follow_redirects=True,
                                query_string=narrowed)
    assert "0 upgraded, 5 downgraded, 0 unchanged, 1 locked skipped" in done.text


def test_saving_a_tier_during_a_recalculation_is_refused_with_a_message(app, impatient,
                                                                         hold):
    admin = Browser(impatient.test_client())
    admin.login("admin", PASSWORD)
    with app.app_context():
        gold = db.session.scalar(sa.select(Tier).where(Tier.code == "gold"))
    url = f"/admin/tier/edit/?id={gold.id}"
    data = {**form_values(admin.get(url).text), "min_assets": "400000",
            "reason": "Policy review"}
    held = hold()
    response = admin.post_form(url, data, follow_redirects=True)
    assert response.status_code == 200
    assert "busy with another change" in response.text
    held.rollback()
    with app.app_context():
        assert db.session.get(Tier, gold.id).min_assets == D(500000)


def test_cli_recalculation_waits_then_gives_up_cleanly(impatient, movers, hold):
    hold()
    result = impatient.test_cli_runner().invoke(args=["tiers", "recalc"])
    assert result.exit_code == 1
    assert "busy with another change" in result.output


def test_lock_timeouts_are_told_from_other_errors(app):
    with app.app_context():
        with pytest.raises(sa.exc.DBAPIError) as other:
            db.session.execute(sa.text("SELECT * FROM no_such_table"))
        db.session.rollback()
    assert not locking.is_lock_timeout(other.value)
    assert not locking.is_lock_timeout(ValueError("database is locked"))
