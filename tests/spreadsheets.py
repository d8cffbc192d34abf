"""Exports opened in a spreadsheet: the clients whose IDs, phones and names a spreadsheet
would spoil or run, and real LibreOffice Calc, headless, to open our files as a user would.

The ``libreoffice`` fixture (tests/conftest.py) skips when ``soffice`` is not installed
(Debian's ``libreoffice-calc-nogui``), and fails instead when CLIENTCARE_REQUIRE_SPREADSHEET
is set, as CI does (.ci/run).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy.orm import Session

from admin_app.services.exports import neutralise
from admin_app.services.exports.render import number_like
from seed import fake
from seed.names import REGIONS

from . import factories

HYPERLINK = '=HYPERLINK("http://evil.example","x")'

# code, name, phone, ID number: what a spreadsheet would spoil or run, one edge per row.
CLIENTS = [
    ("000123", "王小明", "13812345678", "330106199104122063"),  # leading zeros; 18 digits
    ("C0002", "李娜", "+86 138 0013 8000", "33010619910412206X"),  # +86; X: text anyway
    ("C0003", HYPERLINK, "021-12345678", "110105491231002"),  # a formula name; 15 digits
    ("C0004", "欧阳娜娜", "+8613800138000", "=1+1"),  # a formula typed as an ID number
    ("C0005", "陈", "0571 8888 8888", "-1+2"),  # digits and signs: still only text
    ("C0006", "赵丽华", '138"0013', "@SUM(1)"),  # a quote can't end the ="…" string
]
Identity = tuple[str, str, str, str]

SOFFICE = shutil.which("soffice")
REQUIRE = "CLIENTCARE_REQUIRE_SPREADSHEET"

# How a user opens our CSV in Calc: comma-separated, "-quoted, UTF-8 (what the dialog picks
# for a file with a byte-order mark; headless, Calc would take the system's code page),
# from line 1; quoted fields NOT forced to text and special numbers (dates, 1E5) detected:
# the settings under which a spreadsheet is keenest to turn our text into numbers.
CSV_IMPORT = "Text - txt - csv (StarCalc):44,34,76,1,,,false,true"


class LibreOffice:
    """``soffice --convert-to`` with a user profile of its own: two instances on one
    profile (``pytest -n 2``) would hand their work to each other or refuse to start."""

    def __init__(self, executable: str, profile: Path) -> None:
        self.executable = executable
        self.profile = profile

    def convert(self, source: Path, to: str, *, infilter: str | None = None) -> Path:
        """Open ``source`` in Calc and save it as ``to`` (an extension, e.g. ``xlsx``) in a
        folder of its own beside it; returns the new file."""
        outdir = source.parent / f"{source.stem}-{source.suffix.lstrip('.')}-to-{to}"
        command = [self.executable, f"-env:UserInstallation={self.profile.as_uri()}",
                   "--headless", "--norestore", "--convert-to", to, "--outdir", str(outdir)]
        if infilter:
            command.append(f"--infilter={infilter}")
        result = subprocess.run([*command, str(source)], capture_output=True, text=True,
                                timeout=180)
        target = outdir / f"{source.stem}.{to}"
        # soffice answers 0 even when it could not convert: the file is the proof.
        assert target.exists(), f"LibreOffice did not convert {source.name}: {result}"
        return target


def libreoffice(tmp_path_factory: pytest.TempPathFactory) -> LibreOffice:
    """The fixture's body (tests/conftest.py): one profile per test process."""
    if SOFFICE is None:
        if os.environ.get(REQUIRE):
            pytest.fail(f"LibreOffice is required ({REQUIRE}) but `soffice` is not installed")
        pytest.skip("LibreOffice is not installed (`soffice`: Debian's libreoffice-calc-nogui)")
    return LibreOffice(SOFFICE, tmp_path_factory.mktemp("libreoffice-profile"))


def sheet_cells(path: Path) -> list[list[tuple[object, str]]]:
    """Every row of a workbook Calc wrote, as (value, type) pairs: for a formula its
    computed value, as Calc saved it; type "s" is a string, "n" a number."""
    book = openpyxl.load_workbook(path, data_only=True)
    return [[(c.value, c.data_type) for c in row] for row in book.active.iter_rows()]


def generated_clients(n: int = 40) -> list[Identity]:
    """Demo-like clients (Chinese names, mobiles, GB 11643 ID numbers; a few IDs end in
    X), then the edge cases of ``CLIENTS``."""
    rng = random.Random(20261122)
    rows: list[Identity] = []
    with_x = 0
    while len(rows) < n or with_x < 3:
        male = rng.random() < 0.5
        id_number = fake.id_number(rng, fake.pick(rng, REGIONS)[0], fake.birth_date(rng), male)
        if len(rows) >= n and not id_number.endswith("X"):
            continue
        with_x += id_number.endswith("X")
        rows.append((f"G{len(rows):03d}", fake.person_name(rng, male).name, fake.mobile(rng),
                     id_number))
    return rows + CLIENTS


def add_clients(session: Session, rows: list[Identity]) -> None:
    for code, name, phone, id_number in rows:
        factories.client(session, code=code, name=name, phone=phone, id_number=id_number)
    session.commit()


def shown(value: str) -> str:
    """What a cell must show: the value itself, neutralised where it could be a formula
    (a number-like identifier needs no neutralising: it is written as text)."""
    return value if number_like(value) else neutralise(value)


def assert_survived(cells: list[list[tuple[object, str]]], clients: list[Identity]) -> None:
    """Every client's code, name, phone and ID number is in the sheet, as a string cell
    showing exactly what was stored (neutralised where it could have been a formula)."""
    header = [value for value, _ in cells[0]]
    assert header[0] == "Code"  # the byte-order mark is not part of the first cell
    at = [header.index(c) for c in ("Code", "Name", "Phone", "ID number")]
    got = {row[at[0]][0]: [row[i] for i in at] for row in cells[1:]}
    assert len(got) == len(cells) - 1 == len(clients)
    for client in clients:
        assert got.get(shown(client[0])) == [(shown(value), "s") for value in client], client
