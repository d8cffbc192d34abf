"""The domain model: tables, columns and the constraints that guard them. Table and column
names are part of the interface (reports and operators query them): rename with care.

Constraints live here so that every write path -- screens, CLI, bulk SQL -- is held to
the same rules; form validation is the friendly first line, the database the last.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, aliased, mapped_column, relationship
from sqlalchemy.sql.elements import Grouping
from werkzeug.security import check_password_hash, generate_password_hash

from . import sql
from .enums import (
    DEFAULT_TIER_NAMES,
    AttendanceStatus,
    ClientKind,
    ClientStatus,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintStatus,
    DayCount,
    EventKind,
    EventStatus,
    Gender,
    RiskProfile,
    Role,
    Severity,
    TierChangeReason,
    TierCode,
    VisitChannel,
    VisitPurpose,
    VisitStatus,
)
from .extensions import Model

PASSWORD_METHOD = "scrypt"  # werkzeug's scrypt, n=2**15; tests may configure a cheaper cost


def password_method() -> str:
    if has_app_context():
        return current_app.config.get("PASSWORD_HASH_METHOD") or PASSWORD_METHOD
    return PASSWORD_METHOD


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Stored as naive UTC on every engine; always handed back as an aware UTC datetime.

    A naive value coming in (from a form, say) is taken to be UTC already.
    """

    impl = sa.DateTime
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


Money = sa.Numeric(18, 2)
# for expressions computed as UTC times (``Client.next_callback_due``)
UTC_DATETIME = cast("sa.types.TypeEngine[datetime | None]", UTCDateTime())


def enum_type(enum_cls: type[Enum], name: str) -> sa.Enum:
    """A portable enum: a VARCHAR of lower-case codes plus a CHECK constraint."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
    )


def fk(target: str, ondelete: str) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete=ondelete)


class User(UserMixin, Model):  # type: ignore[misc]  # flask_login ships no types
    __tablename__ = "user"
    __table_args__ = (sa.CheckConstraint("trim(username) <> ''", name="username_not_blank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120), default="")
    email: Mapped[str | None] = mapped_column(sa.String(254))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"), index=True, default=Role.staff)
    department: Mapped[str | None] = mapped_column(sa.String(120), index=True)
    locale: Mapped[str | None] = mapped_column(sa.String(16))
    # Where this user works: times are shown (and exported) in this zone; None for the
    # firm's TIME_ZONE.
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    is_active: Mapped[bool] = mapped_column(default=True, index=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Saves through the screens count; a log-in's write of ``last_login_at`` does not
    # (services.accounts.authenticate writes it beside the ORM).
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_method())

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def __str__(self) -> str:
        return self.full_name or self.username


class UserSession(Model):
    """A signed-in session, known to the server: the cookie carries a random token and
    this row its SHA-256 (``key``). Logging out, deactivating the user, changing their role
    or password delete the rows, so a copied cookie is worth nothing afterwards
    (``services/sessions.py``)."""

    __tablename__ = "user_session"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(fk("user.id", "CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(sa.String(64))


class LoginLock(Model):
    """Failed log-ins in a row of one account from one address (``source``), and the lock
    they earned: an outsider's failures lock the account only for the outsider's address
    (``services/accounts.authenticate``)."""

    __tablename__ = "login_lock"
    __table_args__ = (sa.CheckConstraint("failures >= 0", name="failures_non_negative"),)

    user_id: Mapped[int] = mapped_column(fk("user.id", "CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Tier(Model):
    __tablename__ = "tier"
    __table_args__ = (
        sa.CheckConstraint("rank >= 1", name="rank_positive"),
        sa.CheckConstraint("min_assets >= 0", name="min_assets_non_negative"),
        sa.CheckConstraint(
            "min_annual_contribution >= 0", name="min_annual_contribution_non_negative"
        ),
        sa.CheckConstraint("min_trades_12m >= 0", name="min_trades_12m_non_negative"),
        sa.CheckConstraint(
            "callback_interval_days BETWEEN 1 AND 366", name="callback_interval_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    rank: Mapped[int] = mapped_column(unique=True)
    min_assets: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    min_annual_contribution: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    min_trades_12m: Mapped[int] = mapped_column(default=0)
    # the old value is kept when it changes: the clients of the tier move with it
    callback_interval_days: Mapped[int] = mapped_column(default=365, active_history=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    version_id: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version_id}

    def __str__(self) -> str:
        return self.display_name()

    def display_name(self, label: Callable[[TierCode], str] = lambda code: str(code.label),
                     ) -> str:
        """The name people see: the admin's name for the tier, or, while it keeps its
        default (English) name, its code's label in the interface language."""
        try:
            code = TierCode(self.code)
        except ValueError:
            return self.name
        return label(code) if self.name in ("", None, DEFAULT_TIER_NAMES[code]) else self.name


class Client(Model):
    __tablename__ = "client"
    __table_args__ = (
        sa.CheckConstraint("assets >= 0", name="assets_non_negative"),
        sa.CheckConstraint("annual_contribution >= 0", name="annual_contribution_non_negative"),
        sa.CheckConstraint("trades_12m >= 0", name="trades_12m_non_negative"),
        sa.CheckConstraint(
            "NOT tier_locked OR tier_lock_reason IS NOT NULL", name="locked_tier_has_reason"
        ),
        sa.CheckConstraint("trim(code) <> ''", name="code_not_blank"),
        sa.CheckConstraint("trim(name) <> ''", name="name_not_blank"),
        # text_pattern_ops: PostgreSQL serves a prefix LIKE from it in any collation (and
        # equality too); SQLite's GLOB prefix uses the plain index (sql.starts_with).
        sa.Index("ix_client_phone", "phone", postgresql_ops={"phone": "text_pattern_ops"}),
        # The callback schedule (services/callbacks.py): at most one of its two parts.
        sa.CheckConstraint("cadence_anchor IS NULL OR due_fixed IS NULL",
                           name="one_callback_schedule"),
        # Due dates asked per tier, as ranges of the anchor (services/callbacks.py), for
        # everyone and for one advisor ("My clients"); the birthdays of a week, by birth
        # date, counted without reading the rows (services/queues.py).
        sa.Index("ix_client_tier_id_cadence_anchor", "tier_id", "cadence_anchor"),
        sa.Index("ix_client_advisor_id_tier_id_cadence_anchor", "advisor_id", "tier_id",
                 "cadence_anchor"),
        sa.Index("ix_client_advisor_id_due_fixed", "advisor_id", "due_fixed"),
        sa.Index("ix_client_birth_date_status", "birth_date", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120), index=True)
    kind: Mapped[ClientKind] = mapped_column(
        enum_type(ClientKind, "client_kind"), index=True, default=ClientKind.individual
    )
    status: Mapped[ClientStatus] = mapped_column(
        enum_type(ClientStatus, "client_status"), index=True, default=ClientStatus.active
    )
    gender: Mapped[Gender | None] = mapped_column(enum_type(Gender, "gender"))
    birth_date: Mapped[date | None] = mapped_column(sa.Date)
    # The phone number in its canonical form (services/phones.py), found by equality or
    # prefix on ``ix_client_phone`` below. No index on id_number: it is found by substring
    # search (ILIKE '%…%'), which a b-tree can't serve.
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    address: Mapped[str | None] = mapped_column(sa.String(255))
    occupation: Mapped[str | None] = mapped_column(sa.String(120))
    id_number: Mapped[str | None] = mapped_column(sa.String(32))
    risk_profile: Mapped[RiskProfile | None] = mapped_column(
        enum_type(RiskProfile, "risk_profile"), index=True
    )
    risk_assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assets: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), index=True)
    annual_contribution: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    trades_12m: Mapped[int] = mapped_column(default=0)
    tier_id: Mapped[int | None] = mapped_column(fk("tier.id", "RESTRICT"))
    tier_locked: Mapped[bool] = mapped_column(default=False)
    tier_lock_reason: Mapped[str | None] = mapped_column(sa.String(255))
    tier_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    advisor_id: Mapped[int | None] = mapped_column(fk("user.id", "SET NULL"))
    last_callback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the next callback falls due (services/callbacks.py): on ``due_fixed`` when set
    # (a new client's first callback, a date brought forward), else the tier's interval
    # after ``cadence_anchor`` (the last callback); neither: not due. The application
    # computes the date (``next_callback_due`` below), so that a change of a tier's
    # interval moves its clients' dates with one row.
    cadence_anchor: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_fixed: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The date as a column ``next_callback_due`` for reports and operators who query the
    # table: written with every change of a client's schedule, and after a change of a
    # tier's interval refreshed in batches once the change is saved. Not indexed, not read
    # by the application, left out of the audit (derived).
    due_copy: Mapped[datetime | None] = mapped_column("next_callback_due", UTCDateTime,
                                                      info={"derived": True})
    notes: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version_id: Mapped[int] = mapped_column(default=1)

    tier: Mapped[Tier | None] = relationship()
    advisor: Mapped[User | None] = relationship()
    tier_changes: Mapped[list[TierChange]] = relationship(
        back_populates="client", order_by="TierChange.changed_at.desc()",
        cascade="all, delete-orphan", passive_deletes=True,
    )

    __mapper_args__ = {"version_id_col": version_id}

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @hybrid_property
    def next_callback_due(self) -> datetime | None:
        """When the next callback falls due: ``due_fixed``, or the tier's interval after
        ``cadence_anchor`` (None: not due)."""
        if self.due_fixed is not None:
            return self.due_fixed
        if self.cadence_anchor is None or self.tier is None:
            return None
        return self.cadence_anchor + timedelta(days=self.tier.callback_interval_days)

    @next_callback_due.inplace.expression
    @classmethod
    def _next_callback_due_expression(cls) -> sa.ColumnElement[datetime | None]:
        """The same in SQL, row by row: for results and set-based writes. Questions over
        many clients ("due before X") go per tier instead (``services.callbacks``)."""
        tier = aliased(Tier)  # its own, beside any join of the tier table around it
        interval = (sa.select(tier.callback_interval_days).where(tier.id == cls.tier_id)
                    .correlate_except(tier).scalar_subquery())
        return sa.type_coerce(sa.case(
            (cls.due_fixed.is_not(None), cls.due_fixed),
            else_=sql.add_days(cls.cadence_anchor, interval)), UTC_DATETIME)


class TierChange(Model):
    __tablename__ = "tier_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(fk("client.id", "CASCADE"), index=True)
    from_tier_id: Mapped[int | None] = mapped_column(fk("tier.id", "RESTRICT"), index=True)
    to_tier_id: Mapped[int] = mapped_column(fk("tier.id", "RESTRICT"), index=True)
    reason: Mapped[TierChangeReason] = mapped_column(
        enum_type(TierChangeReason, "tier_change_reason")
    )
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    changed_by_id: Mapped[int | None] = mapped_column(fk("user.id", "SET NULL"), index=True)

    client: Mapped[Client] = relationship(back_populates="tier_changes")
    from_tier: Mapped[Tier | None] = relationship(foreign_keys=[from_tier_id])
    to_tier: Mapped[Tier] = relationship(foreign_keys=[to_tier_id])
    changed_by: Mapped[User | None] = relationship()


class Visit(Model):
    __tablename__ = "visit"
    __table_args__ = (
        sa.CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),
        sa.CheckConstraint(
            "status <> 'done' OR completed_at IS NOT NULL", name="done_has_completed_at"
        ),
        sa.CheckConstraint(
            "satisfaction IS NULL OR status = 'done'", name="satisfaction_only_when_done"
        ),
        sa.CheckConstraint(
            "status <> 'planned' OR completed_at IS NULL", name="planned_not_completed"
        ),
        # The work queue of one's callbacks still planned this week (services/queues.py).
        sa.Index("ix_visit_staff_id_status_scheduled_for", "staff_id", "status",
                 "scheduled_for"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(fk("client.id", "CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(fk("user.id", "SET NULL"), index=True)
    channel: Mapped[VisitChannel] = mapped_column(
        enum_type(VisitChannel, "visit_channel"), index=True
    )
    purpose: Mapped[VisitPurpose] = mapped_column(
        enum_type(VisitPurpose, "visit_purpose"), index=True
    )
    status: Mapped[VisitStatus] = mapped_column(
        enum_type(VisitStatus, "visit_status"), index=True, default=VisitStatus.planned
    )
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    satisfaction: Mapped[int | None] = mapped_column()
    summary: Mapped[str | None] = mapped_column(sa.Text)
    # Each save checks the version the form was opened at (views.mixins.VersionGuardMixin).
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")

    client: Mapped[Client] = relationship()
    staff: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version_id}


def _work_order(visit: sa.FromClause) -> tuple[sa.ColumnElement[Any], ...]:
    """The visits list's default order, what needs doing first: planned visits by when
    they are due (overdue ones first, far-future plans last among them), then planned
    ones with no time, then the rest latest first (completed, or else scheduled), then
    those with neither time; newest id first among equals.

    Written with constants in the SQL (no bound parameters), so that the statement's
    expressions are the index's own, which both engines then read in order for a page."""
    planned = visit.c.status == sa.literal_column("'planned'")
    happened = sa.func.coalesce(visit.c.completed_at, visit.c.scheduled_for)
    bucket = sa.case(
        (sa.and_(planned, visit.c.scheduled_for.is_not(None)), sa.literal_column("0")),
        (planned, sa.literal_column("1")),
        (happened.is_not(None), sa.literal_column("2")),
        else_=sa.literal_column("3"),
    )
    due = sa.case((planned, visit.c.scheduled_for))
    past = sa.case((sa.not_(planned), happened))
    # Bracketed: PostgreSQL takes an expression as an index key only in brackets.
    return Grouping(bucket), Grouping(due), Grouping(past).desc(), visit.c.id.desc()


VISIT_WORK_ORDER = _work_order(Visit.__table__)
sa.Index("ix_visit_work_order", *VISIT_WORK_ORDER)


class Event(Model):
    __tablename__ = "event"
    __table_args__ = (
        sa.CheckConstraint("ends_at IS NULL OR ends_at >= starts_at", name="ends_after_start"),
        sa.CheckConstraint("capacity >= 0", name="capacity_non_negative"),
        sa.CheckConstraint("budget >= 0", name="budget_non_negative"),
        sa.CheckConstraint("trim(title) <> ''", name="title_not_blank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200), index=True)
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind, "event_kind"), index=True)
    status: Mapped[EventStatus] = mapped_column(
        enum_type(EventStatus, "event_status"), index=True, default=EventStatus.planned
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    location: Mapped[str | None] = mapped_column(sa.String(200))
    capacity: Mapped[int | None] = mapped_column()
    budget: Mapped[Decimal | None] = mapped_column(Money)
    organizer_id: Mapped[int | None] = mapped_column(fk("user.id", "SET NULL"), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    version_id: Mapped[int] = mapped_column(default=1)

    organizer: Mapped[User | None] = relationship()
    attendances: Mapped[list[EventAttendance]] = relationship(
        back_populates="event", cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version_id}

    def __str__(self) -> str:
        return self.title


class EventAttendance(Model):
    __tablename__ = "event_attendance"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "client_id"),
        sa.CheckConstraint("feedback_score BETWEEN 1 AND 5", name="feedback_score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(fk("event.id", "CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(fk("client.id", "CASCADE"), index=True)
    status: Mapped[AttendanceStatus] = mapped_column(
        enum_type(AttendanceStatus, "attendance_status"), index=True,
        default=AttendanceStatus.invited,
    )
    feedback_score: Mapped[int | None] = mapped_column()
    feedback_text: Mapped[str | None] = mapped_column(sa.Text)

    event: Mapped[Event] = relationship(back_populates="attendances")
    client: Mapped[Client] = relationship()

    # Each save checks the version the form was opened at (views.mixins.VersionGuardMixin).
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version_id}


class Complaint(Model):
    __tablename__ = "complaint"
    __table_args__ = (
        sa.CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),
        sa.CheckConstraint("reopened_count >= 0", name="reopened_count_non_negative"),
        sa.CheckConstraint(
            "status <> 'closed' OR closed_at IS NOT NULL", name="closed_has_closed_at"
        ),
        sa.CheckConstraint("due_at IS NULL OR due_at >= received_at", name="due_after_received"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(32), unique=True)
    client_id: Mapped[int] = mapped_column(fk("client.id", "RESTRICT"), index=True)
    channel: Mapped[ComplaintChannel] = mapped_column(
        enum_type(ComplaintChannel, "complaint_channel"), index=True
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    category: Mapped[ComplaintCategory] = mapped_column(
        enum_type(ComplaintCategory, "complaint_category"), index=True
    )
    severity: Mapped[Severity | None] = mapped_column(enum_type(Severity, "severity"), index=True)
    department: Mapped[str | None] = mapped_column(sa.String(120), index=True)
    assignee_id: Mapped[int | None] = mapped_column(fk("user.id", "SET NULL"), index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    status: Mapped[ComplaintStatus] = mapped_column(
        enum_type(ComplaintStatus, "complaint_status"), index=True,
        default=ComplaintStatus.received,
    )
    description: Mapped[str] = mapped_column(sa.Text)
    findings: Mapped[str | None] = mapped_column(sa.Text)
    resolution: Mapped[str | None] = mapped_column(sa.Text)
    root_cause: Mapped[str | None] = mapped_column(sa.Text)
    satisfaction: Mapped[int | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    closed_by_id: Mapped[int | None] = mapped_column(fk("user.id", "SET NULL"), index=True)
    reopened_count: Mapped[int] = mapped_column(default=0)
    version_id: Mapped[int] = mapped_column(default=1)

    client: Mapped[Client] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])

    __mapper_args__ = {"version_id_col": version_id}

    def __str__(self) -> str:
        return self.reference


class ServiceLevel(Model):
    """How many days a complaint of each severity may stay open, counted as calendar or as
    working days (admins configure both)."""

    __tablename__ = "service_level"
    __table_args__ = (sa.CheckConstraint("days BETWEEN 1 AND 365", name="days_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    severity: Mapped[Severity] = mapped_column(enum_type(Severity, "severity"), unique=True)
    days: Mapped[int] = mapped_column()
    counted_in: Mapped[DayCount] = mapped_column(
        enum_type(DayCount, "day_count"), default=DayCount.calendar,
        server_default=DayCount.calendar.value,
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Each save checks the version the form was opened at (views.mixins.VersionGuardMixin).
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version_id}

    def __str__(self) -> str:
        return str(self.severity.label)


class ReferenceCounter(Model):
    """The last complaint number handed out per year; incremented atomically."""

    __tablename__ = "reference_counter"
    __table_args__ = (sa.CheckConstraint("last_number >= 0", name="last_number_non_negative"),)

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)


class AuditEntry(Model):
    __tablename__ = "audit_entry"
    # Read newest first: a record's history, the log by user, by action (migration 0010).
    __table_args__ = (
        sa.Index("ix_audit_entry_entity_entity_id_at", "entity", "entity_id", "at"),
        sa.Index("ix_audit_entry_user_id_at", "user_id", "at"),
        sa.Index("ix_audit_entry_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(fk("user.id", "SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(32))
    entity: Mapped[str] = mapped_column(sa.String(64))
    entity_id: Mapped[str | None] = mapped_column(sa.String(64))
    changes: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    ip: Mapped[str | None] = mapped_column(sa.String(64))

    user: Mapped[User | None] = relationship()
