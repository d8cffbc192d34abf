"""Streaming exports: what the list shows is what is exported, safely, for the right roles."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import UTC, datetime
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import AuditEntry, Client, Tier, User
from admin_app.permissions import ADMINS, MATRIX
from admin_app.services import exports

PAYLOADS = ['=HYPERLINK("http://evil.example","x")', "@SUM(1+1)", "-2+3+cmd|' /C calc'!A0",
            "+1", "\tTabbed", "\rReturn", "＝全角", "＋全角", "－全角", "＠全角"]


def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def read_xlsx(response) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
    return [list(row) for row in book.active.iter_rows(values_only=True)]


@pytest.fixture
def many(app, users):
    """40 clients spread over tiers and risk profiles, some with awkward names."""
    with app.app_context():
        tiers = {t.code: t.id for t in db.session.scalars(sa.select(Tier))}
        rows = []
        for i in range(40):
            tier = ["gold", "standard", "platinum", "diamond"][i % 4]
            risk = ["balanced", "conservative", "aggressive"][i % 3]
            name = PAYLOADS[i] if i < len(PAYLOADS) else f"客户{i:02d}"
            rows.append({"code": f"X{i:03d}", "name": name, "kind": "individual",
                         "status": "active", "risk_profile": risk, "tier_id": tiers[tier],
                         "assets": Decimal(1000 * i) + Decimal("0.5"),
                         "annual_contribution": Decimal(0), "trades_12m": i,
                         "phone": f"1380000{i:04d}", "email": f"user{i}@example.com",
                         "created_at": datetime(2026, 1, 1, 8, 30, tzinfo=UTC),
                         "updated_at": datetime(2026, 1, 1, tzinfo=UTC), "tier_locked": False,
                         "version_id": 1})
        db.session.execute(sa.insert(Client), rows)
        db.session.commit()


def test_csv_content_headers_labels_numbers_and_chinese(as_role, many):
    data = read_csv(as_role("supervisor").get("/admin/client/export/csv/"))
    header, rows = data[0], data[1:]
    assert header[:5] == ["Code", "Name", "Type", "Status", "Tier"]
    assert len(rows) == 40
    by_code = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    row = by_code["X020"]
    assert row["Name"] == "客户20"
    assert (row["Type"], row["Tier"], row["Risk profile"]) == ("Individual", "Gold", "Aggressive")
    assert row["Assets (CNY)"] == "20000.50"
    assert row["Created at"] == "2026-01-01 16:30:00"  # 08:30 UTC in Shanghai


def filter_index(app, view: str, label: str, kind: str = "EnumEqualFilter") -> int:
    admin = app.extensions["admin"][0]
    filters = next(v for v in admin._views if getattr(v, "endpoint", "") == view)._filters
    return next(i for i, f in enumerate(filters)
                if str(f.name) == label and type(f).__name__ == kind)


def test_filtered_searched_sorted_list_is_what_is_exported(app, as_role, many):
    supervisor = as_role("supervisor")
    risk = filter_index(app, "client", "Risk profile")
    query = f"flt0_0=gold&flt1_{risk}=balanced&sort=6&desc=1"  # gold, balanced, assets ↓
    page = supervisor.get(f"/admin/client/?{query}").text
    listed = int(page.split("List (")[1].split(")")[0])
    rows = read_csv(supervisor.get(f"/admin/client/export/csv/?{query}"))[1:]
    assert len(rows) == listed == 4
    assets = [Decimal(r[14]) for r in rows]
    assert assets == sorted(assets, reverse=True)
    assert {r[4] for r in rows} == {"Gold"} and {r[13] for r in rows} == {"Balanced"}
    searched = read_csv(supervisor.get("/admin/client/export/csv/?search=客户3"))[1:]
    assert sorted(r[0] for r in searched) == [f"X{i:03d}" for i in range(30, 40)]


def test_xlsx_opens_with_real_numbers_and_dates(as_role, many):
    rows = read_xlsx(as_role("admin").get("/admin/client/export/xlsx/?sort=0"))
    header, first = rows[0], rows[1]
    assert header[0] == "Code" and len(rows) == 41
    assert isinstance(first[14], float | int) and first[14] == pytest.approx(0.5)
    # 08:30 UTC, in the firm's time zone (Asia/Shanghai unless TIME_ZONE says otherwise)
    assert isinstance(first[20], datetime) and first[20] == datetime(2026, 1, 1, 16, 30)
    assert any(r[1] == "客户39" for r in rows)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formulas_are_neutralised_numbers_stay_numbers(as_role, many, fmt):
    response = as_role("admin").get(f"/admin/client/export/{fmt}/?sort=0")
    rows = (read_csv if fmt == "csv" else read_xlsx)(response)[1:]
    names = [r[1] for r in rows[:len(PAYLOADS)]]
    assert names == ["'" + p for p in PAYLOADS]
    if fmt == "xlsx":
        assert all(isinstance(r[14], float | int) for r in rows)


@pytest.mark.parametrize(("fmt", "number", "text"), [
    ("csv", "-12.50", "\"'-12.5\""),
    ("xlsx", "<c s=\"4\"><v>-12.50</v></c>", "<t xml:space=\"preserve\">'-12.5</t>"),
])
def test_negative_numbers_stay_numbers(session, fmt, number, text):
    """The database renders a number as a number and the same characters as text, with the
    text neutralised."""
    render = exports.Render(fmt, UTC, datetime.now(UTC))
    value = sa.cast(sa.literal("-12.50"), sa.Numeric(18, 2))
    as_number, as_text = session.execute(sa.select(
        render.number(value, money=True),
        render.quoted(exports.render.neutralised_sql(sa.literal("-12.5"))))).one()
    assert as_number == number
    assert text in as_text
    assert exports.neutralise("-12.5") == "'-12.5"


def test_masking_applies_to_exports(as_role, many, monkeypatch):
    monkeypatch.setitem(MATRIX["client"], "see_pii", ADMINS)
    rows = read_csv(as_role("supervisor").get("/admin/client/export/csv/?sort=0"))
    assert rows[2][8] == "138****0001" and rows[2][9] == "u***@example.com"
    full = read_csv(as_role("admin").get("/admin/client/export/csv/?sort=0"))
    assert full[2][8] == '="13800000001"'  # kept as text by a spreadsheet (Kind.identifier)


def test_staff_cannot_export(app, as_role, many):
    staff = as_role("staff")
    for fmt in ("csv", "xlsx"):
        assert staff.get(f"/admin/client/export/{fmt}/").status_code == 403
    assert "export/csv" not in staff.get("/admin/client/").text
    with app.app_context():
        assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "export")) \
            is None


def test_each_export_is_audited(app, as_role, many, users):
    response = as_role("supervisor").get("/admin/client/export/csv/?flt0_0=gold&search=客户")
    rows = read_csv(response)[1:]
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "export")
                                  .order_by(AuditEntry.id.desc()).limit(1))  # how it ended
        assert entry.user_id == users["supervisor"]
        assert entry.changes["rows"] == len(rows) == 7
        assert entry.changes["search"] == "客户"
        assert entry.changes["filters"][0][2] == "gold"
        assert entry.changes["format"] == "csv"


def test_export_selected_action(as_role, many, app):
    with app.app_context():
        ids = list(db.session.scalars(sa.select(Client.id).where(Client.code.in_(["X011",
                                                                                  "X012"]))))
    response = as_role("admin").post_form("/admin/client/action/",
                                          {"action": "export_selected", "rowid": ids},
                                          token_url="/admin/client/")
    assert sorted(r[0] for r in read_csv(response)[1:]) == ["X011", "X012"]


def test_xlsx_beyond_its_row_limit_suggests_csv(as_role, many, monkeypatch):
    monkeypatch.setattr(exports.writers, "XLSX_MAX_ROWS", 10)
    response = as_role("admin").get("/admin/client/export/xlsx/", follow_redirects=True)
    assert "Export it as CSV instead" in response.text


def test_filename_and_headers(as_role, many):
    response = as_role("admin").get("/admin/client/export/xlsx/")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="clients-')
    assert disposition.endswith('.xlsx"')
    assert response.is_streamed


def test_events_export_lists_attendance(as_role, sample):
    rows = read_csv(as_role("admin").get("/admin/event/export/csv/"))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Title"] == "Investment lecture" and row["Client"] == "王小明"
    assert row["Attendance"] == "Registered"
    # the event's evaluation on each of its rows: 1 registered, none attended yet
    assert (row["Registered"], row["Attended"]) == ("1", "0")
    assert float(row["Attendance rate"]) == 0.0  # as each engine writes a number
    assert row["Mean feedback"] == ""


def test_export_streams_in_bounded_memory(app, as_role, users):
    """60,000 clients (about 10 MB of CSV) go out while Python holds far less."""
    with app.app_context():
        db.session.execute(sa.insert(Client), [
            {"code": f"M{i:06d}", "name": f"客户名称{i}", "kind": "individual",
             "status": "active", "assets": Decimal(i), "annual_contribution": Decimal(0),
             "trades_12m": 0, "tier_locked": False, "version_id": 1,
             "address": "上海市浦东新区世纪大道100号" * 2,
             "created_at": datetime(2026, 1, 1, tzinfo=UTC),
             "updated_at": datetime(2026, 1, 1, tzinfo=UTC)} for i in range(60_000)])
        db.session.commit()
    admin = as_role("admin")
    response = admin.client.get("/admin/client/export/csv/", buffered=False)
    chunks = iter(response.response)
    size = len(next(chunks))
    tracemalloc.start()
    for chunk in chunks:
        size += len(chunk)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    response.close()
    assert size > 8_000_000
    assert peak < 6_000_000, f"peak {peak:,} bytes while streaming {size:,}"


def test_cli_export(app, many, tmp_path, as_role):
    target = tmp_path / "clients.xlsx"
    result = app.test_cli_runner().invoke(args=["export", "clients", "--format", "xlsx",
                                                "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "Wrote 40 rows" in result.output
    book = openpyxl.load_workbook(target, read_only=True)
    assert sum(1 for _ in book.active.iter_rows()) == 41
    csv_target = tmp_path / "clients.csv"
    app.test_cli_runner().invoke(args=["export", "clients", "-o", str(csv_target)])
    assert csv_target.read_bytes().startswith(b"\xef\xbb\xbf")
    # The same file a supervisor gets in the browser, times in the firm's zone included.
    browser_rows = read_csv(as_role("supervisor").get("/admin/client/export/csv/"))
    file_rows = list(csv.reader(io.StringIO(csv_target.read_bytes().decode("utf-8-sig"))))
    assert file_rows == browser_rows
    assert file_rows[1][20] == "2026-01-01 16:30:00"


@pytest.mark.parametrize(("search", "expected"), [("X005", 1), ("nothing-matches", 0),
                                                 ("客户", 30)])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_edge_row_counts(as_role, many, search, expected, fmt):
    response = as_role("admin").get(f"/admin/client/export/{fmt}/?search={search}")
    rows = (read_csv if fmt == "csv" else read_xlsx)(response)
    assert len(rows) == expected + 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(("own_zone", "expected"), [
    (None, datetime(2026, 1, 1, 16, 30)),           # the firm's: Asia/Shanghai
    ("Asia/Tokyo", datetime(2026, 1, 1, 17, 30)),   # the user's own
    ("Asia/Kolkata", datetime(2026, 1, 1, 14, 0)),  # half-hour offsets too
    ("UTC", datetime(2026, 1, 1, 8, 30)),
])
def test_times_are_in_the_users_time_zone(app, as_role, many, users, fmt, own_zone, expected):
    with app.app_context():
        db.session.get(User, users["supervisor"]).timezone = own_zone
        db.session.commit()
    response = as_role("supervisor").get(f"/admin/client/export/{fmt}/?sort=0")
    created = (read_csv if fmt == "csv" else read_xlsx)(response)[1][20]
    if fmt == "csv":
        assert created == f"{expected:%Y-%m-%d %H:%M:%S}"
    else:
        assert abs((created - expected).total_seconds()) < 1


def test_shifted_times_keep_the_second_shown_on_screen(app, as_role, users):
    """A fraction of a second is cut off, as on the screens, never rounded up into the next
    second (or, here, the next day)."""
    with app.app_context():
        client = Client(code="EDGE1", name="edge", kind="individual", status="active",
                        created_at=datetime(2026, 1, 1, 15, 59, 59, 999_900, tzinfo=UTC))
        db.session.add(client)
        db.session.commit()
    supervisor = as_role("supervisor")
    rows = read_csv(supervisor.get("/admin/client/export/csv/?search=EDGE1"))
    assert rows[1][20] == "2026-01-01 23:59:59"  # Shanghai
    assert rows[1][0] == "EDGE1"


def test_xlsx_has_money_format_widths_and_an_autofilter(as_role, many):
    response = as_role("admin").get("/admin/client/export/xlsx/?sort=0")
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    sheet = book.active
    assert sheet.auto_filter.ref == "A1:U41"  # 21 columns, header + 40 rows
    assert sheet["O2"].number_format == "#,##0.00" and sheet["O2"].value == 0.5  # assets
    assert sheet["Q2"].number_format == "General"  # trades: a count, not money
    assert sheet.column_dimensions["B"].width >= 16
    assert sheet.freeze_panes == "A2"


def test_column_letters():
    assert [exports.writers.column_letters(i) for i in (0, 25, 26, 27, 51, 52, 701, 702)] == \
        ["A", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]
