"""States a list is scanned for are coloured badges, each state in the same tone on every
screen (the lists, the client page's tables, the details pages); counts are right-aligned
like money."""

from __future__ import annotations

import re

import pytest

from admin_app.enums import ClientStatus, ComplaintStatus, Severity
from admin_app.extensions import db
from admin_app.models import Complaint
from admin_app.views.formatting import BADGE_TONES

TONES = {"info", "primary", "success", "warning", "danger", "secondary"}


def badges(html: str, kind: str) -> dict[str, str]:
    """{state code: tone} of the ``kind`` badges on a page."""
    found = re.findall(rf'<span class="badge badge-(\w+) state-badge {kind}-(\w+)">', html)
    return {code: tone for tone, code in found}


@pytest.mark.parametrize("enum", [ClientStatus, ComplaintStatus, Severity])
def test_every_state_has_a_tone(enum):
    assert set(BADGE_TONES[enum]) == set(enum)
    assert set(BADGE_TONES[enum].values()) <= TONES


def test_severity_rises_in_urgency():
    order = ["secondary", "info", "warning", "danger"]
    tones = [BADGE_TONES[Severity][s] for s in Severity]
    assert tones == sorted(tones, key=order.index) and tones[-1] == "danger"


def test_the_client_list_shows_the_status_as_a_badge(as_role, sample):
    html = as_role("staff").get("/admin/client/").text
    assert badges(html, "clientstatus") == {"active": "success"}
    assert re.search(r'state-badge clientstatus-active">Active</span>', html)


def test_counts_are_right_aligned_as_their_headers_are(as_role, sample):
    html = as_role("admin").get("/admin/tier/").text
    assert re.search(r'<td class="col-callback_interval_days">\s*<span class="number">\d',
                     html)
    with as_role("admin").client.get("/static/css/app.css") as response:
        css = response.get_data(as_text=True)
    assert re.search(r"th\.col-callback_interval_days,[^{]*\{\s*text-align: right;", css)


def test_the_complaint_list_client_page_and_details_use_the_same_tones(app, as_role, sample):
    with app.app_context():
        db.session.get(Complaint, sample["complaint"]).severity = Severity.high
        db.session.commit()
    staff = as_role("supervisor")
    listed = staff.get("/admin/complaint/").text
    on_client = staff.get(f"/admin/client/details/?id={sample['client']}").text
    details = staff.get(f"/admin/complaint/details/?id={sample['complaint']}").text
    for kind in ("complaintstatus", "severity"):
        shown = badges(listed, kind)
        assert shown, kind
        assert shown == badges(on_client, kind) == badges(details, kind)
        assert all(BADGE_TONES_BY_NAME[kind][code] == tone for code, tone in shown.items())


BADGE_TONES_BY_NAME = {enum.__name__.lower(): {state.value: tone for state, tone in tones.items()}
                       for enum, tones in BADGE_TONES.items()}


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant"])
def test_badges_say_the_state_in_the_pages_language(as_role, sample, lang):
    html = as_role("staff").get(f"/admin/client/?lang={lang}").text
    word = re.search(r'state-badge clientstatus-active">([^<]*)</span>', html).group(1)
    assert word and not re.search(r"[A-Za-z]", word)
