"""What each rule of the database guards, in the words a user reads beside the field.

Every CHECK and UNIQUE constraint of the schema (models.py; named by the naming
convention, so the same on SQLite and PostgreSQL) has an entry in ``CONSTRAINTS``: the
column it stands beside, the message, and -- where a form can know -- the same rule in
Python, which the screens judge on the values a row would be saved with before the
database is touched. ``FORM_RULES`` adds the rules the database can't state (nothing in
the future). When the database refuses a write anyway (two people saving the same code at
once, a value a service derived), ``refusal`` names the entry, so the message still stands
beside its field: the generic "breaks a rule of the database" is left for what no one
foresaw. tests/test_constraint_messages.py fails when a constraint has no entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from .. import sql
from ..enums import ComplaintStatus, VisitStatus
from ..models import Visit


class Row(dict[str, Any]):
    """The values a row would be saved with, by attribute name, and the time ``now``.

    A value left out (a field the form already refused) raises ``KeyError``; a rule that
    reads it is not judged, as its answer would rest on a value that will not be saved."""

    def __init__(self, values: Mapping[str, Any], *, now: datetime) -> None:
        super().__init__(values)
        self.now = now


Check = Callable[[Row], bool]


@dataclass(frozen=True)
class Rule:
    """A rule of one table: the column whose field shows ``message`` when it is broken,
    and ``check``, true when ``row`` keeps the rule (None where only the database can
    tell: uniqueness, or a value a service derives while saving)."""

    table: str
    column: str
    message: Any  # a lazily translated string
    check: Check | None = None

    def broken_by(self, row: Row) -> bool:
        """True when ``row`` breaks the rule; False when it keeps it or can't be judged."""
        if self.check is None:
            return False
        try:
            return not self.check(row)
        except KeyError:
            return False


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _at_least(column: str, low: int) -> Check:
    return lambda row: row[column] is None or row[column] >= low


def _between(column: str, low: int, high: int) -> Check:
    return lambda row: row[column] is None or low <= row[column] <= high


def _not_before(column: str, other: str) -> Check:
    return lambda row: row[column] is None or row[other] is None or \
        _utc(row[column]) >= _utc(row[other])


def _not_blank(column: str) -> Check:
    return lambda row: row[column] is None or str(row[column]).strip() != ""


def _one_of(column: str, values: Iterable[str]) -> Check:
    allowed = frozenset(values)
    return lambda row: row[column] is None or str(row[column]) in allowed


METADATA = Visit.metadata  # every table's: the models are loaded with Visit
SCORE = _l("Choose a score from 1 to 5.")
AMOUNT = _l("The amount cannot be negative.")
COUNT = _l("The value cannot be negative.")
LISTED = _l("Choose one of the listed values.")
REQUIRED = _l("This field is required.")
VISIT_DONE = VisitStatus.done.value
VISIT_PLANNED = VisitStatus.planned.value
COMPLAINT_CLOSED = ComplaintStatus.closed.value

# Constraint name -> its rule. The enum columns' own CHECKs (one per enum column) are
# added below from the columns' types.
CONSTRAINTS: dict[str, Rule] = {
    # visits
    "ck_visit_satisfaction_range": Rule(
        "visit", "satisfaction", SCORE, _between("satisfaction", 1, 5)),
    "ck_visit_done_has_completed_at": Rule(
        "visit", "completed_at", _l("A done visit needs the time it was completed."),
        lambda row: row["status"] != VISIT_DONE or row["completed_at"] is not None),
    "ck_visit_satisfaction_only_when_done": Rule(
        "visit", "satisfaction",
        _l("Satisfaction is recorded only for a done visit: clear it, or set the status "
           "to Done."),
        lambda row: row["satisfaction"] is None or row["status"] == VISIT_DONE),
    "ck_visit_planned_not_completed": Rule(
        "visit", "completed_at",
        _l("A planned visit has not been completed: clear the completion time, or set "
           "the status to Done."),
        lambda row: row["status"] != VISIT_PLANNED or row["completed_at"] is None),
    # events and who attends them
    "ck_event_title_not_blank": Rule("event", "title", REQUIRED, _not_blank("title")),
    "ck_event_ends_after_start": Rule(
        "event", "ends_at", _l("The end cannot be before the start."),
        _not_before("ends_at", "starts_at")),
    "ck_event_capacity_non_negative": Rule("event", "capacity", COUNT,
                                           _at_least("capacity", 0)),
    "ck_event_budget_non_negative": Rule("event", "budget", AMOUNT, _at_least("budget", 0)),
    "ck_event_attendance_feedback_score_range": Rule(
        "event_attendance", "feedback_score", SCORE, _between("feedback_score", 1, 5)),
    "uq_event_attendance_event_id_client_id": Rule(
        "event_attendance", "client_id", _l("This client is already on the event's list.")),
    # complaints: the deadline is derived while saving, so only the database can tell
    "ck_complaint_satisfaction_range": Rule(
        "complaint", "satisfaction", SCORE, _between("satisfaction", 1, 5)),
    "ck_complaint_reopened_count_non_negative": Rule(
        "complaint", "reopened_count", COUNT, _at_least("reopened_count", 0)),
    "ck_complaint_closed_has_closed_at": Rule(
        "complaint", "closed_at", _l("A closed complaint needs the time it was closed."),
        lambda row: row["status"] != COMPLAINT_CLOSED or row["closed_at"] is not None),
    "ck_complaint_due_after_received": Rule(
        "complaint", "received_at",
        _l("The complaint cannot have been received after its deadline; check the time "
           "received.")),
    "uq_complaint_reference": Rule(
        "complaint", "reference", _l("Another complaint already has this reference.")),
    # tiers
    "ck_tier_rank_positive": Rule("tier", "rank", _l("The rank must be 1 or more."),
                                  _at_least("rank", 1)),
    "ck_tier_min_assets_non_negative": Rule("tier", "min_assets", AMOUNT,
                                            _at_least("min_assets", 0)),
    "ck_tier_min_annual_contribution_non_negative": Rule(
        "tier", "min_annual_contribution", AMOUNT, _at_least("min_annual_contribution", 0)),
    "ck_tier_min_trades_12m_non_negative": Rule("tier", "min_trades_12m", COUNT,
                                                _at_least("min_trades_12m", 0)),
    "ck_tier_callback_interval_range": Rule(
        "tier", "callback_interval_days",
        _l("The callback interval must be between 1 and 366 days."),
        _between("callback_interval_days", 1, 366)),
    "uq_tier_code": Rule("tier", "code", _l("Another tier already has this code.")),
    "uq_tier_rank": Rule("tier", "rank", _l("Another tier already has this rank.")),
    # clients
    "ck_client_assets_non_negative": Rule("client", "assets", AMOUNT, _at_least("assets", 0)),
    "ck_client_annual_contribution_non_negative": Rule(
        "client", "annual_contribution", AMOUNT, _at_least("annual_contribution", 0)),
    "ck_client_trades_12m_non_negative": Rule("client", "trades_12m", COUNT,
                                              _at_least("trades_12m", 0)),
    "ck_client_locked_tier_has_reason": Rule(
        "client", "tier_lock_reason", _l("Give a reason for locking the tier."),
        lambda row: not row["tier_locked"] or row["tier_lock_reason"] is not None),
    "ck_client_code_not_blank": Rule("client", "code", REQUIRED, _not_blank("code")),
    "ck_client_name_not_blank": Rule("client", "name", REQUIRED, _not_blank("name")),
    "uq_client_code": Rule("client", "code", _l("Another client already has this code.")),
    # kept by services.callbacks, never typed: shown beside the status, which moves it
    "ck_client_one_callback_schedule": Rule(
        "client", "status", _l("The client's callback schedule could not be kept. "
                               "Save again.")),
    # users, service levels, counters
    "ck_login_lock_failures_non_negative": Rule("login_lock", "failures", COUNT,
                                                _at_least("failures", 0)),
    "ck_user_username_not_blank": Rule("user", "username", REQUIRED,
                                       _not_blank("username")),
    "uq_user_username": Rule("user", "username",
                             _l("Another user already has this user name.")),
    "ck_service_level_days_range": Rule(
        "service_level", "days", _l("Enter a number of days from 1 to 365."),
        _between("days", 1, 365)),
    "uq_service_level_severity": Rule(
        "service_level", "severity", _l("This severity already has a service level.")),
    "ck_reference_counter_last_number_non_negative": Rule(
        "reference_counter", "last_number", COUNT, _at_least("last_number", 0)),
}


def _enum_rules(metadata: sa.MetaData) -> dict[str, Rule]:
    """The CHECK each enum column carries (its codes), as a rule beside that column."""
    rules = {}
    for table in metadata.tables.values():
        for constraint in table.constraints:
            columns = list(getattr(constraint, "columns", ()))
            if isinstance(constraint, sa.CheckConstraint) and len(columns) == 1 and \
                    isinstance(columns[0].type, sa.Enum):
                column = columns[0]
                rules[str(constraint.name)] = Rule(
                    table.name, column.key, LISTED, _one_of(column.key, column.type.enums))
    return rules


CONSTRAINTS.update(_enum_rules(METADATA))

# Rules no constraint states (the database has no "now"; a planned time it leaves
# optional), judged with the others on the screens' forms and by ``broken``.
FORM_RULES: tuple[Rule, ...] = (
    Rule("visit", "scheduled_for", _l("A planned visit needs the time it is planned for."),
         lambda row: row["status"] != VISIT_PLANNED or row["scheduled_for"] is not None),
    Rule("visit", "completed_at", _l("The completion time cannot be in the future."),
         lambda row: row["completed_at"] is None or _utc(row["completed_at"]) <= row.now),
    # A complaint received in the future would be numbered in that year (CP-2099-…).
    Rule("complaint", "received_at", _l("The time received cannot be in the future."),
         lambda row: row["received_at"] is None or _utc(row["received_at"]) <= row.now),
)


def rules_for(table: str) -> list[Rule]:
    """Every rule of ``table``, the database's and the forms' own."""
    return [rule for rule in (*CONSTRAINTS.values(), *FORM_RULES) if rule.table == table]


def broken(table: str, row: Row) -> list[Rule]:
    """The rules of ``table`` that ``row`` breaks (those it can be judged on)."""
    return [rule for rule in rules_for(table) if rule.broken_by(row)]


def refusal(error: sa.exc.IntegrityError) -> Rule | None:
    """The rule behind the database's refusal of a write, or None for one no rule names."""
    name = sql.violated_constraint(error, METADATA)
    return CONSTRAINTS.get(name) if name is not None else None


def unique_rule(table: str, columns: Iterable[str]) -> Rule | None:
    """The rule of the UNIQUE constraint over exactly ``columns`` of ``table``."""
    name = sql.unique_constraint_name(METADATA.tables[table], set(columns))
    return CONSTRAINTS.get(name) if name is not None else None


def unique_column_sets(table: str) -> list[tuple[str, ...]]:
    """The column sets ``table`` keeps unique (one per UNIQUE constraint or index)."""
    found = METADATA.tables[table]
    sets = [tuple(c.key for c in constraint.columns) for constraint in found.constraints
            if isinstance(constraint, sa.UniqueConstraint)]
    sets += [tuple(c.key for c in index.columns) for index in found.indexes if index.unique]
    return sets

