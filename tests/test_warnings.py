"""The warnings pyproject.toml lets through, each pinned to the third-party code that needs it.

When one of these tests fails, the library has been fixed: delete the test and its
``ignore:`` line in ``[tool.pytest.ini_options] filterwarnings``.
"""

from __future__ import annotations

from flask_admin.contrib.sqla.fields import QuerySelectField
from wtforms import Form
from wtforms.fields.choices import Choice


class _Row:
    id = 1

    def __str__(self) -> str:
        return "one"


def test_flask_admin_query_select_still_yields_raw_tuples():
    """The reason for the "Yielding raw tuples from iter_choices()" exception."""

    class F(Form):
        row = QuerySelectField(query_factory=lambda: [_Row()], get_pk=lambda row: row.id)

    choices = list(F().row.iter_choices())
    assert choices and all(type(c) is tuple and not isinstance(c, Choice) for c in choices)
