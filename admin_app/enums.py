"""Domain enumerations, stored by their lower-case codes and shown through translated labels.

Member names equal their values so that Flask-Admin's filters (which look members
up by name) and our forms (which post the value) agree on one spelling.
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class LabelledEnum(StrEnum):
    """A StrEnum whose members carry a translated label."""

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {member.value: member.label for member in cls}

    @classmethod
    def choices(cls) -> list[tuple[str, object]]:
        return [(member.value, member.label) for member in cls]

    @property
    def label(self) -> object:
        return _LABELS[type(self).__name__][self.value]


class Role(LabelledEnum):
    staff = "staff"
    supervisor = "supervisor"
    admin = "admin"


class TierCode(LabelledEnum):
    diamond = "diamond"
    platinum = "platinum"
    gold = "gold"
    standard = "standard"


class ClientKind(LabelledEnum):
    individual = "individual"
    enterprise = "enterprise"
    institution = "institution"


class ClientStatus(LabelledEnum):
    prospect = "prospect"
    active = "active"
    dormant = "dormant"
    closed = "closed"


class Gender(LabelledEnum):
    male = "male"
    female = "female"


class RiskProfile(LabelledEnum):
    conservative = "conservative"
    balanced = "balanced"
    aggressive = "aggressive"


class TierChangeReason(LabelledEnum):
    recalculation = "recalculation"
    manual = "manual"


class VisitChannel(LabelledEnum):
    phone = "phone"
    sms = "sms"
    email = "email"
    wechat = "wechat"
    meeting = "meeting"
    home_visit = "home_visit"


class VisitPurpose(LabelledEnum):
    scheduled_callback = "scheduled_callback"
    new_client_callback = "new_client_callback"
    holiday_greeting = "holiday_greeting"
    birthday_greeting = "birthday_greeting"
    complaint_followup = "complaint_followup"
    product_recommendation = "product_recommendation"
    other = "other"


class VisitStatus(LabelledEnum):
    planned = "planned"
    done = "done"
    missed = "missed"
    cancelled = "cancelled"


class EventKind(LabelledEnum):
    lecture = "lecture"
    seminar = "seminar"
    client_exchange = "client_exchange"
    outdoor = "outdoor"
    appreciation = "appreciation"
    other = "other"


class EventStatus(LabelledEnum):
    planned = "planned"
    open = "open"
    done = "done"
    cancelled = "cancelled"


class AttendanceStatus(LabelledEnum):
    invited = "invited"
    registered = "registered"
    attended = "attended"
    no_show = "no_show"


class ComplaintChannel(LabelledEnum):
    hotline = "hotline"
    email = "email"
    online = "online"
    branch = "branch"
    letter = "letter"
    regulator = "regulator"


class ComplaintCategory(LabelledEnum):
    service = "service"
    product = "product"
    fees = "fees"
    trading = "trading"
    advice = "advice"
    account = "account"
    privacy = "privacy"
    other = "other"


class Severity(LabelledEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class ComplaintStatus(LabelledEnum):
    received = "received"
    assessing = "assessing"
    investigating = "investigating"
    resolving = "resolving"
    closed = "closed"


class AuditAction(LabelledEnum):
    create = "create"
    update = "update"
    delete = "delete"
    login = "login"
    logout = "logout"
    login_failed = "login_failed"
    seed = "seed"


# Labels are kept apart from the members so that StrEnum values stay plain codes.
class Resource(StrEnum):
    """What the permission matrix grants on: one per screen, plus the dashboard."""

    dashboard = "dashboard"
    client = "client"
    visit = "visit"
    event = "event"
    complaint = "complaint"
    tier = "tier"
    user = "user"
    service_level = "service_level"
    audit = "audit"


class Capability(StrEnum):
    """What a role may do to a resource (DESIGN.md §2)."""

    view = "view"
    create = "create"
    edit = "edit"
    delete = "delete"
    export = "export"
    see_pii = "see_pii"
    recalculate_tier = "recalculate_tier"
    recalculate_all = "recalculate_all"
    change_tier = "change_tier"
    reassign = "reassign"
    close = "close"
    reopen = "reopen"


_LABELS: dict[str, dict[str, object]] = {
    "Role": {"staff": _l("Staff"), "supervisor": _l("Supervisor"), "admin": _l("Admin")},
    "TierCode": {
        "diamond": _l("Diamond"),
        "platinum": _l("Platinum"),
        "gold": _l("Gold"),
        "standard": _l("Standard"),
    },
    "ClientKind": {
        "individual": _l("Individual"),
        "enterprise": _l("Enterprise"),
        "institution": _l("Institution"),
    },
    "ClientStatus": {
        "prospect": _l("Prospect"),
        "active": _l("Active"),
        "dormant": _l("Dormant"),
        "closed": _l("Closed account"),
    },
    "Gender": {"male": _l("Male"), "female": _l("Female")},
    "RiskProfile": {
        "conservative": _l("Conservative"),
        "balanced": _l("Balanced"),
        "aggressive": _l("Aggressive"),
    },
    "TierChangeReason": {"recalculation": _l("Recalculation"), "manual": _l("Manual")},
    "VisitChannel": {
        "phone": _l("Phone"),
        "sms": _l("SMS"),
        "email": _l("E-mail"),
        "wechat": _l("WeChat"),
        "meeting": _l("Meeting"),
        "home_visit": _l("Home visit"),
    },
    "VisitPurpose": {
        "scheduled_callback": _l("Scheduled callback"),
        "new_client_callback": _l("New-client callback"),
        "holiday_greeting": _l("Holiday greeting"),
        "birthday_greeting": _l("Birthday greeting"),
        "complaint_followup": _l("Complaint follow-up"),
        "product_recommendation": _l("Product recommendation"),
        "other": _l("Other"),
    },
    "VisitStatus": {
        "planned": _l("Planned"),
        "done": _l("Done"),
        "missed": _l("Missed"),
        "cancelled": _l("Cancelled"),
    },
    "EventKind": {
        "lecture": _l("Investment lecture"),
        "seminar": _l("Seminar"),
        "client_exchange": _l("Client exchange meeting"),
        "outdoor": _l("Outdoor activity"),
        "appreciation": _l("Client appreciation event"),
        "other": _l("Other"),
    },
    "EventStatus": {
        "planned": _l("Planned"),
        "open": _l("Open"),
        "done": _l("Done"),
        "cancelled": _l("Cancelled"),
    },
    "AttendanceStatus": {
        "invited": _l("Invited"),
        "registered": _l("Registered"),
        "attended": _l("Attended"),
        "no_show": _l("No-show"),
    },
    "ComplaintChannel": {
        "hotline": _l("Service hotline"),
        "email": _l("E-mail"),
        "online": _l("Online"),
        "branch": _l("Branch"),
        "letter": _l("Letter"),
        "regulator": _l("Regulator referral"),
    },
    "ComplaintCategory": {
        "service": _l("Service attitude"),
        "product": _l("Product"),
        "fees": _l("Fees and charges"),
        "trading": _l("Trading system"),
        "advice": _l("Investment advice"),
        "account": _l("Account handling"),
        "privacy": _l("Information security"),
        "other": _l("Other"),
    },
    "Severity": {
        "low": _l("Low"),
        "medium": _l("Medium"),
        "high": _l("High"),
        "critical": _l("Critical"),
    },
    "ComplaintStatus": {
        "received": _l("Received"),
        "assessing": _l("Assessing"),
        "investigating": _l("Investigating"),
        "resolving": _l("Resolving"),
        "closed": _l("Closed"),
    },
    "AuditAction": {
        "create": _l("Create"),
        "update": _l("Update"),
        "delete": _l("Delete"),
        "login": _l("Log in"),
        "logout": _l("Log out"),
        "login_failed": _l("Failed log-in"),
        "seed": _l("Seed demo data"),
    },
}
