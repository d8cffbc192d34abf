"""The callback cadence (services/callbacks.py): who is due when, kept by every write that
moves it -- visits saved, undone and deleted, clients created and edited, tiers changed by
recalculation or by hand, a tier's interval changed -- through the services and through
the screens, with the clock pinned."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from admin_app.enums import ClientStatus
from admin_app.extensions import db
from admin_app.models import AuditEntry, Client, Tier, Visit
from admin_app.services import callbacks, dashboard
from admin_app.services import tiers as tier_service
from admin_app.views import filters
from admin_app.views.links import filter_index, list_url, registered_view, sort_index

from . import factories
from .conftest import assert_redirect, form_values

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)  # a Sunday, 14:00 in Shanghai
DAY = timedelta(days=1)
INTERVAL = {"diamond": 30, "platinum": 90, "gold": 182, "standard": 365}
CREATED = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    """``now`` for the services is NOW, wherever they are called from."""
    for module in (callbacks, tier_service, dashboard, filters):
        monkeypatch.setattr(module, "utcnow", lambda: NOW)
    return NOW


@contextmanager
def statements(engine):
    """The SQL statements ``engine`` runs inside the block, as a list of their text."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def client_updates(seen: list[str]) -> list[str]:
    return [s for s in seen if s.upper().startswith("UPDATE CLIENT ")]


def tier_id(session, code: str) -> int:
    return session.scalar(sa.select(Tier.id).where(Tier.code == code))


def add_client(session, tier: str | None = "gold", **overrides) -> Client:
    return factories.client(session, tier=factories.tier(session, tier) if tier else None,
                            created_at=CREATED, **overrides)


def done_visit(session, client: Client, completed: datetime, **overrides) -> Visit:
    return factories.visit(session, client=client, status="done", completed_at=completed,
                           scheduled_for=completed, **overrides)


def schedule(app, client_id: int) -> tuple[datetime | None, datetime | None]:
    """The client's last callback and next due date; the copy of the date kept for
    reports (``client.next_callback_due``) says the same."""
    with app.app_context():
        client = db.session.get(Client, client_id)
        assert same_moment(client.due_copy, client.next_callback_due), \
            (client.due_copy, client.next_callback_due)
        return client.last_callback_at, client.next_callback_due


def same_moment(a: datetime | None, b: datetime | None) -> bool:
    """Equal to the second (SQLite keeps dates computed in SQL without their fraction)."""
    if a is None or b is None:
        return a is b
    return a.replace(microsecond=0) == b.replace(microsecond=0)


# --- the rule, stated twice ---------------------------------------------------------------


@pytest.mark.parametrize(("status", "last", "interval", "expected"), [
    ("active", NOW, 182, NOW + 182 * DAY),
    ("dormant", NOW, 30, NOW + 30 * DAY),          # dormant clients are still called
    ("active", None, 182, CREATED + 7 * DAY),       # never called: the new-client callback
    ("active", None, None, CREATED + 7 * DAY),
    ("active", NOW, None, None),                    # called, but no tier: no cadence
    ("prospect", None, 182, None),
    ("closed", NOW, 182, None),
])
def test_cadence_date(status, last, interval, expected):
    assert callbacks.cadence_due(status, last, CREATED, interval) == expected


@pytest.mark.parametrize(("status", "last", "anchor", "fixed"), [
    ("active", NOW, NOW, None),                     # on the cadence, from the last callback
    ("dormant", NOW, NOW, None),
    ("active", None, None, CREATED + 7 * DAY),      # never called: a date of its own
    ("prospect", NOW, None, None),                  # not due
    ("closed", None, None, None),
])
def test_what_the_schedule_follows(status, last, anchor, fixed):
    assert callbacks.schedule(status, last, CREATED) == (anchor, fixed)


moments = st.one_of(st.none(), st.integers(-400, 400).map(
    lambda days: NOW + timedelta(days=days, microseconds=days % 3 * 250_000)))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(status=st.sampled_from(list(ClientStatus)), last=moments, fixed=moments,
       tier=st.sampled_from([None, "diamond", "gold"]))
def test_the_rule_agrees_in_sql_and_for_one_client(session, status, last, fixed, tier):
    """The schedule an UPDATE writes, and the due date the database computes, are those
    the functions of one client give."""
    client = add_client(session, tier, status=status, last_callback_at=last,
                        due_fixed=fixed)
    session.flush()
    expressions = callbacks.schedule_expressions(Client.last_callback_at)
    anchor, set_date, copy, due = session.execute(
        sa.select(expressions["cadence_anchor"], expressions["due_fixed"],
                  expressions["due_copy"], Client.next_callback_due)
        .where(Client.id == client.id)).one()
    expected = callbacks.schedule(status, last, CREATED)

    def moment(value):  # SQLite gives dates computed in SQL as text
        return None if value is None else datetime.fromisoformat(str(value)).replace(
            tzinfo=UTC)

    assert (same_moment(moment(anchor), expected[0]), same_moment(moment(set_date),
                                                                  expected[1])) == (True, True)
    interval = INTERVAL[tier] if tier else None
    assert same_moment(due, callbacks.due_date(None, fixed, interval))
    assert same_moment(moment(copy), callbacks.cadence_due(status, last, CREATED, interval))
    assert same_moment(client.next_callback_due, due)
    session.rollback()


def test_the_due_date_follows_the_set_date_or_the_anchor_and_the_tier(session):
    gold = factories.tier(session, "gold")
    by_cadence = add_client(session, "gold", cadence_anchor=OCT_1)
    by_date = add_client(session, "gold", due_fixed=NOV_20)
    no_tier = add_client(session, None, cadence_anchor=OCT_1)
    session.flush()
    assert [c.next_callback_due for c in (by_cadence, by_date, no_tier)] == \
        [OCT_1 + 182 * DAY, NOV_20, None]
    gold.callback_interval_days = 30
    session.flush()
    assert same_moment(session.scalar(sa.select(Client.next_callback_due).where(
        Client.id == by_cadence.id)), OCT_1 + 30 * DAY)
    with pytest.raises(sa.exc.IntegrityError):  # never both
        add_client(session, "gold", cadence_anchor=OCT_1, due_fixed=NOV_20)
        session.flush()
    session.rollback()


# --- visits -------------------------------------------------------------------------------


@pytest.fixture
def gold_client(app, users) -> int:
    """A gold client called once, on 1 October (its due date as the rule says)."""
    with app.app_context():
        client = add_client(db.session, "gold", advisor_id=users["staff"])
        first = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)
        done_visit(db.session, client, first)
        client.last_callback_at = client.cadence_anchor = first
        client.due_copy = first + 182 * DAY
        db.session.commit()
        return client.id


OCT_1 = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)
NOV_20 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # typed as 2026-11-20 10:00:00 in Shanghai


def record_callback(browser, client_id: int, users, **changes):
    data = {"client": str(client_id), "staff": str(users["staff"]), "channel": "phone",
            "purpose": "scheduled_callback", "status": "done",
            "scheduled_for": "2026-11-20 09:30:00", "completed_at": "2026-11-20 10:00:00",
            "satisfaction": "5", "summary": "Called", **changes}
    return browser.post_form("/admin/visit/new/", data)


def test_a_done_callback_sets_last_callback_and_next_due(app, as_role, users, gold_client):
    response = record_callback(as_role("staff"), gold_client, users)
    assert_redirect(response, to="/admin/visit/")
    assert schedule(app, gold_client) == (NOV_20, NOV_20 + 182 * DAY)


def test_a_planned_visit_changed_to_done_moves_the_schedule(app, as_role, users, gold_client):
    staff = as_role("staff")
    record_callback(staff, gold_client, users, status="planned", completed_at="",
                    satisfaction="")
    assert schedule(app, gold_client) == (OCT_1, OCT_1 + 182 * DAY)  # planned: nothing yet
    with app.app_context():
        planned = db.session.scalar(sa.select(Visit.id).where(Visit.status == "planned"))
    url = f"/admin/visit/edit/?id={planned}"
    data = {**form_values(staff.get(url).text), "status": "done",
            "completed_at": "2026-11-20 10:00:00"}
    assert_redirect(staff.post_form(url, data), to="/admin/visit/")
    assert schedule(app, gold_client) == (NOV_20, NOV_20 + 182 * DAY)


def test_undoing_a_callback_puts_back_what_the_remaining_ones_say(app, as_role, users,
                                                                   gold_client):
    staff = as_role("staff")
    record_callback(staff, gold_client, users)
    with app.app_context():
        latest = db.session.scalar(sa.select(Visit.id).where(Visit.completed_at == NOV_20))
    url = f"/admin/visit/edit/?id={latest}"
    data = {**form_values(staff.get(url).text), "status": "cancelled", "satisfaction": ""}
    assert_redirect(staff.post_form(url, data), to="/admin/visit/")
    assert schedule(app, gold_client) == (OCT_1, OCT_1 + 182 * DAY)


def test_moving_the_completion_earlier_moves_the_schedule_back(app, as_role, users,
                                                                gold_client):
    staff = as_role("staff")
    record_callback(staff, gold_client, users)
    with app.app_context():
        latest = db.session.scalar(sa.select(Visit.id).where(Visit.completed_at == NOV_20))
    url = f"/admin/visit/edit/?id={latest}"
    data = {**form_values(staff.get(url).text), "completed_at": "2026-11-02 10:00:00"}
    assert_redirect(staff.post_form(url, data), to="/admin/visit/")
    nov_2 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    assert schedule(app, gold_client) == (nov_2, nov_2 + 182 * DAY)


def test_deleting_callbacks_puts_back_what_the_remaining_ones_say(app, as_role, users,
                                                                   gold_client):
    admin = as_role("admin")
    record_callback(admin, gold_client, users)
    with app.app_context():
        latest, first = (db.session.scalar(sa.select(Visit.id).where(Visit.completed_at == t))
                         for t in (NOV_20, OCT_1))
    response = admin.post_form("/admin/visit/delete/", {"id": str(latest), "url": "/admin/visit/",
                                                        "version_id": "1", "reason": "Twice"},
                               token_url="/admin/visit/")
    assert_redirect(response, to="/admin/visit/")
    assert schedule(app, gold_client) == (OCT_1, OCT_1 + 182 * DAY)
    # the last one, by the list's bulk delete: never called again -> the new-client callback
    response = admin.post_form("/admin/visit/action/", {"action": "delete", "rowid": str(first),
                                                        "reason": "Wrong client",
                                                        f"version_{first}": "1"},
                               token_url="/admin/visit/")
    assert_redirect(response, to="/admin/visit/")
    assert schedule(app, gold_client) == (None, CREATED + 7 * DAY)


def test_a_callback_moved_to_another_client_moves_both_schedules(app, as_role, users,
                                                                  gold_client):
    staff = as_role("staff")
    record_callback(staff, gold_client, users)
    with app.app_context():
        other = add_client(db.session, "diamond").id
        db.session.commit()
        latest = db.session.scalar(sa.select(Visit.id).where(Visit.completed_at == NOV_20))
    url = f"/admin/visit/edit/?id={latest}"
    data = {**form_values(staff.get(url).text), "client": str(other)}
    assert_redirect(staff.post_form(url, data), to="/admin/visit/")
    assert schedule(app, gold_client) == (OCT_1, OCT_1 + 182 * DAY)
    assert schedule(app, other) == (NOV_20, NOV_20 + 30 * DAY)


def test_an_older_callback_recorded_late_changes_nothing(app, as_role, users, gold_client):
    with app.app_context():  # made active again: due at once
        client = db.session.get(Client, gold_client)
        client.cadence_anchor, client.due_fixed = None, NOW
        client.due_copy = NOW
        db.session.commit()
    record_callback(as_role("staff"), gold_client, users, completed_at="2026-09-01 10:00:00",
                    scheduled_for="")
    assert schedule(app, gold_client) == (OCT_1, NOW)


@pytest.mark.parametrize("status", ["prospect", "closed"])
def test_callbacks_of_clients_not_due_leave_them_not_due(app, as_role, users, status):
    with app.app_context():
        client = add_client(db.session, "gold", status=status).id
        db.session.commit()
    record_callback(as_role("staff"), client, users)
    assert schedule(app, client) == (NOV_20, None)


def test_saving_a_callback_is_one_update_of_the_client(app, as_role, users, gold_client):
    staff = as_role("staff")
    token = staff.token_from("/admin/visit/new/")
    data = {"client": str(gold_client), "staff": str(users["staff"]), "channel": "phone",
            "purpose": "scheduled_callback", "status": "done",
            "completed_at": "2026-11-20 10:00:00", "csrf_token": token}
    with app.app_context(), statements(db.engine) as seen:
        staff.client.post("/admin/visit/new/", data=data)
    assert len(client_updates(seen)) == 1
    assert schedule(app, gold_client) == (NOV_20, NOV_20 + 182 * DAY)


# --- clients --------------------------------------------------------------------------------


NEW_CLIENT = {"code": "N0000001", "name": "新客户", "kind": "individual",
              "assets": "100", "annual_contribution": "0", "trades_12m": "0"}


@pytest.mark.parametrize(("status", "due"), [
    ("active", NOW + 7 * DAY), ("dormant", NOW + 7 * DAY), ("prospect", None), ("closed", None)])
def test_a_new_client_is_due_for_its_new_client_callback(app, as_role, clock, status, due):
    response = as_role("staff").post_form("/admin/client/new/", {**NEW_CLIENT, "status": status})
    assert_redirect(response, to="/admin/client/")
    with app.app_context():
        client = db.session.scalar(sa.select(Client).where(Client.code == "N0000001"))
        assert (client.created_at, client.last_callback_at, client.next_callback_due) == \
            (NOW, None, due)


@pytest.mark.parametrize(("before", "after", "due"), [
    ("active", "closed", None),
    ("active", "prospect", None),
    ("closed", "active", NOW),                         # active again: due at once
    ("dormant", "active", NOW),
    ("prospect", "active", NOW),
    ("closed", "dormant", OCT_1 + 182 * DAY),          # back on the cadence
    ("active", "dormant", OCT_1 + 100 * DAY),          # unchanged
])
def test_a_change_of_status_moves_the_due_date(app, as_role, clock, before, after, due):
    with app.app_context():
        client = add_client(db.session, "gold", status=before, last_callback_at=OCT_1,
                            next_callback_due=None if before in ("prospect", "closed")
                            else OCT_1 + 100 * DAY)
        db.session.commit()
        ids = {"client": client.id}
    staff = as_role("staff")
    url = f"/admin/client/edit/?id={ids['client']}"
    response = staff.post_form(url, {**form_values(staff.get(url).text), "status": after})
    assert_redirect(response, to="/admin/client/")
    assert schedule(app, ids["client"])[1] == due


def test_closed_clients_leave_the_overdue_count_and_list(app, as_role, clock):
    with app.app_context():
        client = add_client(db.session, "gold", code="OVERDUE1",
                            last_callback_at=OCT_1 - 200 * DAY,
                            next_callback_due=OCT_1 - 18 * DAY)
        db.session.commit()
        client_id = client.id
    with app.test_request_context():
        overdue_list = list_url("client", filters={"overdue": "1"})
    admin = as_role("admin")

    def overdue() -> tuple[int, bool]:
        with app.app_context():
            cards = {key: value for key, _label, value in dashboard.summary(db.session).cards}
        return cards["overdue_callbacks"], "OVERDUE1" in admin.get(overdue_list).text

    assert overdue() == (1, True)
    url = f"/admin/client/edit/?id={client_id}"
    admin.post_form(url, {**form_values(admin.get(url).text), "status": "closed"})
    assert overdue() == (0, False)


def test_a_tier_chosen_by_hand_moves_the_due_date(app, as_role, gold_client):
    supervisor = as_role("supervisor")
    url = f"/admin/client/edit/?id={gold_client}"
    with app.app_context():
        diamond = tier_id(db.session, "diamond")
    data = {**form_values(supervisor.get(url).text), "tier": str(diamond), "reason": "VIP"}
    assert_redirect(supervisor.post_form(url, data), to="/admin/client/")
    assert schedule(app, gold_client) == (OCT_1, OCT_1 + 30 * DAY)
    with app.app_context():  # the save is audited; the date follows the tier unwritten
        entry = db.session.scalar(sa.select(AuditEntry).where(
            AuditEntry.entity == "client", AuditEntry.action == "update"))
        assert "tier_id" in entry.changes and not {"cadence_anchor", "due_fixed"} & set(
            entry.changes), entry.changes


def test_a_tier_chosen_by_hand_keeps_a_date_brought_forward(app, as_role, gold_client):
    with app.app_context():  # made active again
        client = db.session.get(Client, gold_client)
        client.cadence_anchor, client.due_fixed = None, NOW
        client.due_copy = NOW
        db.session.commit()
        standard = tier_id(db.session, "standard")
    supervisor = as_role("supervisor")
    url = f"/admin/client/edit/?id={gold_client}"
    data = {**form_values(supervisor.get(url).text), "tier": str(standard), "reason": "Moved"}
    assert_redirect(supervisor.post_form(url, data), to="/admin/client/")
    assert schedule(app, gold_client) == (OCT_1, NOW)


# --- tiers ----------------------------------------------------------------------------------


@pytest.fixture
def ladder(app) -> dict[str, int]:
    """Clients of every kind the interval of gold may or may not move."""
    with app.app_context():
        s = db.session
        rows = {
            "called": add_client(s, "gold", last_callback_at=OCT_1,
                                 next_callback_due=OCT_1 + 182 * DAY),
            "locked": add_client(s, "gold", last_callback_at=OCT_1, tier_locked=True,
                                 tier_lock_reason="VIP", next_callback_due=OCT_1 + 182 * DAY),
            "dormant": add_client(s, "gold", status="dormant", last_callback_at=OCT_1,
                                  next_callback_due=OCT_1 + 182 * DAY),
            "forward": add_client(s, "gold", last_callback_at=OCT_1, next_callback_due=NOW),
            "never": add_client(s, "gold", next_callback_due=CREATED + 7 * DAY),
            "prospect": add_client(s, "gold", status="prospect", last_callback_at=OCT_1),
            "closed": add_client(s, "gold", status="closed", last_callback_at=OCT_1),
            "platinum": add_client(s, "platinum", last_callback_at=OCT_1,
                                   next_callback_due=OCT_1 + 90 * DAY),
        }
        s.commit()
        return {name: c.id for name, c in rows.items()}


def dues(app, ids: dict[str, int]) -> dict[str, datetime | None]:
    return {name: schedule(app, i)[1] for name, i in ids.items()}


def expected_after_gold_becomes(days: int) -> dict[str, datetime | None]:
    return {"called": OCT_1 + days * DAY, "locked": OCT_1 + days * DAY,
            "dormant": OCT_1 + days * DAY, "forward": NOW,  # until the next callback
            "never": CREATED + 7 * DAY, "prospect": None, "closed": None,
            "platinum": OCT_1 + 90 * DAY}


@pytest.mark.parametrize("days", [100, 30, 366])
def test_changing_a_tiers_interval_moves_its_clients_without_writing_them(app, as_role, ladder,
                                                                      days):
    admin = as_role("admin")
    with app.app_context():
        gold = tier_id(db.session, "gold")
    url = f"/admin/tier/edit/?id={gold}"
    data = {**form_values(admin.get(url).text), "callback_interval_days": str(days),
            "reason": "New policy", "csrf_token": admin.token_from(url)}
    with app.app_context(), statements(db.engine) as seen:
        response = admin.client.post(url, data=data)
    assert_redirect(response, to="/admin/tier/")
    assert client_updates(seen) == []  # the dates follow the tier's row: no client written
    response.close()  # as a server does once it is sent: then the copies for reports follow
    got = dues(app, ladder)
    assert all(same_moment(got[k], v) for k, v in expected_after_gold_becomes(days).items()), got
    page = admin.get("/admin/tier/")  # called, locked and dormant follow gold's cadence
    assert "The next callback dates of 3 clients were recalculated." in page.text
    with app.app_context():  # the tier's own save is audited as before
        entry = db.session.scalar(sa.select(AuditEntry).where(
            AuditEntry.entity == "tier", AuditEntry.action == "update"))
        assert entry.changes["callback_interval_days"] == [182, days]


def test_saving_a_tier_without_changing_its_interval_touches_no_client(app, as_role, ladder):
    admin = as_role("admin")
    with app.app_context():
        gold = tier_id(db.session, "gold")
    url = f"/admin/tier/edit/?id={gold}"
    data = {**form_values(admin.get(url).text), "description": "Half-yearly",
            "csrf_token": admin.token_from(url)}
    with app.app_context(), statements(db.engine) as seen:
        assert_redirect(admin.client.post(url, data=data), to="/admin/tier/")
    assert client_updates(seen) == []
    assert dues(app, ladder) == expected_after_gold_becomes(182)


def test_a_refused_interval_moves_no_one(app, as_role, ladder):
    admin = as_role("admin")
    with app.app_context():
        gold = tier_id(db.session, "gold")
    url = f"/admin/tier/edit/?id={gold}"
    data = {**form_values(admin.get(url).text), "callback_interval_days": "0"}
    assert admin.post_form(url, data).status_code == 200
    assert dues(app, ladder) == expected_after_gold_becomes(182)


def test_recalculation_moves_the_due_dates_of_the_clients_it_moves(session):
    def rich(**overrides):  # figures that earn diamond, in gold for now
        return add_client(session, "gold", assets=10**8, annual_contribution=10**6,
                          trades_12m=50, **overrides)

    called = rich(last_callback_at=OCT_1, next_callback_due=OCT_1 + 182 * DAY)
    forward = rich(last_callback_at=OCT_1, next_callback_due=OCT_1 + 5 * DAY)
    later = rich(last_callback_at=OCT_1, next_callback_due=NOW)  # later than diamond's
    never = rich(next_callback_due=CREATED + 7 * DAY)
    prospect = rich(status="prospect", last_callback_at=OCT_1)
    stays = add_client(session, "standard", last_callback_at=OCT_1,
                       next_callback_due=OCT_1 + 365 * DAY)
    session.commit()
    with statements(session.get_bind()) as seen:
        result = tier_service.recalculate(session, now=NOW)
        session.commit()
    assert result.upgraded == 5
    assert len(client_updates(seen)) == 1
    got = {name: session.get(Client, c.id).next_callback_due for name, c in
           {"called": called, "later": later, "forward": forward, "never": never,
            "prospect": prospect, "stays": stays}.items()}
    assert got == {"called": OCT_1 + 30 * DAY,  # diamond's cadence
                   "later": NOW, "forward": OCT_1 + 5 * DAY,  # set dates stay
                   "never": CREATED + 7 * DAY, "prospect": None, "stays": OCT_1 + 365 * DAY}
    for client in session.scalars(sa.select(Client)):  # the copies for reports moved too
        assert same_moment(client.due_copy, client.next_callback_due), client.code


def test_a_downgrade_keeps_a_date_brought_forward_and_moves_the_rest(session):
    called = add_client(session, "diamond", last_callback_at=OCT_1,
                        next_callback_due=OCT_1 + 30 * DAY)
    forward = add_client(session, "diamond", last_callback_at=OCT_1,
                         next_callback_due=OCT_1 + 5 * DAY)
    session.commit()
    tier_service.recalculate(session, now=NOW)
    session.commit()
    assert same_moment(session.get(Client, called.id).next_callback_due, OCT_1 + 365 * DAY)
    assert session.get(Client, forward.id).next_callback_due == OCT_1 + 5 * DAY


def test_an_equal_interval_counts_nothing_and_a_new_one_writes_no_client(session):
    client = add_client(session, "gold", last_callback_at=OCT_1,
                        next_callback_due=OCT_1 + 182 * DAY)
    gold = session.get(Tier, tier_id(session, "gold"))
    session.commit()
    gold.callback_interval_days = 182
    with statements(session.get_bind()) as seen:
        assert tier_service.apply_interval_change(session, gold) == 0
    assert [s for s in seen if "FROM client" in s or "UPDATE client" in s] == []
    gold.callback_interval_days = 91
    with statements(session.get_bind()) as seen:
        assert tier_service.apply_interval_change(session, gold) == 1
        session.commit()
    assert client_updates(seen) == []
    assert session.get(Client, client.id).next_callback_due == OCT_1 + 91 * DAY


def test_an_interval_set_on_a_tier_read_earlier_still_moves_its_clients(session):
    client = add_client(session, "gold", last_callback_at=OCT_1,
                        next_callback_due=OCT_1 + 182 * DAY)
    gold = session.get(Tier, tier_id(session, "gold"))
    session.commit()  # the tier's values are forgotten, to be read again when needed
    gold.callback_interval_days = 60
    assert tier_service.apply_interval_change(session, gold) == 1
    session.commit()
    assert same_moment(session.get(Client, client.id).next_callback_due, OCT_1 + 60 * DAY)


# --- lists sorted by the due date ---------------------------------------------------------


@pytest.fixture
def mixed_schedules(session):
    """45 clients over three tiers and none: due by a set date, by the cadence, or not due,
    with ties; and the order a full sort gives (due date, then id; not due last, by id)."""
    import random

    rng = random.Random(7)
    tiers = [None, "diamond", "gold", "standard"]
    for n in range(45):
        tier = tiers[n % 4]
        kind = rng.choice(["fixed", "cadence", "cadence", "none"])
        moment = OCT_1 + timedelta(days=rng.randrange(-60, 60) // 3 * 3)
        add_client(session, tier, code=f"S{n:03d}", advisor_id=None,
                   cadence_anchor=moment if kind == "cadence" else None,
                   due_fixed=moment if kind == "fixed" else None)
    session.commit()
    clients = session.scalars(sa.select(Client)).all()
    due = sorted((c.next_callback_due, c.id) for c in clients if c.next_callback_due)
    not_due = sorted(c.id for c in clients if c.next_callback_due is None)
    assert len(due) > 20 and not_due  # pages of due clients, and a tail of others
    return [i for _d, i in due], [i for _d, i in sorted(due, key=lambda k: (k[0], k[1]),
                                                         reverse=True)], not_due


@pytest.mark.parametrize("size", [1, 7, 20])
def test_a_page_sorted_by_due_date_is_the_page_a_full_sort_gives(session, mixed_schedules,
                                                                 size):
    ascending, descending, not_due = mixed_schedules
    for order, expected in ((False, ascending + not_due), (True, descending + not_due)):
        pages = []
        for offset in range(0, len(expected) + size, size):
            page = callbacks.due_page(session, session.query(Client), offset=offset,
                                      limit=size, descending=order)
            assert len(page) == len(expected[offset:offset + size])
            pages.extend(c.id for c in page)
        assert pages == expected
    everything = callbacks.due_page(session, session.query(Client), offset=0, limit=None)
    assert [c.id for c in everything] == ascending + not_due


def test_a_filtered_page_sorted_by_due_date_keeps_the_filter(session, mixed_schedules):
    ascending, _descending, not_due = mixed_schedules
    gold = tier_id(session, "gold")
    in_gold = set(session.scalars(sa.select(Client.id).where(Client.tier_id == gold)))
    page = callbacks.due_page(session, session.query(Client).filter(Client.tier_id == gold),
                              offset=0, limit=100)
    assert [c.id for c in page] == [i for i in ascending + not_due if i in in_gold]


def test_the_client_list_sorted_by_due_date_reads_it_per_tier(app, as_role, clock):
    with app.app_context():
        for n, days in enumerate([5, -3, 40, 12, -30]):  # gold's cadence and set dates
            add_client(db.session, "gold", code=f"Q{n}", cadence_anchor=NOW - 182 * DAY
                       + days * DAY if n % 2 else None,
                       due_fixed=None if n % 2 else NOW + days * DAY)
        add_client(db.session, "diamond", code="Q9")  # not due
        db.session.commit()
    with app.test_request_context():
        url = list_url("client", sort="next_callback_due")
        backwards = list_url("client", sort="next_callback_due", desc=True)
    supervisor = as_role("supervisor")
    order = ["Q4", "Q1", "Q0", "Q3", "Q2", "Q9"]  # -30, -3, 5, 12, 40, then not due

    def codes(page: str) -> list[str]:
        import re
        return re.findall(r'class="col-code">\s*(Q\d)\s*<', page)

    assert codes(supervisor.get(url).text) == order
    assert codes(supervisor.get(backwards).text) == order[-2::-1] + ["Q9"]
    overdue = supervisor.get(list_url_in(app, "client", sort="next_callback_due",
                                         filters={"overdue": "1"})).text
    assert codes(overdue) == ["Q4", "Q1"]


def list_url_in(app, endpoint: str, **kwargs) -> str:
    with app.test_request_context():
        return list_url(endpoint, **kwargs)


# --- the copy of the date kept for reports --------------------------------------------------


def copies(session) -> dict[str, tuple[datetime | None, datetime | None]]:
    session.expire_all()
    return {c.code: (c.due_copy, c.next_callback_due) for c in session.scalars(sa.select(Client))}


@pytest.mark.parametrize("batch", [1, 2, 1000])
def test_the_report_copies_of_a_tier_are_refreshed_in_batches(session, batch):
    for n in range(5):  # gold on its cadence, one on a date of its own, one in diamond
        add_client(session, "gold", code=f"G{n}", last_callback_at=OCT_1 + n * DAY,
                   next_callback_due=OCT_1 + n * DAY + 182 * DAY)
    add_client(session, "gold", code="FIXED", next_callback_due=NOW)
    add_client(session, "diamond", code="D", last_callback_at=OCT_1,
               next_callback_due=OCT_1 + 30 * DAY)
    gold = session.get(Tier, tier_id(session, "gold"))
    gold.callback_interval_days = 60
    session.commit()
    stale = {code for code, (copy, due) in copies(session).items() if not same_moment(copy, due)}
    assert stale == {f"G{n}" for n in range(5)}
    assert callbacks.refresh_due_copies(session, tier_id=gold.id, batch=batch) == 5
    assert all(same_moment(copy, due) for copy, due in copies(session).values())
    assert callbacks.refresh_due_copies(session, tier_id=gold.id, batch=batch) == 0


def test_the_command_refreshes_every_copy(app):
    with app.app_context():
        add_client(db.session, "gold", code="G", last_callback_at=OCT_1,
                   next_callback_due=OCT_1 + 182 * DAY)
        add_client(db.session, "diamond", code="D", next_callback_due=NOW)
        db.session.execute(sa.update(Client).values(due_copy=None))  # lost, say
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["refresh-callback-dates"])
    assert result.exit_code == 0 and "2 changed" in result.output, result.output
    with app.app_context():
        assert all(copy is not None and same_moment(copy, due)
                   for copy, due in copies(db.session).values())


def listed_count(page: str) -> int:
    import re
    tab = page.split('class="nav-link active"')[1].split("</a>")[0]
    return int(re.search(r"\(([\d,]+)\)", tab).group(1).replace(",", ""))


@pytest.mark.parametrize("extra", [{}, {"next_callback_due": "2026-10-15 00:00:00"}])
def test_a_queues_count_per_tier_is_the_number_of_its_rows(app, as_role, mixed_schedules,
                                                         extra):
    """The overdue list (alone, and with a due-date filter of its own) and the overdue gold
    clients: the count summed per tier is the rows' number."""
    from admin_app.models import utcnow

    now = utcnow()
    with app.app_context():
        clients = db.session.scalars(sa.select(Client)).all()
        gold = tier_id(db.session, "gold")
        after = datetime(2026, 10, 15, tzinfo=UTC) - timedelta(hours=8)  # typed in Shanghai
        overdue = [c for c in clients if c.next_callback_due and c.next_callback_due < now
                   and (not extra or c.next_callback_due > after)]
        in_gold = [c for c in overdue if c.tier_id == gold]
    supervisor = as_role("supervisor")
    assert overdue and in_gold
    for chosen, expected in (({"overdue": "1", **extra}, overdue),
                              ({"overdue": "1", "tier": "gold", **extra}, in_gold)):
        with app.test_request_context():
            view = registered_view("client")
            args = {f"flt{n}_{filter_index(view, name)}": value
                    for n, (name, value) in enumerate(chosen.items())}
        page = supervisor.get("/admin/client/", query_string={"sort": sort_index(
            view, "next_callback_due"), "page_size": 100, **args}).text
        assert listed_count(page) == len(expected), (chosen, args)
        assert len(re.findall(r'class="col-code"', page)) == len(expected)
