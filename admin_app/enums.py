"""Domain enumerations, stored by their lower-case codes and shown through translated labels.

Each member is written ``code = "code", _l("Label")``: the value stays the plain code
(what the database, forms and URLs use) and the label sits beside it. Member names equal
their values so that Flask-Admin's filters (which look members up by name) and our forms
(which post the value) agree on one spelling.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l


class LabelledEnum(StrEnum):
    """A StrEnum whose members carry a translated label: ``gold = "gold", _l("Gold")``."""

    _label: Any

    def __new__(cls, value: str, label: Any = None) -> LabelledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {member.value: member.label for member in cls}

    @classmethod
    def choices(cls) -> list[tuple[str, object]]:
        return [(member.value, member.label) for member in cls]

    @property
    def label(self) -> object:
        return self._label

    @classmethod
    def label_for(cls, code: object) -> str:
        """The translated label of ``code``; a code not (or no longer) listed, as it is."""
        try:
            return str(cls(code).label)
        except ValueError:
            return "" if code is None else str(code)


class Role(LabelledEnum):
    staff = "staff", _l("Staff")
    supervisor = "supervisor", _l("Supervisor")
    admin = "admin", _l("Admin")


class TierCode(LabelledEnum):
    """The four tiers the app defines; nobody creates others."""

    diamond = "diamond", _l("Diamond")
    platinum = "platinum", _l("Platinum")
    gold = "gold", _l("Gold")
    standard = "standard", _l("Standard")


# The names the default tiers are created with (seed/tiers.py). A tier still so named is
# shown by its code's translated label; a name an admin gave it is shown as typed.
DEFAULT_TIER_NAMES = {TierCode.diamond: "Diamond", TierCode.platinum: "Platinum",
                      TierCode.gold: "Gold", TierCode.standard: "Standard"}


class ClientKind(LabelledEnum):
    individual = "individual", _l("Individual")
    enterprise = "enterprise", _l("Enterprise")
    institution = "institution", _l("Institution")


class ClientStatus(LabelledEnum):
    prospect = "prospect", _l("Prospect")
    active = "active", _l("Active")
    dormant = "dormant", _l("Dormant")
    closed = "closed", _l("Closed account")


class Gender(LabelledEnum):
    male = "male", _l("Male")
    female = "female", _l("Female")


class RiskProfile(LabelledEnum):
    conservative = "conservative", _l("Conservative")
    balanced = "balanced", _l("Balanced")
    aggressive = "aggressive", _l("Aggressive")


class TierChangeReason(LabelledEnum):
    recalculation = "recalculation", _l("Recalculation")
    manual = "manual", _l("Manual")


class VisitChannel(LabelledEnum):
    phone = "phone", _l("Phone")
    sms = "sms", _l("SMS")
    email = "email", _l("E-mail")
    wechat = "wechat", _l("WeChat")
    meeting = "meeting", _l("Meeting")
    home_visit = "home_visit", _l("Home visit")


class VisitPurpose(LabelledEnum):
    scheduled_callback = "scheduled_callback", _l("Scheduled callback")
    new_client_callback = "new_client_callback", _l("New-client callback")
    holiday_greeting = "holiday_greeting", _l("Holiday greeting")
    birthday_greeting = "birthday_greeting", _l("Birthday greeting")
    complaint_followup = "complaint_followup", _l("Complaint follow-up")
    product_recommendation = "product_recommendation", _l("Product recommendation")
    other = "other", _l("Other")


class VisitStatus(LabelledEnum):
    planned = "planned", _l("Planned")
    done = "done", _l("Done")
    missed = "missed", _l("Missed")
    cancelled = "cancelled", _l("Cancelled")


class EventKind(LabelledEnum):
    lecture = "lecture", _l("Investment lecture")
    seminar = "seminar", _l("Seminar")
    client_exchange = "client_exchange", _l("Client exchange meeting")
    outdoor = "outdoor", _l("Outdoor activity")
    appreciation = "appreciation", _l("Client appreciation event")
    other = "other", _l("Other")


class EventStatus(LabelledEnum):
    planned = "planned", _l("Planned")
    open = "open", _l("Open")
    done = "done", _l("Done")
    cancelled = "cancelled", _l("Cancelled")


class AttendanceStatus(LabelledEnum):
    invited = "invited", _l("Invited")
    registered = "registered", _l("Registered")
    attended = "attended", _l("Attended")
    no_show = "no_show", _l("No-show")


class ComplaintChannel(LabelledEnum):
    hotline = "hotline", _l("Service hotline")
    email = "email", _l("E-mail")
    online = "online", _l("Online")
    branch = "branch", _l("Branch")
    letter = "letter", _l("Letter")
    regulator = "regulator", _l("Regulator referral")


class ComplaintCategory(LabelledEnum):
    service = "service", _l("Service attitude")
    product = "product", _l("Product")
    fees = "fees", _l("Fees and charges")
    trading = "trading", _l("Trading system")
    advice = "advice", _l("Investment advice")
    account = "account", _l("Account handling")
    privacy = "privacy", _l("Information security")
    other = "other", _l("Other")


class Severity(LabelledEnum):
    low = "low", _l("Low")
    medium = "medium", _l("Medium")
    high = "high", _l("High")
    critical = "critical", _l("Critical")


class ComplaintStatus(LabelledEnum):
    received = "received", _l("Received")
    assessing = "assessing", _l("Assessing")
    investigating = "investigating", _l("Investigating")
    resolving = "resolving", _l("Resolving")
    closed = "closed", _l("Closed")


class DayCount(LabelledEnum):
    """How a service level's days are counted: every day, or working days on the mainland
    calendar (public holidays skipped, make-up working days counted)."""

    calendar = "calendar", _l("Calendar days")
    working = "working", _l("Working days")


class AuditAction(LabelledEnum):
    """What an audit entry records (``AuditEntry.action``). Older entries may hold codes
    no longer listed here: the screens show those as they are."""

    create = "create", _l("Created")
    update = "update", _l("Edited")
    delete = "delete", _l("Deleted")
    login = "login", _l("Logged in")
    login_failed = "login_failed", _l("Failed log-in")
    login_throttled = "login_throttled", _l("Log-ins refused by the rate limit")
    logout = "logout", _l("Logged out")
    transition = "transition", _l("Complaint step")
    recalculate_tiers = "recalculate_tiers", _l("Tier recalculation")
    plan_callbacks = "plan_callbacks", _l("Callbacks planned")
    export = "export", _l("Exported")
    view_pii = "view_pii", _l("Viewed personal data")
    refused = "refused", _l("Refused request")
    seed = "seed", _l("Demo data loaded")
    role_change = "role_change", _l("Role changed")
    deactivate = "deactivate", _l("Deactivated")
    reactivate = "reactivate", _l("Reactivated")
    password_reset = "password_reset", _l("Password reset")
    invite = "invite", _l("Invited to an event")


class RecordType(LabelledEnum):
    """The kind of record an audit entry is about (``AuditEntry.entity``: a table name)."""

    client = "client", _l("Client")
    visit = "visit", _l("Visit")
    event = "event", _l("Event")
    event_attendance = "event_attendance", _l("Event attendance")
    complaint = "complaint", _l("Complaint")
    tier = "tier", _l("Tier")
    service_level = "service_level", _l("Service level")
    user = "user", _l("User")
    audit_entry = "audit_entry", _l("Audit log")
    request = "request", _l("Request")


class Resource(StrEnum):
    """What the permission matrix grants on: one per screen, plus the dashboard."""

    dashboard = "dashboard"
    client = "client"
    visit = "visit"
    event = "event"
    attendance = "attendance"
    complaint = "complaint"
    tier = "tier"
    user = "user"
    service_level = "service_level"
    audit = "audit"


class Capability(StrEnum):
    """What a role may do to a resource: the columns of ``permissions.MATRIX``."""

    view = "view"
    create = "create"
    edit = "edit"
    delete = "delete"
    export = "export"
    see_pii = "see_pii"
    recalculate_tier = "recalculate_tier"
    recalculate_all = "recalculate_all"
    change_tier = "change_tier"
    plan_callbacks = "plan_callbacks"
    plan_callbacks_all = "plan_callbacks_all"
    invite_to_event = "invite_to_event"
    invite_to_event_all = "invite_to_event_all"
    reassign = "reassign"
    close = "close"
    reopen = "reopen"
