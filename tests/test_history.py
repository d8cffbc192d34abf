"""The History panel of every record page (views/history.py) and the audit log's filters
(issue 15), over real HTTP: an edit made on a screen appears on the record's page with the
field's label and old → new values as the screens show them, in the reader's time zone and
language, masked for roles that may not see the value; only that record's entries; the
link to the audit log only for roles that read it; the log filtered by user."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from admin_app.enums import Capability, Resource, Role
from admin_app.extensions import db
from admin_app.models import AuditEntry, User
from admin_app.permissions import can
from admin_app.services import audit, history

from . import factories
from .conftest import form_values
from .test_client_page import section as client_section

# endpoint -> (form field edited, new value, its label, how the new value reads)
EDITS = {
    "client": ("notes", "新备注", "Notes", "新备注"),
    "complaint": ("description", "Fee far too high", "Description", "Fee far too high"),
    "visit": ("summary", "回访已约", "Summary", "回访已约"),
    "event": ("title", "年度投资讲座", "Title", "年度投资讲座"),
    "tier": ("name", "Gold plus", "Name", "Gold plus"),
    "user": ("full_name", "张敏", "Full name", "张敏"),
}


def history_of(html: str) -> str:
    """The History panel of a record page ("" when there is none)."""
    match = re.search(r'<section[^>]*id="(?:record|client)-history".*?</section>', html, re.S)
    return match.group(0) if match else ""


CHANGE_RE = re.compile(r'<span class="audit-field">([^<]*)</span>: (?:<span class="audit-old">'
                       r'([^<]*)</span> → )?<span class="audit-new">([^<]*)</span>')


def changes_in(panel: str) -> list[tuple[str, str, str]]:
    """(field label, old, new) of every change line in the panel, in order."""
    return CHANGE_RE.findall(panel)


def as_a_browser_posts(values: dict[str, str]) -> dict[str, str]:
    """A browser drops the newline that starts a <textarea>'s content when it posts it."""
    return {key: value.removeprefix("\r\n") for key, value in values.items()}


def edit(browser, endpoint: str, record_id: int, field: str, value: str) -> None:
    url = f"/admin/{endpoint}/edit/?id={record_id}"
    values = as_a_browser_posts(form_values(browser.get(url).text))
    response = browser.post_form(url, {**values, field: value})
    assert response.status_code == 302, response.text[:3000]


@pytest.mark.parametrize("endpoint", sorted(EDITS))
def test_an_edit_on_a_screen_appears_in_the_records_history(as_role, sample, endpoint):
    field, value, label, shown = EDITS[endpoint]
    admin = as_role("admin")
    edit(admin, endpoint, sample[endpoint], field, value)
    page = admin.get(f"/admin/{endpoint}/details/?id={sample[endpoint]}")
    assert page.status_code == 200
    panel = history_of(page.text)
    assert panel, f"no History panel on the {endpoint} page"
    assert "History" in panel and "Test admin" in panel and "Edited" in panel
    assert (label, shown) in [(field, new) for field, _old, new in changes_in(panel)], panel


@pytest.mark.parametrize("endpoint", sorted(EDITS))
def test_each_role_that_may_open_the_record_sees_its_history(app, as_role, sample, endpoint):
    admin = as_role("admin")
    field, value, _label, shown = EDITS[endpoint]
    edit(admin, endpoint, sample[endpoint], field, value)
    with app.app_context():
        resource = next(v for v in app.extensions["admin"][0]._views
                        if v.endpoint == endpoint).resource
    for role in Role:
        page = as_role(role.value).get(f"/admin/{endpoint}/details/?id={sample[endpoint]}")
        if not can(role, resource, Capability.view):
            assert page.status_code == 403
            continue
        assert page.status_code == 200, (role, page.status_code)
        panel = history_of(page.text)
        assert shown in panel
        link = 'class="all-records"' in panel
        assert link == can(role, Resource.audit, Capability.view), (role, endpoint)


def test_history_shows_only_the_records_own_entries_latest_first(app, as_role, sample):
    with app.app_context():
        session = db.session
        other = factories.visit(session, client_id=sample["client"], summary="another")
        base = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)
        for day in range(25):
            audit.record(session, action="update", entity="visit", entity_id=sample["visit"],
                         changes={"summary": [f"old {day}", f"new {day}"]},
                         now=base + timedelta(days=day))
        audit.record(session, action="update", entity="visit", entity_id=other.id,
                     changes={"summary": ["x", "someone else's"]}, now=base)
        audit.record(session, action="update", entity="client", entity_id=sample["visit"],
                     changes={"notes": ["x", "a client's entry"]}, now=base)
        session.commit()
    panel = history_of(as_role("supervisor").get(
        f"/admin/visit/details/?id={sample['visit']}").text)
    assert "someone else's" not in panel and "a client's entry" not in panel
    newest = [int(new.removeprefix("new ")) for _f, _o, new in changes_in(panel)]
    assert newest == list(range(24, 24 - history.LATEST, -1))
    assert f"The latest {history.LATEST} of 25." in panel
    assert "All audit entries (25)" in panel


def test_history_times_read_in_the_users_zone(app, as_role, sample):
    with app.app_context():
        audit.record(db.session, action="update", entity="visit", entity_id=sample["visit"],
                     changes={"summary": ["a", "b"]},
                     now=datetime(2026, 11, 20, 2, 5, tzinfo=UTC))
        db.session.get(User, sample["user"]).timezone = "Asia/Shanghai"
        db.session.commit()
    panel = history_of(as_role("staff").get(f"/admin/visit/details/?id={sample['visit']}").text)
    assert "2026-11-20 10:05" in panel


def test_history_is_masked_for_staff_and_clear_for_supervisors(as_role, sample):
    admin = as_role("admin")
    edit(admin, "client", sample["client"], "phone", "13900001111")
    url = f"/admin/client/details/?id={sample['client']}"
    staff = client_section(as_role("staff").get(url).text, "history")
    assert "138****5678" in staff and "139****1111" in staff
    assert "13812345678" not in staff and "13900001111" not in staff
    leads = client_section(as_role("supervisor").get(url).text, "history")
    assert "13812345678" in leads and "13900001111" in leads


def test_history_speaks_chinese(app, as_role, sample):
    admin = as_role("admin")
    edit(admin, "visit", sample["visit"], "summary", "回访已约")
    for lang, title, edited in (("zh_Hans", "变更历史", "编辑"), ("zh_Hant", "變更歷史", "編輯")):
        page = admin.get(f"/admin/visit/details/?id={sample['visit']}&lang={lang}")
        panel = history_of(page.text)
        assert title in panel and edited in panel and "History" not in panel


def test_the_audit_log_has_no_history_panel_of_its_own(app, as_role, sample):
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry.id).limit(1))
        if entry is None:
            entry = audit.record(db.session, action="update", entity="visit",
                                 entity_id=sample["visit"], changes={}).id
            db.session.commit()
            entry = db.session.scalar(sa.select(AuditEntry.id).limit(1))
    page = as_role("admin").get(f"/admin/audit/details/?id={entry}")
    assert page.status_code == 200 and history_of(page.text) == ""


def test_the_audit_log_filters_by_user(app, as_role, users):
    with app.app_context():
        session = db.session
        staff, supervisor = (session.get(User, users[r]) for r in ("staff", "supervisor"))
        for actor, note in ((staff, "by staff"), (supervisor, "by supervisor")):
            audit.record(session, action="update", entity="client", entity_id=1,
                         changes={"notes": ["", note]}, actor=actor)
        session.commit()
    with app.test_request_context():
        from admin_app.views.links import list_url
        url = list_url("audit", filters={"user": str(users["staff"])})
    page = as_role("supervisor").get(url)
    assert page.status_code == 200
    assert "by staff" in page.text and "by supervisor" not in page.text


def test_the_audit_log_counts_up_to_its_cap(app, as_role, users, monkeypatch):
    from admin_app.views.audit import AuditView

    monkeypatch.setattr(AuditView, "count_cap", 5)
    with app.app_context():
        staff = db.session.get(User, users["staff"])
        for n in range(8):
            audit.record(db.session, action="update", entity="client", entity_id=1,
                         changes={"notes": ["", f"n{n}"]}, actor=staff if n < 3 else None)
        db.session.commit()
        total = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    assert total > 5
    supervisor = as_role("supervisor")
    page = supervisor.get("/admin/audit/")
    assert re.search(r"\(5\+\)", page.text), "the heading does not say 5+"
    with app.test_request_context():
        from admin_app.views.links import list_url
        url = list_url("audit", filters={"user": str(users["staff"])})
    filtered = supervisor.get(url).text
    assert re.search(r"\(3\)", filtered) and "(5+)" not in filtered


# --- reads of personal data (客户信息保密) ---------------------------------------------------


def pii_reads(app, client_id: int) -> list[tuple[str | None, str]]:
    with app.app_context():
        return [(entry.user.username if entry.user else None, entry.ip) for entry in
                db.session.scalars(sa.select(AuditEntry).where(
                    AuditEntry.action == "view_pii", AuditEntry.entity == "client",
                    AuditEntry.entity_id == str(client_id)))]


@pytest.mark.parametrize(("role", "reads"), [("staff", 0), ("supervisor", 1), ("admin", 1)])
def test_opening_a_clients_unmasked_page_records_who_saw_it(app, as_role, sample, role,
                                                            reads):
    page = as_role(role).get(f"/admin/client/details/?id={sample['client']}")
    assert page.status_code == 200
    assert ("138****5678" in page.text) == (not reads)  # masked for staff only
    assert pii_reads(app, sample["client"]) == [(role, "127.0.0.1")] * reads


def test_reads_stay_out_of_the_history_panel_but_not_out_of_the_log(app, as_role, sample):
    supervisor = as_role("supervisor")
    url = f"/admin/client/details/?id={sample['client']}"
    for _ in range(3):
        panel = client_section(supervisor.get(url).text, "history")
    assert "Viewed personal data" not in panel
    assert len(pii_reads(app, sample["client"])) == 3
    with app.test_request_context():
        from admin_app.views.links import list_url
        log = list_url("audit", filters={"entity": "client", "entity_id": str(sample["client"])})
    assert supervisor.get(log).text.count("Viewed personal data") >= 3


def test_saving_a_form_unchanged_records_no_change_for_empty_fields(app, as_role, sample):
    """The complaint's empty text fields (NULL) come back from the form as "": that is no
    change, and the History panel shows none."""
    admin = as_role("admin")
    url = f"/admin/complaint/edit/?id={sample['complaint']}"
    edit(admin, "complaint", sample["complaint"], "description", "Fee far too high")
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.entity == "complaint", AuditEntry.action == "update")).one()
        assert set(entry.changes) == {"description"}, entry.changes
    assert url  # the form posted every field, the empty ones as ""


def test_a_client_page_is_shown_while_another_writer_holds_the_database(
        app, as_role, sample, is_postgres, monkeypatch, caplog):
    """A long change (a tier recalculation) holds the write lock: the page still comes,
    after at most the short wait, and the read goes to the server log instead."""
    import sqlite3
    import time

    from admin_app.views import clients

    monkeypatch.setattr(clients, "PII_READ_WAIT_MS", 300)
    supervisor = as_role("supervisor")
    url = f"/admin/client/details/?id={sample['client']}"
    with app.app_context():
        if is_postgres:
            from sqlalchemy.orm import Session

            holder = Session(db.engine)
            holder.execute(sa.text("LOCK TABLE audit_entry IN EXCLUSIVE MODE"))
        else:
            holder = sqlite3.connect(db.engine.url.database, isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.perf_counter()
        page = supervisor.get(url)
        elapsed = time.perf_counter() - started
    finally:
        if is_postgres:
            holder.rollback()
        else:
            holder.execute("ROLLBACK")
        holder.close()
    assert page.status_code == 200 and "13812345678" in page.text.replace(" ", "")
    assert elapsed < 3
    assert "could not be written to the audit log" in caplog.text
    assert pii_reads(app, sample["client"]) == []
    assert supervisor.get(url).status_code == 200  # the lock gone, the read is kept again
    assert len(pii_reads(app, sample["client"])) == 1
