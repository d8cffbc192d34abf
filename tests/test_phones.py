"""Phone numbers: stored in one canonical form however typed, shown as people write them,
found by any way of typing them (by supervisors and admins; staff, who see them masked,
neither search by them nor are promised that they can)."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
import sqlalchemy as sa

from admin_app import sql
from admin_app.extensions import db
from admin_app.models import Client
from admin_app.services import phones
from admin_app.services.exports.render import identifier_field, number_like

from . import factories
from .conftest import assert_redirect
from .test_screens import VALID_CLIENT, count, field_error
from .test_validators import PHONE_FORMS

# --- the service -------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "stored"), PHONE_FORMS)
def test_canonical_form_is_a_fixed_point(typed, stored):
    assert phones.canonical(typed) == stored
    assert phones.canonical(stored) == stored
    assert phones.is_canonical(stored)
    assert not phones.is_canonical(typed) or typed == stored


@pytest.mark.parametrize(("stored", "shown"), [
    ("13812345678", "138 1234 5678"),  # mainland: as dialled at home
    ("+861012345678", "010 1234 5678"),
    ("+8657188888888", "0571 8888 8888"),
    ("+85291234567", "+852 9123 4567"),  # elsewhere: with the country code
    ("+85366123456", "+853 6612 3456"),
    ("+886912345678", "+886 912 345 678"),
    ("138-1234", "138-1234"),  # not a valid number (older data): as it is
])
def test_display(stored, shown):
    assert phones.display(stored) == shown


@pytest.mark.parametrize(("typed", "expected"), [
    ("138 1234 5678", phones.PhoneSearch(exact="13812345678")),
    ("+86 10 1234 5678", phones.PhoneSearch(exact="+861012345678")),
    ("138 1234", phones.PhoneSearch(prefixes=("1381234",))),
    ("+86 138 12", phones.PhoneSearch(prefixes=("13812", "+8613812"))),
    ("010-1234", phones.PhoneSearch(prefixes=("+86101234",))),
    ("+852 9123", phones.PhoneSearch(prefixes=("+8529123",))),
    ("00852 9123", phones.PhoneSearch(prefixes=("+8529123",))),
    ("5678", phones.PhoneSearch()),  # a number's end: no prefix of a canonical number
    ("138", None),  # too short to be taken for a number
    ("王小明", None),
    ("C0001", None),
    ("wang@example.com", None),
])
def test_search_terms(typed, expected):
    assert phones.search_terms(typed) == expected


def test_starts_with_refuses_anything_but_digits():
    for bad in ("13%", "1'3", "", "+", "1*"):
        with pytest.raises(ValueError):
            sql.starts_with(Client.phone, bad)


def test_prefix_match_is_exact_on_both_engines(session):
    """GLOB (SQLite) and LIKE (PostgreSQL) with the prefix: no wildcard leaks in, case
    and a "+" are kept."""
    for code, phone in (("P1", "13812345678"), ("P2", "+861381234567"), ("P3", "1381"),
                        ("P4", "+85291234567")):
        factories.client(session, code=code, phone=phone)

    def codes(prefix):
        return set(session.scalars(sa.select(Client.code)
                                   .where(sql.starts_with(Client.phone, prefix))))

    assert codes("1381") == {"P1", "P3"}
    assert codes("13812") == {"P1"}
    assert codes("+86138") == {"P2"}
    assert codes("+852") == {"P4"}
    assert codes("+8") == {"P2", "P4"}


# --- the form ----------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "stored"), [
    ("+86 138-1234-5678", "13812345678"),
    ("010-1234 5678", "+861012345678"),
    ("+852 9123 4567", "+85291234567"),
    ("+853 6612 3456", "+85366123456"),
    ("+886 912 345 678", "+886912345678"),
])
def test_a_new_client_keeps_the_canonical_number(app, as_role, typed, stored):
    response = as_role("admin").post_form("/admin/client/new/",
                                          {**VALID_CLIENT, "phone": typed})
    assert_redirect(response, to="/admin/client/")
    with app.app_context():
        assert db.session.scalar(sa.select(Client.phone)) == stored


@pytest.mark.parametrize(("lang", "message"), [
    ("en", "a number with its country or region code"),
    ("zh_Hans", "带国家或地区代码的号码"),
    ("zh_Hant", "含國家或地區代碼的號碼"),
])
def test_an_invalid_number_is_refused_next_to_the_field(app, as_role, lang, message):
    admin = as_role("admin")
    admin.get(f"/admin/?lang={lang}")
    response = admin.post_form("/admin/client/new/", {**VALID_CLIENT, "phone": "138 1234 567"})
    assert response.status_code == 200
    assert message in html.unescape(field_error(response.text, "phone"))
    assert count(app, Client) == 0


def test_editing_keeps_the_canonical_number(app, as_role, sample):
    admin = as_role("admin")
    url = f"/admin/client/edit/?id={sample['client']}"
    page = admin.get(url).text
    version = re.search(r'name="version_id" type="hidden" value="(\d+)"', page).group(1)
    data = {**VALID_CLIENT, "code": "C0000001", "name": "王小明", "phone": "+852 9123 4567",
            "version_id": version}
    assert_redirect(admin.post_form(url, data), to="/admin/client/")
    with app.app_context():
        assert db.session.get(Client, sample["client"]).phone == "+85291234567"


# --- search ------------------------------------------------------------------------------

CLIENTS = {  # code: (name, canonical phone)
    "M0001": ("手机客户", "13812345678"),
    "M0002": ("另一手机", "13912345678"),
    "L0001": ("北京座机", "+861012345678"),
    "H0001": ("香港客户", "+85291234567"),
    "T0001": ("台湾客户", "+886912345678"),
}


@pytest.fixture
def phone_clients(app, users):
    with app.app_context():
        for code, (name, phone) in CLIENTS.items():
            factories.client(db.session, code=code, name=name, phone=phone,
                             email=f"{code.lower()}@example.com")
        db.session.commit()


def _rows(page: str) -> str:
    """The list's rows only (the search box echoes the term)."""
    match = re.search(r'<table class="[^"]*model-list">.*?</thead>(.*?)</table>', page, re.S)
    assert match, "no list on the page"
    return match.group(1)


@pytest.mark.parametrize("role", ["supervisor", "admin"])
@pytest.mark.parametrize(("term", "codes"), [
    ("13812345678", {"M0001"}),
    ("138 1234 5678", {"M0001"}),
    ("138-1234-5678", {"M0001"}),
    ("+86 138-1234-5678", {"M0001"}),
    ("8613812345678", {"M0001"}),
    ("(+86) 138 1234 5678", {"M0001"}),
    ("１３８１２３４５６７８", {"M0001"}),
    ("010-12345678", {"L0001"}),
    ("(010) 1234 5678", {"L0001"}),
    ("+86 10 1234 5678", {"L0001"}),
    ("+852 9123 4567", {"H0001"}),
    ("00852 91234567", {"H0001"}),
    ("+886 912 345 678", {"T0001"}),
    ("138 1234", {"M0001"}),  # the beginning of a number
    ("13", set()),  # too short for a number's beginning; no code, name or e-mail has it
    ("+852 9123", {"H0001"}),
    ("5678", set()),  # a number's end matches nothing: phones aren't substring-searched
    ("香港", {"H0001"}),  # the other columns are searched as before
    ("t0001@example", {"T0001"}),
])
def test_leads_find_a_client_by_any_way_of_typing_the_number(as_role, phone_clients, role,
                                                             term, codes):
    assert set(re.findall(r"\b[MLHT]000\d\b", _rows(
        as_role(role).get("/admin/client/", query_string={"search": term}).text))) == codes


def test_search_by_number_is_an_index_match(app, phone_clients):
    """The phone arm of the search is equality or a prefix, never LIKE '%…%'."""
    with app.test_request_context():
        exact = phones.search_criterion(Client.phone, "+86 138-1234-5678")
        prefix = phones.search_criterion(Client.phone, "138 1234")
        sqls = [str(c.compile(db.engine)) for c in (exact, prefix)]
    assert "client.phone = " in sqls[0]
    assert "'1381234" in sqls[1] and "'%1381234" not in sqls[1]


def test_staff_neither_search_by_phone_nor_are_promised_it(as_role, phone_clients):
    staff = as_role("staff")
    page = staff.get("/admin/client/").text
    placeholder = re.search(r'name="search" value=""\s*placeholder="([^"]*)"', page).group(1)
    assert "Phone" not in placeholder and "ID number" not in placeholder
    assert "E-mail" not in placeholder
    assert placeholder == "Code, Name"
    for term in ("13812345678", "138 1234 5678", "+86 138-1234-5678", "138 1234", "+852 9123"):
        rows = _rows(staff.get("/admin/client/", query_string={"search": term}).text)
        assert not re.findall(r"\b[MLHT]000\d\b", rows), term
    assert "M0001" in _rows(staff.get("/admin/client/",
                                      query_string={"search": "手机客户"}).text)


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_leads_are_promised_every_column(as_role, role):
    page = as_role(role).get("/admin/client/").text
    placeholder = re.search(r'name="search" value=""\s*placeholder="([^"]*)"', page).group(1)
    assert placeholder == "Code, Name, Phone, E-mail, ID number"


def test_placeholder_in_chinese_lacks_phone_for_staff(as_role):
    staff = as_role("staff")
    staff.get("/admin/?lang=zh_Hans")
    page = staff.get("/admin/client/").text
    placeholder = re.search(r'name="search" value=""\s*placeholder="([^"]*)"', page).group(1)
    assert not placeholder.isascii(), placeholder  # in Chinese
    assert "电话" not in placeholder and "手机" not in placeholder, placeholder


def test_details_show_the_number_formatted(as_role, phone_clients, app):
    with app.app_context():
        ids = dict(db.session.execute(sa.select(Client.code, Client.id)).all())
    lead = as_role("supervisor")
    for code, shown in (("M0001", "138 1234 5678"), ("L0001", "010 1234 5678"),
                        ("H0001", "+852 9123 4567")):
        assert shown in lead.get(f"/admin/client/details/?id={ids[code]}").text
    masked = as_role("staff").get(f"/admin/client/details/?id={ids['H0001']}").text
    assert "+85*****4567" in masked and "9123" not in masked


# --- export ------------------------------------------------------------------------------


def test_canonical_numbers_are_identifiers_a_spreadsheet_keeps(as_role, phone_clients):
    """The export writes the canonical form (what a dialler or a lookup reads back), and
    every canonical form is digits with at most a "+": the CSV's ="…" rule holds."""
    assert all(number_like(stored) and identifier_field(stored) == f'="{stored}"'
               for _typed, stored in PHONE_FORMS)
    body = as_role("supervisor").get("/admin/client/export/csv/").get_data()
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    at, code = rows[0].index("Phone"), rows[0].index("Code")
    assert {row[code]: row[at] for row in rows[1:]} == {
        code: f'="{phone}"' for code, (_name, phone) in CLIENTS.items()}
