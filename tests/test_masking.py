"""Field masking: staff see ID numbers, phones and e-mail addresses masked everywhere they
appear, can't search by them, and saving a form never writes the mask back."""

from __future__ import annotations

import re

import pytest

from admin_app.extensions import db
from admin_app.models import Client
from admin_app.permissions import mask_email, mask_middle, masked_fields

from .conftest import assert_redirect

ID_NUMBER, PHONE, EMAIL = "11010519491231002X", "13812345678", "wang@example.com"
MASKED = {"id_number": "110***********002X", "phone": "138****5678",
          "email": "w***@example.com"}


def test_maskers():
    assert mask_middle(ID_NUMBER) == "110***********002X"
    assert mask_middle(PHONE) == "138****5678"
    assert mask_middle("12345") == "*****"
    assert mask_email("zhang.wei@example.com") == "z***@example.com"
    assert mask_email("no-at-sign") == "no-***sign"


def test_masking_follows_the_matrix():
    assert set(masked_fields("staff", "client")) == {"id_number", "phone", "email"}
    assert masked_fields("supervisor", "client") == {}
    assert masked_fields("admin", "client") == {}


def pages(sample):
    cid = sample["client"]
    return ["/admin/client/", f"/admin/client/details/?id={cid}",
            f"/admin/client/edit/?id={cid}"]


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_leads_see_everything(as_role, sample, role):
    browser = as_role(role)
    details = browser.get(f"/admin/client/details/?id={sample['client']}").text
    for value in (ID_NUMBER, "138 1234 5678", EMAIL):  # the phone as people write it
        assert value in details
    assert PHONE in browser.get("/admin/client/?search=13812345678").text


def test_staff_see_masks_in_list_details_and_form(as_role, sample):
    staff = as_role("staff")
    list_page = staff.get("/admin/client/").text
    details = staff.get(f"/admin/client/details/?id={sample['client']}").text
    form = staff.get(f"/admin/client/edit/?id={sample['client']}").text
    for html in (list_page, details, form):
        for value in (ID_NUMBER, PHONE, EMAIL, "wang@"):
            assert value not in html
    for masked in MASKED.values():
        assert masked in details
        assert masked in form
    assert re.search(r'<input[^>]*id="phone"[^>]*readonly', form) or \
        re.search(r'<input[^>]*readonly[^>]*id="phone"', form)


def test_staff_cannot_search_by_masked_fields(as_role, sample):
    staff = as_role("staff")
    for term in (PHONE, "5678", ID_NUMBER[:6], "wang@"):
        assert "王小明" not in staff.get(f"/admin/client/?search={term}").text
    assert "王小明" in staff.get("/admin/client/?search=王小明").text


def test_staff_saving_a_form_keeps_the_real_values(app, as_role, sample):
    staff = as_role("staff")
    url = f"/admin/client/edit/?id={sample['client']}"
    page = staff.get(url).text
    version = re.search(r'name="version_id" type="hidden" value="(\d+)"', page).group(1)
    data = {"code": "C0000001", "name": "王小明", "kind": "individual", "status": "active",
            "assets": "800000", "annual_contribution": "6000", "trades_12m": "5",
            "notes": "called back", "version_id": version, **MASKED}
    response = staff.post_form(url, data)
    assert_redirect(response, to="/admin/client/")
    with app.app_context():
        client = db.session.get(Client, sample["client"])
        assert client.notes == "called back"
        assert (client.id_number, client.phone, client.email) == (ID_NUMBER, PHONE, EMAIL)


def test_staff_lookup_results_carry_no_personal_data(as_role, sample):
    response = as_role("staff").get("/admin/visit/ajax/lookup/?name=client&query=王")
    text = str(response.json)
    assert "王小明" in text
    for value in (ID_NUMBER, PHONE, EMAIL):
        assert value not in text


def test_staff_see_an_empty_masked_field_as_empty(app, as_role):
    """A client without phone, e-mail or ID number: nothing to mask, and not the word None."""
    from . import factories

    with app.app_context():
        client = factories.client(db.session, code="C0000042", name="林美玲")
        db.session.commit()
        client_id = client.id
    staff = as_role("staff")
    for url in (f"/admin/client/details/?id={client_id}", "/admin/client/"):
        page = staff.get(url).text
        assert "林美玲" in page
        assert ">None<" not in page.replace(" ", "").replace("\n", ""), url
