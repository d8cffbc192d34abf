"""ID numbers, phone numbers and codes leave in exports as text a spreadsheet keeps whole,
and the form that keeps them whole can't carry a formula of anyone's making."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from admin_app.extensions import db
from admin_app.services.exports import SPECS, Kind
from admin_app.services.exports.render import identifier_field, number_like

from . import factories
from .spreadsheets import CLIENTS, HYPERLINK

# What each field holds once a CSV reader has unquoted it.
EXPECTED_CSV = [
    ['="000123"', "王小明", '="13812345678"', '="330106199104122063"'],
    ["C0002", "李娜", '="+86 138 0013 8000"', "33010619910412206X"],
    ["C0003", "'" + HYPERLINK, '="021-12345678"', '="110105491231002"'],
    ["C0004", "欧阳娜娜", '="+8613800138000"', "'=1+1"],
    ["C0005", "陈", '="0571 8888 8888"', '="-1+2"'],
    ["C0006", "赵丽华", '138"0013', "'@SUM(1)"],
]

# The same cells in the XLSX: string cells, neutralised only where they aren't number-like.
EXPECTED_XLSX = [
    ["000123", "王小明", "13812345678", "330106199104122063"],
    ["C0002", "李娜", "+86 138 0013 8000", "33010619910412206X"],
    ["C0003", "'" + HYPERLINK, "021-12345678", "110105491231002"],
    ["C0004", "欧阳娜娜", "+8613800138000", "'=1+1"],
    ["C0005", "陈", "0571 8888 8888", "-1+2"],
    ["C0006", "赵丽华", '138"0013', "'@SUM(1)"],
]

COLUMNS = ("Code", "Name", "Phone", "ID number")


@pytest.fixture
def identities(app, users):
    with app.app_context():
        for code, name, phone, id_number in CLIENTS:
            factories.client(db.session, code=code, name=name, phone=phone,
                             id_number=id_number)
        db.session.commit()


def test_number_like_is_digits_spaces_and_signs_only():
    assert all(number_like(t) for t in ("0", "007", "+86 138 0013 8000", "021-12345678",
                                         "-1+2", " "))
    assert not any(number_like(t) for t in ("", "33010619910412206X", "=1", '1"2', "1.5",
                                            "１２３", "1\t2", "1\r\n2", "138****5678"))
    assert identifier_field("330106199104122063") == '="330106199104122063"'
    assert identifier_field("=1+1") == "'=1+1"
    assert identifier_field("C0002") == "C0002"


def test_csv_keeps_identifiers_as_text_and_neutralises_the_rest(as_role, identities):
    response = as_role("supervisor").get("/admin/client/export/csv/?sort=0")
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    # RFC 4180: the formula's quotes doubled inside a quoted field
    assert b'"=""330106199104122063"""' in body
    assert b'"=""+86 138 0013 8000"""' in body
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    at = [rows[0].index(c) for c in COLUMNS]
    assert [[row[i] for i in at] for row in rows[1:]] == EXPECTED_CSV
    # A cell that opens with "=" is exactly one of ours: ="…" around digits, spaces and signs.
    for row in rows[1:]:
        for cell in row:
            if cell.startswith("="):
                assert cell.startswith('="') and cell.endswith('"') and number_like(cell[2:-1])


def test_xlsx_writes_identifiers_as_string_cells(as_role, identities):
    response = as_role("supervisor").get("/admin/client/export/xlsx/?sort=0")
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    header = [c.value for c in sheet[1]]
    at = [header.index(c) for c in COLUMNS]
    cells = [[row[i] for i in at] for row in sheet.iter_rows(min_row=2)]
    assert [[c.value for c in row] for row in cells] == EXPECTED_XLSX
    assert {c.data_type for row in cells for c in row} == {"s"}  # strings, never numbers
    assert sheet.column_dimensions["K"].width >= 20  # the ID number's column fits 18 digits


def test_identifiers_of_other_lists_too(as_role, app, users):
    with app.app_context():
        client = factories.client(db.session, code="0042", name="王小明")
        factories.complaint(db.session, client=client, reference="20260001")
        factories.visit(db.session, client=client)
        db.session.commit()
    supervisor = as_role("supervisor")
    complaint = list(csv.reader(io.StringIO(
        supervisor.get("/admin/complaint/export/csv/").get_data().decode("utf-8-sig"))))
    assert complaint[1][:3] == ['="20260001"', '="0042"', "王小明"]
    visit = list(csv.reader(io.StringIO(
        supervisor.get("/admin/visit/export/csv/").get_data().decode("utf-8-sig"))))
    assert visit[1][:2] == ['="0042"', "王小明"]


@pytest.mark.parametrize("spec", SPECS.values(), ids=lambda s: s.name)
def test_every_code_phone_and_id_number_column_is_an_identifier(spec):
    for column in spec.columns:
        if column.key.rsplit(".", 1)[-1] in {"code", "phone", "id_number", "reference"}:
            assert column.kind is Kind.identifier, column.key
        if column.kind is Kind.identifier:
            assert column.key.rsplit(".", 1)[-1] in {"code", "phone", "id_number",
                                                     "reference"}, column.key
