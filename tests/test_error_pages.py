"""Refusals and failures answer in the user's language, and a write that waits too long
for another's lock says so on every screen, never with a 500."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from admin_app import sql
from admin_app.enums import ComplaintStatus
from admin_app.extensions import db
from admin_app.models import Complaint

from .conftest import PASSWORD, Browser


@pytest.mark.parametrize(("lang", "title"), [("en", "Not allowed"), ("zh_Hans", "不允许"),
                                             ("zh_Hant", "不允許")])
def test_403_page_speaks_the_users_language(as_role, lang, title):
    staff = as_role("staff")
    staff.get(f"/admin/?lang={lang}")
    response = staff.get("/admin/user/")
    assert response.status_code == 403
    assert title in response.text and 'id="error-page"' in response.text
    assert "You don't have the permission" not in response.text


def test_404_page_is_the_apps(as_role):
    response = as_role("staff").get("/admin/no-such-screen/")
    assert response.status_code == 404
    assert "There is no such page or record." in response.text


def test_a_complaint_step_while_the_records_are_busy_says_so(app, impatient, sample):
    supervisor = Browser(impatient.test_client())
    supervisor.login("supervisor", PASSWORD)
    details = f"/admin/complaint/details/?id={sample['complaint']}"
    token = supervisor.token_from(details)
    with app.app_context():
        holder = Session(db.engine)
    sql.lock_against_writers(holder, Complaint)  # another writer holds the complaints
    try:
        response = supervisor.client.post(
            "/admin/complaint/transition/", query_string={"id": sample["complaint"]},
            data={"step": "assess", "csrf_token": token},
            headers={"Referer": f"http://localhost{details}"}, follow_redirects=True)
    finally:
        holder.rollback()
        holder.close()
    assert response.status_code == 200
    assert "busy with another change" in response.text
    with app.app_context():
        status = db.session.scalar(sa.select(Complaint.status).where(
            Complaint.id == sample["complaint"]))
        assert status == ComplaintStatus.received
