"""Our CSV and XLSX exports opened in real LibreOffice Calc: every ID digit, every phone
number and every Chinese name comes out as it went in, as text, and nothing runs."""

from __future__ import annotations

import time

import pytest

from admin_app.extensions import db

from .spreadsheets import CSV_IMPORT, add_clients, assert_survived, generated_clients, sheet_cells


@pytest.fixture
def clients(app, users):
    rows = generated_clients()
    with app.app_context():
        add_clients(db.session, rows)
    return rows


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_libreoffice_keeps_ids_phones_and_names(libreoffice, as_role, clients, tmp_path, fmt):
    response = as_role("supervisor").get(f"/admin/client/export/{fmt}/?sort=0")
    assert response.status_code == 200
    exported = tmp_path / f"clients.{fmt}"
    exported.write_bytes(response.get_data())

    started = time.perf_counter()
    opened = libreoffice.convert(exported, "xlsx",
                                 infilter=CSV_IMPORT if fmt == "csv" else None)
    print(f"LibreOffice opened and saved the {fmt} in {time.perf_counter() - started:.2f} s")

    cells = sheet_cells(opened)
    assert_survived(cells, clients)
    by_code = {row[0][0]: row for row in cells[1:]}
    assert by_code["000123"][10] == ("330106199104122063", "s")  # not 330106199104121984
    assert by_code["C0004"][10] == ("'=1+1", "s")  # not 2: a typed formula stays text
    assert by_code["C0005"][10] == ("-1+2", "s")  # not 1: ="…" holds text, never arithmetic
