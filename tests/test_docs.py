"""The repository explains itself: README.md and docs/ name no document outside it, every
relative link in them leads to a file (and heading) that exists, and the role matrix in
docs/roles.md is the one ``permissions.py`` enforces."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from admin_app.enums import Role
from admin_app.permissions import MATRIX, ROW_RULES

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
# Code whose comments and docstrings must state rules themselves, not point elsewhere.
CODE = sorted(path for folder in ("admin_app", "seed", "tests", "bench")
              for pattern in ("*.py", "*.html") for path in (ROOT / folder).rglob(pattern)
              if path != Path(__file__).resolve())

# Documents that live outside the repository: a reader who cloned it does not have them.
OUTSIDE = ("../shared", "DESIGN.md", "CONTRACT.md", "STYLE.md")

# Every link must resolve.
MAY_BE_MISSING: set[Path] = set()

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.M)
MATRIX_ROW = re.compile(r"^\| `(\w+)` \| `(\w+)` \|.*\| (\w+) \| (\w+) \| (\w+) \|$", re.M)


def outside_references(text: str) -> list[str]:
    return [name for name in OUTSIDE if name.lower() in text.lower()]


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces -> '-'."""
    text = re.sub(r"[^\w\- ]", "", heading.replace("`", "").strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(h) for h in HEADING.findall(FENCE.sub("", path.read_text(encoding="utf-8")))}


def broken_links(path: Path, may_be_missing: set[Path] = frozenset()) -> list[str]:
    """The relative links in ``path`` whose file, or heading, does not exist."""
    broken = []
    for target in LINK.findall(FENCE.sub("", path.read_text(encoding="utf-8"))):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:, …
            continue
        file_part, _, fragment = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            if linked not in may_be_missing:
                broken.append(target)
            continue
        if fragment and linked.suffix == ".md" and fragment not in anchors(linked):
            broken.append(target)
    return broken


def documented_matrix(text: str) -> dict[tuple[str, str], tuple[str, ...]]:
    return {(resource, capability): tuple(cells)
            for resource, capability, *cells in MATRIX_ROW.findall(text)}


def enforced_matrix() -> dict[tuple[str, str], tuple[str, ...]]:
    """``MATRIX`` as the docs write it: yes, no, or own (a row rule limits the role)."""
    def cell(resource: str, capability: str, role: Role) -> str:
        if role not in MATRIX[resource][capability]:
            return "no"
        return "own" if role in ROW_RULES.get((resource, capability), {}) else "yes"

    return {(str(resource), str(capability)): tuple(cell(resource, capability, role)
                                                    for role in Role)
            for resource, capabilities in MATRIX.items() for capability in capabilities}


def test_the_documents_are_there():
    names = {path.relative_to(ROOT).as_posix() for path in DOCS}
    assert {"README.md", "docs/roles.md", "docs/domain.md", "docs/operations.md",
            "docs/architecture.md"} <= names


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_reference_to_documents_outside_the_repository(path):
    assert outside_references(path.read_text(encoding="utf-8")) == []


def test_no_comment_or_docstring_points_outside_the_repository():
    assert len(CODE) > 50  # the folders were found
    found = {path.relative_to(ROOT).as_posix(): names for path in CODE
             if (names := outside_references(path.read_text(encoding="utf-8")))}
    assert found == {}


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(path):
    assert broken_links(path, MAY_BE_MISSING) == []


def test_the_role_matrix_in_the_docs_is_the_enforced_one():
    text = (ROOT / "docs" / "roles.md").read_text(encoding="utf-8")
    assert "| screen | capability | allows | staff | supervisor | admin |" in text
    assert [role.value for role in Role] == ["staff", "supervisor", "admin"]  # column order
    assert documented_matrix(text) == enforced_matrix()


# --- the checks themselves catch what they are for ------------------------------------


def test_an_outside_reference_is_found():
    assert outside_references("See ../shared/design.md §2.") == ["../shared", "DESIGN.md"]
    assert outside_references("See docs/roles.md.") == []


def test_a_broken_link_or_heading_is_found(tmp_path):
    (tmp_path / "there.md").write_text("# A heading, with `code`\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](there.md) [ok](there.md#a-heading-with-code) [web](https://example.com)\n"
        "[gone](missing.md) [no heading](there.md#nowhere) [self](#top)\n"
        "```\n[in code](ignored.md)\n```\n# Top\n", encoding="utf-8")
    assert broken_links(page) == ["missing.md", "there.md#nowhere"]
    assert broken_links(page, {tmp_path / "missing.md"}) == ["there.md#nowhere"]


def test_a_changed_matrix_cell_is_found():
    text = (ROOT / "docs" / "roles.md").read_text(encoding="utf-8")
    changed = text.replace("| `client` | `delete` | deleting clients | no | no | yes |",
                           "| `client` | `delete` | deleting clients | no | yes | yes |")
    assert changed != text
    assert documented_matrix(changed) != enforced_matrix()
    dropped = text.replace("| `audit` | `export` |", "| audit | export |")
    assert documented_matrix(dropped) != enforced_matrix()
