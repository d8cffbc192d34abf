"""A supervisor exports the client list as CSV in Chromium, and LibreOffice Calc opens
the downloaded file with every ID digit, phone and name intact."""

from __future__ import annotations

from admin_app.extensions import db

from ..spreadsheets import CSV_IMPORT, add_clients, assert_survived, generated_clients, sheet_cells
from .test_e2e import log_in


def test_supervisor_downloads_the_csv_and_calc_keeps_every_digit(app, page, libreoffice,
                                                                 tmp_path):
    clients = generated_clients()
    with app.app_context():
        add_clients(db.session, clients)
    log_in(page, "supervisor")
    page.click("a.dropdown-toggle:has-text('Export')")
    with page.expect_download() as download:
        page.click(".dropdown-menu a:has-text('Export CSV')")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".csv"

    cells = sheet_cells(libreoffice.convert(saved, "xlsx", infilter=CSV_IMPORT))
    assert_survived(cells, clients)
    ids = {row[0][0]: row[10][0] for row in cells[1:]}
    assert ids["000123"] == "330106199104122063"  # 18 digits, the last three not 984
