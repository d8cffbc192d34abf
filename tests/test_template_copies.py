"""Templates copied from Flask-Admin differ from the installed originals only as intended.

A copied template starts with ``{# copied from <path in the package>, Flask-Admin <version>;
changed: ... #}``. Each copy is compared line by line with the installed original: the
lines it removes and adds must be exactly the ones listed in ``CHANGES``. So an upgrade of
Flask-Admin that touches a copied original fails here, and the copy gets redone by hand.
"""

from __future__ import annotations

import difflib
import re
from importlib.metadata import version
from pathlib import Path

import flask_admin
import pytest

OURS = Path(__file__).resolve().parent.parent / "admin_app" / "templates"
PACKAGE = Path(flask_admin.__file__).resolve().parent
THEIRS = PACKAGE / "templates" / "bootstrap4"
HEADER = re.compile(r"\A\{# copied from (?P<source>flask_admin/templates/\S+), "
                    r"Flask-Admin (?P<version>[\w.]+);\n.*?#\}\n", re.DOTALL)

# template -> [(the original's line, our line)], in order.
# (None, line): a line added; (line, None): a line removed.
CHANGES: dict[str, list[tuple[str | None, str | None]]] = {
    "admin/base.html": [(  # the page names its language
        """<html>""",
        """<html lang="{{ current_language_code().replace('_', '-') }}">""",
    )],
    "admin/actions.html": [(
        """               onclick="return modelActions.execute('{{ p[0] }}');">"""
        """{{ _gettext(p[1]) }}</a>""",
        """               data-model-action="{{ p[0] }}">{{ _gettext(p[1]) }}</a>""",
    )],
    "admin/model/layout.html": [(
        """            <a href="javascript:void(0)" class="dropdown-item filter" """
        """onclick="return false;">{{ k }}</a>""",
        """            <a href="javascript:void(0)" class="dropdown-item filter">{{ k }}</a>""",
    ), (  # the search box's clear link is named (axe link-name)
        """                    <a href="{{ clear_search_url }}" class="align-middle">""",
        """                    <a href="{{ clear_search_url }}" class="align-middle" """
        """aria-label="{{ _('Clear the search') }}" title="{{ _('Clear the search') }}">""",
    ), (
        """        {{ page_size }} {{ _gettext('items') }}""",
        """        {{ ngettext('%(num)d item per page', '%(num)d items per page', """
        """page_size) }}""",
    ), (
        """      <a class="dropdown-item{% if page_size == option %} active{% endif %}" """
        """href="{{ generator(option) }}">{{ _ngettext('{} item'.format(option), """
        """'{} items'.format(option), option) }}</a>""",
        """      <a class="dropdown-item{% if page_size == option %} active{% endif %}" """
        """href="{{ generator(option) }}">{{ ngettext('%(num)d item per page', """
        """'%(num)d items per page', option) }}</a>""",
    )],
    "admin/model/row_actions.html": [  # the delete form becomes a link to the page that
        # asks the reason (views/base.py delete_confirm_view), with the row's version
        ("""<form class="icon" method="POST" action="{{ get_url('.delete_view') }}">""",
         """<a class="icon" href="{{ get_url('.delete_confirm_view', id=get_pk_value(row), """
         """url=return_url, version_id=row.version_id if row.version_id is defined else """
         """None) }}" title="{{ _gettext('Delete Record') }}">"""),
        ("""  {{ delete_form.id(value=get_pk_value(row)) }}""",
         """  <span class="fa fa-trash glyphicon glyphicon-trash"></span>"""),
        ("""  {{ delete_form.url(value=return_url) }}""", """</a>"""),
        *((line, None) for line in (
            """  {% if delete_form.csrf_token is defined and delete_form.csrf_token %}""",
            """  {{ delete_form.csrf_token }}""",
            """  {% elif csrf_token is defined and csrf_token %}""",
            """  <input type="hidden" name="csrf_token" value="{{ csrf_token() }}"/>""",
            """  {% endif %}""",
            """  <button onclick="return faHelpers.safeConfirm('{{ _gettext('Are you sure you """
            """want to delete this record?') }}');" title="{{ _gettext('Delete Record') }}">""",
            """    <span class="fa fa-trash glyphicon glyphicon-trash"></span>""",
            """  </button>""",
            """</form>"""))],
    "admin/model/inline_list_base.html": [(
        """    <a id="{{ field.id }}-button" href="javascript:void(0)" class="btn btn-primary" """
        """role="button" onclick="faForm.addInlineField(this, '{{ field.id }}');">"""
        """{{ _gettext('Add') }} {{ field.label.text }}</a>""",
        """    <a id="{{ field.id }}-button" href="javascript:void(0)" class="btn btn-primary" """
        """role="button" data-add-inline-field="{{ field.id }}">"""
        """{{ _gettext('Add') }} {{ field.label.text }}</a>""",
    )],
}


def _copies() -> dict[str, re.Match]:
    found = {}
    for path in sorted(OURS.rglob("*.html")):
        match = HEADER.match(path.read_text(encoding="utf-8"))
        if match:
            found[path.relative_to(OURS).as_posix()] = match
    return found


def test_every_copy_is_listed_and_every_listed_template_is_a_copy():
    assert sorted(_copies()) == sorted(CHANGES)


def test_a_template_that_shadows_flask_admins_is_a_marked_copy_or_extends_it():
    """An unmarked copy would silently keep an old version of Flask-Admin's markup."""
    copies = _copies()
    for path in sorted(OURS.rglob("*.html")):
        name = path.relative_to(OURS).as_posix()
        if not (THEIRS / name).exists() or name in copies:
            continue
        assert path.read_text(encoding="utf-8").lstrip().startswith("{% extends"), name


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_copy_differs_from_the_installed_original_only_as_intended(name):
    text = (OURS / name).read_text(encoding="utf-8")
    header = HEADER.match(text)
    assert header, f"{name} does not start with a 'copied from' comment"
    source = PACKAGE.parent / header["source"]
    assert source == THEIRS / name, header["source"]
    assert header["version"] == version("Flask-Admin"), (
        f"{name} was copied from Flask-Admin {header['version']}, "
        f"{version('Flask-Admin')} is installed: check the copy, then update its header")
    ours = text[header.end():].splitlines()
    theirs = source.read_text(encoding="utf-8").splitlines()
    diff = [line for line in difflib.unified_diff(theirs, ours, n=0, lineterm="")
            if line[:1] in "-+" and not line.startswith(("---", "+++"))]
    removed = [line[1:] for line in diff if line.startswith("-")]
    added = [line[1:] for line in diff if line.startswith("+")]
    assert (removed, added) == ([old for old, _ in CHANGES[name] if old is not None],
                                [new for _, new in CHANGES[name] if new is not None]), \
        "\n".join(diff)
