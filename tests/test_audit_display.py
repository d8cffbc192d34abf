"""The audit log reads in the interface language: actions and record types by their labels
(lists, details, filters, exports), the stored changes as field, old → new, each value as
the screens show it (labels, yes/no, money, local times, names of referenced records),
escaped, and older data with unknown codes shown as stored."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa

from admin_app.enums import AuditAction, RecordType
from admin_app.extensions import db
from admin_app.models import AuditEntry, Complaint, User
from admin_app.permissions import Mask
from admin_app.services import accounts, audit, complaints, exports, tiers
from admin_app.views import audit_changes
from admin_app.views.audit_changes import Change, changes_html, describe
from admin_app.views.formatting import revive, stored_value

from .conftest import form_values
from .test_i18n import visible_text

ROOT = Path(__file__).resolve().parent.parent

# ASCII words a Chinese page may show: acronyms of the interface, the language menu's own
# name for English, and Flask-Admin's page-size menu ("50 items"), whose translation is
# another change's (issue 12).
ALLOWED_ASCII = {"ID", "IP", "CSV", "XLSX", "UTC", "English", "items"}


def shown_text(html: str) -> str:
    """``visible_text`` less the page's hidden data (the filters' JSON, which ``filter_options``
    reads) and the folded raw JSON of an audit entry (codes as stored, on purpose)."""
    html = re.sub(r'<details class="mt-2 audit-raw">.*?</details>', " ", html, flags=re.S)
    html = re.sub(r'<div id="[\w-]+-data" class="d-none">.*?</div>', " ", html, flags=re.S)
    return visible_text(html)


def english_words(html: str, data: set[str] = frozenset()) -> set[str]:
    """The Latin-letter words a reader sees on the page, less acronyms and ``data`` (values
    people typed)."""
    return set(re.findall(r"[A-Za-z]+", shown_text(html))) - ALLOWED_ASCII - set(data)


def filter_options(html: str) -> dict[str, list[str]]:
    """The filters' choices as the page offers them: {filter name: [option label, ...]}."""
    data = re.search(r'<div id="filter-groups-data"[^>]*>(.*?)</div>', html, flags=re.S)
    groups = json.loads(unescape(data.group(1)))
    return {name: [label for item in items for _code, label in item["options"] or ()]
            for name, items in groups.items()}


@pytest.fixture
def zh_request(app):
    """A request in Simplified Chinese from a user of the firm's zone (Asia/Shanghai)."""
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        yield


def lines(changes: list[Change]) -> list[tuple[str, str | None, str]]:
    return [(c.field, c.old, c.new) for c in changes]


# --- the rendering rules, one by one ----------------------------------------------------


def test_enums_booleans_money_and_plain_text(zh_request, sample):
    changes = describe("update", "client", {
        "kind": ["individual", "enterprise"], "tier_locked": [False, True],
        "assets": ["800000.00", "1234567.5"], "name": ["王小明", "王大明"],
        "trades_12m": [4, 5]})
    assert lines(changes) == [
        ("类型", "个人", "企业"), ("等级锁定", "否", "是"),
        ("资产（人民币）", "¥800,000.00", "¥1,234,567.50"), ("名称", "王小明", "王大明"),
        ("交易次数（近 12 个月）", "4", "5")]


def test_times_are_shown_in_the_users_zone_naive_ones_being_utc(zh_request):
    changes = describe("update", "client", {
        "risk_assessed_at": ["2026-01-01T09:20:00", "2026-01-02T09:20:00+00:00"],
        "birth_date": [None, "1980-02-29"]})
    assert lines(changes) == [("风险测评时间", "2026-01-01 17:20", "2026-01-02 17:20"),
                              ("出生日期", "—", "1980-02-29")]


def test_references_by_the_name_the_screens_give_them(zh_request, sample, users):
    gold = sample["tier"]
    changes = describe("update", "client", {
        "tier_id": [None, gold], "advisor_id": [users["staff"], 99999]})
    assert lines(changes) == [("等级", "—", "黄金级"), ("客户经理", "Test staff", "#99999")]


def test_a_creation_shows_the_values_a_deletion_what_was_there(zh_request):
    created = describe("create", "user", {"username": [None, "wang"], "role": [None, "admin"]})
    assert lines(created) == [("用户名", None, "wang"), ("角色", None, "管理员")]
    deleted = describe("delete", "client", {"status": ["dormant", None]})
    assert lines(deleted) == [("状态", None, "休眠")]


def test_the_users_own_language_and_zone_and_a_password_change(zh_request):
    changes = describe("update", "user", {
        "locale": [None, "zh_Hant_TW"], "timezone": ["Asia/Shanghai", "Asia/Tokyo"],
        "password": "changed"})
    assert lines(changes) == [("语言", "—", "繁體中文"),
                              ("时区", "中国（上海）时间 (UTC+08:00)", "日本时间 (UTC+09:00)"),
                              ("密码", None, "已更改")]


def test_confidential_values_stay_masked_for_a_role_that_sees_them_masked(zh_request):
    changes = describe("update", "user", {"email": ["wang.li@example.com", None]},
                       masks={"email": Mask.email})
    assert lines(changes) == [("电子邮箱", "w***@example.com", "—")]


def test_a_complaint_step(zh_request):
    changes = describe("transition", "complaint", {
        "step": "reopen", "from": "closed", "to": "investigating", "note": "客户再次来电",
        "due_at": "2026-03-04T01:30:00+00:00"})
    assert lines(changes) == [("状态", "已结案", "调查中"), ("步骤", None, "重新开启"),
                              ("备注", None, "客户再次来电"),
                              ("处理期限", None, "2026-03-04 09:30")]


def test_an_export_a_recalculation_a_failed_log_in_and_the_demo(zh_request):
    export = describe("export", "client", {
        "list": "client", "format": "xlsx", "scope": "list", "search": None,
        "filters": [["等级", "等于", "gold"], ["状态", "等于", "active"]], "rows": 12})
    assert lines(export) == [
        ("列表", None, "客户"), ("格式", None, "XLSX"), ("范围", None, "搜索和筛选后的列表"),
        ("搜索", None, "—"), ("筛选条件", None, "等级 等于 gold; 状态 等于 active"),
        ("行数", None, "12")]
    recalculation = describe("recalculate_tiers", "client", {
        "scope": "all", "upgraded": 3, "downgraded": 1, "unchanged": 40, "locked_skipped": 2,
        "dry_run": True})
    assert lines(recalculation) == [
        ("范围", None, "全部客户"), ("升级", None, "3"), ("降级", None, "1"),
        ("不变", None, "40"), ("已锁定跳过", None, "2"), ("试运行", None, "是")]
    failed = describe("login_failed", "user", {"username": "wang", "locked": False})
    assert lines(failed) == [("用户名", None, "wang"), ("账号已锁定", None, "否")]
    demo = describe("seed", "client", {"clients": 2000, "tier_changes": 300})
    assert lines(demo) == [("客户", None, "2000"), ("等级变动", None, "300")]


def test_unknown_actions_record_types_fields_and_values_are_shown_as_stored(zh_request):
    assert audit_changes.action_label("frobnicate") == "frobnicate"
    assert audit_changes.record_type_label("gizmo") == "gizmo"
    assert audit_changes.record_type_label(None) == ""
    assert lines(describe("frobnicate", "gizmo", {"zork": [1, "x"], "at": "2026-01-01"})) == [
        ("zork", "1", "x"), ("时间", None, "2026-01-01")]
    # A code or a time that no longer fits its column, a nested value, a list of changes.
    assert lines(describe("update", "client", {
        "kind": ["individual", "bogus"], "risk_assessed_at": ["yesterday", None],
        "notes": [{"a": 1}, [1, 2]], "no_such_column": ["a", "b"]})) == [
        ("类型", "个人", "bogus"), ("风险测评时间", "yesterday", "—"),
        ("备注", None, '[{"a": 1}, [1, 2]]'), ("no_such_column", "a", "b")]
    assert lines(describe("update", "client", ["a", "b"])) == [("变更内容", None, '["a", "b"]')]
    assert describe("login", "user", None) == [] == describe("login", "user", {})


def test_every_value_is_escaped():
    html = str(changes_html([Change("<i>field</i>", "<script>alert(1)</script>",
                                    "<img src=x onerror=alert(1)>")]))
    assert "<script>" not in html and "<img" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_a_long_list_of_changes_is_cut_on_the_list(zh_request):
    changes = [Change(f"f{n}", str(n)) for n in range(7)]
    html = str(changes_html(changes, limit=4))
    assert html.count("<li>") == 4 and "……另有 3 项" in html
    assert str(changes_html(changes)).count("<li>") == 7
    assert str(changes_html([])) == ""


@pytest.mark.parametrize(("kind", "stored", "expected"), [
    (datetime, "2026-01-01T09:20:00", datetime(2026, 1, 1, 9, 20, tzinfo=UTC)),
    (datetime, "2026-01-01T17:20:00+08:00", datetime(2026, 1, 1, 9, 20, tzinfo=UTC)),
    (datetime, "not a time", "not a time"),
    (Decimal, "12.50", Decimal("12.50")),
    (Decimal, "lots", "lots"),
    (Decimal, True, True),
    (int, 5, 5),
    (None, "x", "x"),
])
def test_a_stored_value_comes_back_as_its_columns_type(kind, stored, expected):
    assert revive(kind, stored) == expected


def test_a_stored_value_reads_as_on_the_screens(zh_request):
    assert stored_value(datetime, "2026-06-30T16:00:00") == "2026-07-01 00:00"
    assert stored_value(Decimal, "1000") == "¥1,000.00"
    assert stored_value(bool, True) == "是"
    assert stored_value(None, None) == ""


# --- every code the app records has a label ---------------------------------------------


def recorded_codes() -> tuple[set[str], set[str]]:
    """The action and record-type codes written to the audit log anywhere in the code."""
    actions, entities = set(), set()
    for path in (ROOT / "admin_app").rglob("*.py"):
        source = path.read_text()
        actions |= set(re.findall(r'\baction="(\w+)"', source))
        actions |= set(re.findall(r'\bAuditAction\.(\w+)\.value\b', source))
        for first, second in re.findall(r'_audit\("(\w+)"(?: if \w+ else "(\w+)")?', source):
            actions |= {first, second} - {""}
        entities |= set(re.findall(r'\bentity="(\w+)"', source))
    return actions, entities


def test_every_recorded_action_and_record_type_has_a_label(app):
    actions, entities = recorded_codes()
    assert {"create", "update", "delete", "login_failed", "export"} <= actions
    assert actions <= set(AuditAction)
    admin = app.extensions["admin"][0]
    screens = {view.model.__tablename__ for view in admin._views if hasattr(view, "model")}
    exported = {spec.model.__tablename__ for spec in exports.SPECS.values()}
    assert entities | screens | exported <= set(RecordType)


# --- the screens ----------------------------------------------------------------------


@pytest.fixture
def history(app, as_role, sample, users):
    """The audit log of a day's work: screen edits, a step, a recalculation, an export, a
    failed log-in, an entry of older data, and a client whose name is markup."""
    admin = as_role("admin")
    with app.app_context():
        for role in ("admin", "supervisor", "staff"):
            db.session.get(User, users[role]).full_name = {"admin": "管理员甲",
                                                            "supervisor": "主管乙",
                                                            "staff": "职员丙"}[role]
        db.session.get(User, users["admin"]).timezone = "Asia/Shanghai"
        db.session.commit()
    url = f"/admin/client/edit/?id={sample['client']}"
    response = admin.post_form(url, {**form_values(admin.get(url).text),
                                     "name": "<script>alert(1)</script>", "assets": "900000",
                                     "kind": "enterprise", "tier_locked": "y",
                                     "tier_lock_reason": "贵宾"})
    assert response.status_code == 302
    admin.get(response.headers["Location"])  # shows (and so clears) the "saved" message
    with app.app_context():
        actor = db.session.get(User, users["admin"])
        complaint = db.session.get(Complaint, sample["complaint"])
        complaints.perform(db.session, complaint, "assess", actor=actor, note="已联系客户")
        tiers.recalculate(db.session, actor=actor, dry_run=True)
        accounts.authenticate(db.session, "staff", "wrong password", ip="10.0.0.1")
        audit.record(db.session, action="frobnicate", entity="gizmo", entity_id=7,
                     changes={"zork": ["<b>old</b>", "new"]})
        audit.record(db.session, action="update", entity="client", entity_id=sample["client"],
                     actor=actor, changes={"risk_assessed_at": ["2026-01-01T09:20:00", None]})
        db.session.commit()
    admin.get("/admin/client/export/csv/").get_data()
    with app.app_context():
        ids = list(db.session.scalars(sa.select(AuditEntry.id).order_by(AuditEntry.id)))
    return admin, ids


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant"])
def test_the_audit_pages_speak_chinese(history, lang):
    admin, ids = history
    data = {"staff", "supervisor", "admin", "wrong", "gold", "frobnicate", "gizmo", "zork",
            "old", "new", "b", "script", "alert", "XLSX"}
    page = admin.get(f"/admin/audit/?lang={lang}&page_size=100").text
    assert not english_words(page, data), lang
    for name, options in filter_options(page).items():
        assert all(re.search(r"[\u4e00-\u9fff]", label) for label in options), (name, options)
    for entry in ids:
        details = admin.get(f"/admin/audit/details/?id={entry}").text
        assert not english_words(details, data), (lang, entry, english_words(details, data))


def test_the_list_and_details_show_labels_local_times_and_escaped_values(history):
    admin, ids = history
    page = admin.get("/admin/audit/?lang=zh_Hans&page_size=100").text
    text = shown_text(page)
    for words in ("编辑", "客户", "投诉处理步骤", "等级重新计算", "登录失败", "导出", "新建",
                  "类型 ： 个人 → 企业", "资产（人民币） ： ¥800,000.00 → ¥900,000.00",
                  "状态 ： 已受理 → 评估中", "frobnicate", "gizmo"):
        assert words in text, words
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>old</b>" not in page and "&lt;b&gt;old&lt;/b&gt;" in page
    # Older data: UTC 09:20 is 17:20 in Shanghai, the admin's zone.
    assert "风险测评时间 ： 2026-01-01 17:20 → —" in text and "09:20" not in text
    assert "login_failed" not in text and "recalculate_tiers" not in text


def test_the_raw_json_is_folded_into_the_details_for_those_who_see_it_all(app, history):
    admin, _ids = history
    with app.app_context():
        older = db.session.scalar(sa.select(AuditEntry.id).where(
            AuditEntry.changes.is_not(None), AuditEntry.action == "update",
            AuditEntry.ip.is_(None)))
    page = admin.get(f"/admin/audit/details/?id={older}&lang=zh_Hans").text
    assert '<details class="mt-2 audit-raw">' in page and "原始数据" in page
    assert "2026-01-01T09:20:00" in page  # as stored, inside the fold


def test_a_supervisor_sees_a_users_e_mail_masked_and_no_raw_json(app, as_role, users):
    with app.app_context():
        audit.record(db.session, action="update", entity="user", entity_id=users["staff"],
                     changes={"email": [None, "zhang.wei@example.com"]})
        db.session.commit()
        entry = db.session.scalar(sa.select(AuditEntry.id).where(AuditEntry.entity == "user",
                                                                 AuditEntry.action == "update"))
    supervisor = as_role("supervisor")
    for url in ("/admin/audit/", f"/admin/audit/details/?id={entry}"):
        page = supervisor.get(url).text
        assert "z***@example.com" in page and "zhang.wei@" not in page, url
    assert "zhang.wei@example.com" in as_role("admin").get(
        f"/admin/audit/details/?id={entry}").text


def test_filtering_by_a_translated_action_and_record_type(history, app):
    admin, _ids = history
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "audit")
    index = {(f.column.key, type(f).__name__): i for i, f in enumerate(view._filters)
             if hasattr(f, "column")}
    equal_action = index[("action", "FilterEqual")]
    equal_entity = index[("entity", "FilterEqual")]
    page = admin.get(f"/admin/audit/?lang=zh_Hans&flt0_{equal_action}=transition").text
    rows = visible_text(page[page.index("model-list"):])
    assert "投诉处理步骤" in rows and "编辑" not in rows and "登录失败" not in rows
    page = admin.get(f"/admin/audit/?lang=zh_Hans&flt0_{equal_entity}=user").text
    rows = visible_text(page[page.index("model-list"):])
    assert "登录失败" in rows and "投诉处理步骤" not in rows
    options = filter_options(page)
    assert "登录失败" in options["操作"] and "投诉" in options["记录类型"]


def test_the_audit_export_names_actions_and_record_types(history):
    admin, _ids = history
    admin.get("/admin/?lang=zh_Hans")
    csv = admin.get("/admin/audit/export/csv/").get_data(as_text=True)
    assert '"编辑","客户"' in csv and '"投诉处理步骤","投诉"' in csv
    assert '"登录失败","用户"' in csv
    assert '"frobnicate","gizmo"' in csv  # older data, as stored
    assert '"update"' not in csv and '"login_failed"' not in csv


def test_an_export_with_a_code_that_would_run_as_a_formula_is_neutralised(app, as_role):
    with app.app_context():
        audit.record(db.session, action="=HYPERLINK(1)", entity="-x")
        db.session.commit()
    csv = as_role("admin").get("/admin/audit/export/csv/").get_data(as_text=True)
    assert "\"'=HYPERLINK(1)\",\"'-x\"" in csv
