"""Plan callbacks: one planned callback per due client, for its advisor, on its due date;
nothing twice; over the selection and over every client a filtered list matches; who
may (tests/test_permissions.py covers every role against every endpoint and action)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from admin_app.extensions import db
from admin_app.models import AuditEntry, Client, Visit, utcnow
from admin_app.services import planning

from . import factories
from .test_queues import menu_links

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def planned_visits(session) -> dict[str, tuple]:
    """Client code -> (staff id, purpose, status, scheduled for) of each visit."""
    rows = session.execute(sa.select(Client.code, Visit.staff_id, Visit.purpose, Visit.status,
                                     Visit.scheduled_for).join(Visit.client)).all()
    return {code: (staff, str(purpose), str(status), when)
            for code, staff, purpose, status, when in rows}


@pytest.fixture
def clients(session, users):
    """One client for each case, named for it."""
    inactive = factories.user(session, is_active=False)
    due = NOW + timedelta(days=3)
    made = {
        "DUE": dict(advisor_id=users["staff"], next_callback_due=due),
        "LATE": dict(advisor_id=users["supervisor"], next_callback_due=NOW - timedelta(days=9)),
        "NODATE": dict(advisor_id=users["staff"], next_callback_due=None),
        "NOADVISOR": dict(advisor_id=None, next_callback_due=due),
        "LEFT": dict(advisor_id=inactive.id, next_callback_due=due),
        "HASONE": dict(advisor_id=users["staff"], next_callback_due=due),
        "NEWONE": dict(advisor_id=users["staff"], next_callback_due=due),
        "DONEONE": dict(advisor_id=users["staff"], next_callback_due=due),
    }
    found = {code: factories.client(session, code=code, **values)
             for code, values in made.items()}
    factories.visit(session, client=found["HASONE"], status="planned",
                    purpose="scheduled_callback", scheduled_for=NOW + timedelta(days=60))
    factories.visit(session, client=found["NEWONE"], status="planned",
                    purpose="new_client_callback", scheduled_for=NOW)
    factories.visit(session, client=found["DONEONE"], status="done",
                    purpose="scheduled_callback", completed_at=NOW - timedelta(days=1))
    return found


def test_plans_each_due_client_for_its_advisor_on_its_due_date(session, users, clients):
    result = planning.plan_callbacks(session, now=NOW)
    assert result == planning.PlanResult(planned=3, already_planned=2, no_due_date=1,
                                         no_advisor=2)
    visits = planned_visits(session)
    assert visits["DUE"] == (users["staff"], "scheduled_callback", "planned",
                             NOW + timedelta(days=3))
    assert visits["LATE"] == (users["supervisor"], "scheduled_callback", "planned", NOW)
    assert visits["DONEONE"][3] == NOW + timedelta(days=3)  # a done call plans a new one
    for skipped in ("NODATE", "NOADVISOR", "LEFT"):
        assert skipped not in visits


def test_planning_twice_plans_nothing_new(session, clients):
    first = planning.plan_callbacks(session, now=NOW)
    count = session.scalar(sa.select(sa.func.count()).select_from(Visit))
    second = planning.plan_callbacks(session, now=NOW + timedelta(minutes=5))
    assert second.planned == 0
    assert second.already_planned == first.already_planned + first.planned
    assert second.skipped == len(clients)
    assert session.scalar(sa.select(sa.func.count()).select_from(Visit)) == count


def test_plans_only_the_clients_in_scope(session, clients):
    scope = sa.select(Client.id).where(Client.code.in_(["DUE", "NODATE", "HASONE"]))
    result = planning.plan_callbacks(session, scope=scope, now=NOW, scope_label="selected")
    assert result == planning.PlanResult(planned=1, already_planned=1, no_due_date=1)
    assert "LATE" not in planned_visits(session)
    entry = session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "plan_callbacks", AuditEntry.entity_id.is_(None))).one()
    assert entry.changes == {"scope": "selected", "planned": 1, "already_planned": 1,
                             "no_due_date": 1, "no_advisor": 0}
    due = session.scalar(sa.select(Client.id).where(Client.code == "DUE"))
    each = session.execute(sa.select(AuditEntry.entity, AuditEntry.entity_id,
                                     AuditEntry.changes).where(
        AuditEntry.action == "plan_callbacks", AuditEntry.entity_id.is_not(None))).all()
    assert [tuple(row) for row in each] == [("client", str(due), {"scope": "selected"})]


def test_the_summary_groups_counts_and_speaks_chinese(app):
    result = planning.PlanResult(planned=1234, already_planned=2, no_due_date=0,
                                 no_advisor=5)
    with app.test_request_context():
        assert planning.summary(result) == (
            "Callbacks planned: 1,234; 7 skipped: 2 already planned, "
            "5 without an active advisor")
        assert planning.summary(planning.PlanResult(planned=3)) == "Callbacks planned: 3"
        with force_locale("zh_Hans_CN"):
            assert planning.summary(result) == (
                "已计划回访：1,234；跳过 7 位：2 位已有计划，5 位没有在职的客户经理")
        with force_locale("zh_Hant_TW"):
            assert planning.summary(result) == (
                "已排定回訪：1,234；略過 7 位：2 位已有排定，5 位沒有在職的理財專員")


# --- over HTTP ----------------------------------------------------------------------------


def _seed(app, users) -> None:
    now = utcnow()
    with app.app_context():
        s = db.session
        factories.client(s, code="SOON1", advisor_id=users["staff"],
                         next_callback_due=now + timedelta(days=2))
        factories.client(s, code="SOON2", advisor_id=users["supervisor"],
                         next_callback_due=now + timedelta(days=3))
        factories.client(s, code="LATER", advisor_id=users["staff"],
                         next_callback_due=now + timedelta(days=40))
        s.commit()


def _visits(app) -> dict[str, tuple]:
    with app.app_context():
        return planned_visits(db.session)


def _flash(html: str) -> str:
    start = html.index('class="alert alert-success')
    return html[html.index(">", start) + 1:html.index("</div>", start)]


def test_plan_callbacks_for_a_queue_over_http_twice(app, as_role, users):
    _seed(app, users)
    browser = as_role("supervisor")
    queue = menu_links(browser.get("/admin/").text)["Callbacks due in the next 7 days"]
    page = browser.get(queue).text
    assert "Plan callbacks for 2 clients" in page
    query = queue.partition("?")[2]
    response = browser.post_form(f"/admin/client/plan-callbacks/?{query}", {},
                                 token_url=queue, follow_redirects=True)
    assert "Callbacks planned: 2" in _flash(response.text)
    assert set(_visits(app)) == {"SOON1", "SOON2"}
    again = browser.post_form(f"/admin/client/plan-callbacks/?{query}", {},
                              token_url=queue, follow_redirects=True)
    assert "Callbacks planned: 0; 2 skipped: 2 already planned" in _flash(again.text)
    assert set(_visits(app)) == {"SOON1", "SOON2"}


def test_plan_callbacks_for_the_selection_over_http(app, as_role, users):
    _seed(app, users)
    with app.app_context():
        later = db.session.scalar(sa.select(Client.id).where(Client.code == "LATER"))
    browser = as_role("staff")
    response = browser.post_form("/admin/client/action/",
                                 {"action": "plan_callbacks", "rowid": [later]},
                                 token_url="/admin/client/", follow_redirects=True)
    assert "Callbacks planned: 1" in _flash(response.text)
    assert set(_visits(app)) == {"LATER"}


def test_staff_may_plan_a_filtered_list_but_not_every_client(app, as_role, users):
    _seed(app, users)
    browser = as_role("staff")
    assert "plan-callbacks-form" not in browser.get("/admin/client/").text
    refused = browser.post_form("/admin/client/plan-callbacks/", {},
                                token_url="/admin/client/")
    assert refused.status_code == 403
    assert _visits(app) == {}
    queue = menu_links(browser.get("/admin/").text)["My clients"]
    assert "Plan callbacks for 2 clients" in browser.get(queue).text
    browser.post_form(f"/admin/client/plan-callbacks/?{queue.partition('?')[2]}", {},
                      token_url=queue)
    assert set(_visits(app)) == {"SOON1", "LATER"}


def test_a_supervisor_may_plan_every_client(app, as_role, users):
    _seed(app, users)
    browser = as_role("supervisor")
    assert "Plan callbacks for 3 clients" in browser.get("/admin/client/").text
    browser.post_form("/admin/client/plan-callbacks/", {}, token_url="/admin/client/")
    assert set(_visits(app)) == {"SOON1", "SOON2", "LATER"}
