"""The SQL that masks and neutralises export cells agrees with the Python that does the
same on the screens, for any text, on the engine under test."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from admin_app.permissions import Mask
from admin_app.services.exports import Render, neutralise
from admin_app.services.exports.render import (
    FORMULA_START,
    NUMBER_LIKE,
    identifier_field,
    mask_sql,
    neutralised_sql,
    number_like,
    number_like_sql,
)

# Any text a database column can hold: no NUL (PostgreSQL refuses it), no lone surrogates.
CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
EDGES = ["", "@", "@x", "a@", "ab@cd@ef", "1234567", "12345678", "☃" * 80, "x" * 200,
         "abc@" + "d" * 90, *(c + "rest" for c in FORMULA_START), "A=1", "＝"]
TEXTS = st.lists(st.one_of(st.text(CHARS, max_size=90), st.sampled_from(EDGES)),
                 min_size=1, max_size=60)
# Identifiers: mostly number-like, with the characters that must not pass for one mixed in.
IDENTIFIER_EDGES = ["330106199104122063", "33010619910412206X", "007", "+86 138 0013 8000",
                    "021-12345678", "-1+2", " ", "=1+1", '1"2', "１２３", "1\r\n2", "138****5678"]
IDENTIFIERS = st.lists(st.one_of(st.text(NUMBER_LIKE + 'X="\t*', max_size=20),
                                 st.text(CHARS, max_size=20), st.sampled_from(IDENTIFIER_EDGES)),
                       min_size=1, max_size=60)


def sql_values(session, texts: list[str], render) -> list[str]:
    table = sa.union_all(*[
        sa.select(sa.literal(n).label("n"), sa.literal(text, sa.Text).label("v"))
        for n, text in enumerate(texts)]).subquery("t")
    return list(session.scalars(sa.select(render(table.c.v)).order_by(table.c.n)))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(TEXTS, st.sampled_from(list(Mask)))
def test_sql_masking_agrees_with_python(session, texts, mask):
    assert sql_values(session, texts, lambda v: mask_sql(mask, v)) == [mask(t) for t in texts]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(TEXTS)
def test_sql_neutralising_agrees_with_python(session, texts):
    assert sql_values(session, texts, neutralised_sql) == [neutralise(t) for t in texts]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(IDENTIFIERS)
def test_sql_identifier_cells_agree_with_python(session, texts):
    number_likes = sql_values(session, texts,
                              lambda v: sa.case((number_like_sql(v), "y"), else_="n"))
    assert number_likes == ["y" if number_like(t) else "n" for t in texts]
    csv_cells = sql_values(session, texts,
                           lambda v: Render("csv", UTC, datetime.now(UTC)).identifier(v, None))
    assert csv_cells == ['"' + identifier_field(t).replace('"', '""') + '"' for t in texts]


def test_masks_hide_what_they_must():
    assert Mask.middle("11010519491231002X") == "110***********002X"
    assert Mask.email("zhang.wei@example.com") == "z***@example.com"
    assert Mask.email("@example.com") == "***@example.com"
