"""The demo plan: what a demo database contains -- how many events, visits, complaints and
tier moves, in which states, for which clients -- built as rows from one ``random.Random``.

The screens, dashboards and benchmarks need volume (up to a million clients), so rows are
plain dicts written a batch of clients at a time by ``admin_app.sql.bulk_insert``; the
values in them (names, phones, ID numbers, addresses, moments) come from ``seed/fake.py``.
(Building the next batch in a worker thread while one is written was tried: on two busy
cores the GIL hand-offs cost more than the overlap gained.)

The data is consistent with the domain rules, so a demo never shows an impossible record:
every client sits in the tier that ``services.tiers.evaluate`` gives its figures (read from
the tier table, so edited thresholds are respected), ID numbers carry a valid check digit
and agree with birth date and gender, a client's last callback is its latest done visit
and the next one falls due a tier interval later, complaint fields match how far the
complaint's workflow got, and references follow ``services.complaints.REFERENCE_FORMAT``.

Client and event ids are assigned here (max(id) + 1 onwards) so that visits, attendance
and complaints can point at them without a round trip; on PostgreSQL the id sequences are
advanced afterwards. Seeding is a batch job: do not run two at once on one database.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from admin_app import sql
from admin_app.models import (
    Client,
    Complaint,
    Event,
    EventAttendance,
    ReferenceCounter,
    TierChange,
    User,
    Visit,
)
from admin_app.services import callbacks, complaints
from admin_app.services.complaints import REFERENCE_FORMAT
from admin_app.services.tiers import evaluate, load_thresholds

from . import fake
from . import names as N
from .fake import Weighted, below, money, office_time, pick, randint

BATCH_SIZE = 5000
COMPLAINT_SHARE = 0.03
LOCKED_SHARE = 0.005
HISTORY_SHARE = 0.03
CLIENTS_PER_EVENT = 1000
MIN_EVENTS = 6  # one of each kind, even for a small demo

# Share of clients aimed at each tier counted from the top; the lowest tier takes the rest.
# Enterprises and institutions hold more; overall that gives about 2 / 9 / 27 / 62 %.
TOP_TIER_SHARES = (0.02, 0.08, 0.25)
KIND_WEALTH = {"individual": 1.0, "enterprise": 2.0, "institution": 2.5}
# Mean number of event invitations per client by tier, counted from the top.
INVITE_RATES = (0.9, 0.5, 0.2)
LOWEST_INVITE_RATE = 0.05

COMPLAINT_STATUSES = ("received", "assessing", "investigating", "resolving", "closed")


DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
WEEK = timedelta(days=7)
MONTH = timedelta(days=30)


# --- the generator ----------------------------------------------------------------------

_KIND = Weighted([("individual", 90), ("enterprise", 7), ("institution", 3)])
_STATUS_LOWEST = Weighted([("active", 66), ("dormant", 15), ("prospect", 12), ("closed", 7)])
_STATUS_HIGHER = Weighted([("active", 88), ("dormant", 12)])
_RISK = Weighted([("conservative", 35), ("balanced", 45), ("aggressive", 20)])
_CHANNEL = Weighted([("phone", 45), ("wechat", 20), ("sms", 8), ("email", 7),
                     ("meeting", 12), ("home_visit", 8)])
_CALLBACK_PURPOSE = Weighted([("scheduled_callback", 60), ("holiday_greeting", 10),
                              ("birthday_greeting", 8), ("complaint_followup", 4),
                              ("product_recommendation", 12), ("other", 6)])
_VISIT_STATUS = Weighted([("done", 45), ("planned", 25), ("missed", 15), ("cancelled", 15)])
_EXTRA_VISITS = Weighted([(0, 35), (1, 40), (2, 20), (3, 5)])
_SCORE = Weighted([(5, 40), (4, 35), (3, 15), (2, 6), (1, 4)])
_FEEDBACK = Weighted([(5, 45), (4, 35), (3, 13), (2, 5), (1, 2)])
_EVENT_KIND = Weighted([("lecture", 30), ("seminar", 20), ("client_exchange", 20),
                        ("outdoor", 12), ("appreciation", 10), ("other", 8)])
_EVENT_STATUS = Weighted([("done", 60), ("open", 15), ("planned", 15), ("cancelled", 10)])
_COMPLAINT_CHANNEL = Weighted([("hotline", 40), ("online", 20), ("email", 12), ("branch", 18),
                               ("letter", 4), ("regulator", 6)])
_COMPLAINT_CATEGORY = Weighted([("service", 25), ("product", 15), ("fees", 15), ("trading", 15),
                                ("advice", 10), ("account", 10), ("privacy", 5), ("other", 5)])
_COMPLAINT_STATUS = Weighted([("closed", 60), ("received", 10), ("assessing", 10),
                              ("investigating", 10), ("resolving", 10)])
_SEVERITY = Weighted([("low", 35), ("medium", 40), ("high", 20), ("critical", 5)])
_FAILING_MEASURE = Weighted([(0, 60), (1, 25), (2, 15)])

# Event shape by kind: local start hour, duration in hours, capacity range, cost per head.
_EVENT_SHAPE: dict[str, tuple[int, float, tuple[int, int], tuple[int, int]]] = {
    "lecture": (14, 2, (50, 200), (150, 300)),
    "seminar": (14, 3, (30, 80), (300, 800)),
    "client_exchange": (15, 2.5, (20, 60), (200, 500)),
    "outdoor": (8, 6, (15, 40), (500, 1500)),
    "appreciation": (18, 3, (80, 250), (800, 2000)),
    "other": (19, 2, (20, 100), (100, 400)),
}
_ATTENDANCE = {
    "done": Weighted([("attended", 68), ("no_show", 14), ("invited", 18)]),
    "open": Weighted([("invited", 45), ("registered", 55)]),
    "planned": Weighted([("invited", 1)]),
    "cancelled": Weighted([("invited", 50), ("registered", 50)]),
}


@dataclass
class _EventSlot:
    id: int
    kind: str
    status: str
    starts_at: datetime
    room: int  # invitations still allowed


class _Demo:
    """Row builders sharing one random stream, the clock, the tiers and the staff."""

    def __init__(self, session: Session, rng: random.Random, now: datetime) -> None:
        self.session = session
        self.rng = rng
        self.now = now
        self.rules = load_thresholds(session)  # highest rank (1) first
        # Thresholds in whole cents, for drawing figures that land in a tier.
        self.floors = [(fake.cents(t.min_assets), fake.cents(t.min_annual_contribution),
                        t.min_trades_12m) for t in self.rules]
        self.position = {t.id: index for index, t in enumerate(self.rules)}
        users = session.execute(
            sa.select(User.id, User.role).where(User.is_active).order_by(User.id)
        ).all()
        by_role: dict[str, list[int]] = {}
        for user_id, role in users:
            by_role.setdefault(str(role), []).append(user_id)
        everyone = [user_id for user_id, _ in users]
        self.advisors = by_role.get("staff") or everyone
        self.workers = by_role.get("staff", []) + by_role.get("supervisor", []) or everyone
        self.managers = by_role.get("supervisor", []) + by_role.get("admin", []) or everyone
        self.targets = {kind: self._target_tiers(factor) for kind, factor in KIND_WEALTH.items()}
        self.events: list[_EventSlot] = []
        self.event_pickers: list[Weighted[_EventSlot] | None] = []
        self.invite_factor = 1.0
        self.complaints_made = 0
        # Constant offsets from the clock, computed once: client_row runs a million times.
        self.twelve_years_ago = now - timedelta(days=365 * 12)
        self.three_years_ago = now - timedelta(days=3 * 365)
        self.year_ago = now - timedelta(days=365)
        self.week_ago = now - timedelta(days=7)
        # Complaint numbers are read once, up front (complaints go back three years).
        self.references = {year: _highest_reference(session, year)
                           for year in range(now.year - 3, now.year + 1)}
        self.first_references = dict(self.references)
        # Deadlines follow the configured service levels, as the complaint screens do.
        self.levels = {str(severity): level for severity, level
                       in complaints.service_levels(session).items()}

    # tiers ------------------------------------------------------------------------------

    def _target_tiers(self, factor: float) -> Weighted[int] | None:
        """Which tier (index from the top) a client of some kind is aimed at."""
        count = len(self.rules)
        if not count:
            return None
        shares = [0.005] * max(0, count - 1 - len(TOP_TIER_SHARES)) + list(TOP_TIER_SHARES)
        shares = [share * factor for share in shares[len(shares) - (count - 1):]]
        shares = shares if count > 1 else []
        shares.append(max(0.0, 1 - sum(shares)))
        return Weighted(list(enumerate(shares)))

    def _invite_rate(self, index: int) -> float:
        if index == len(self.rules) - 1:
            return LOWEST_INVITE_RATE
        return INVITE_RATES[index] if index < len(INVITE_RATES) else LOWEST_INVITE_RATE

    def figures(self, target: int) -> tuple[int, int, int]:
        """Assets and contribution (cents) and trades that land in ``target`` (an index).

        At least one measure stays below the next higher tier's threshold, so the client
        does not qualify higher; the others may exceed it, as real figures do."""
        rng = self.rng
        lo = self.floors[target]
        if target == 0:
            base = lo[0] or 1_000_000_000
            assets = lo[0] + int(base * min(rng.paretovariate(1.5) - 1, 20))
            contribution = max(lo[1], int(assets * rng.uniform(0.008, 0.02)))
            trades = lo[2] + int(rng.expovariate(1 / (lo[2] + 10)))
            return assets, contribution, trades
        hi = self.floors[target - 1]
        can_fail = [m for m in range(3) if hi[m] > lo[m]]
        failing = _FAILING_MEASURE.pick(rng)
        if can_fail and failing not in can_fail:
            failing = pick(rng, can_fail)

        def measure(m: int, natural: int | None = None) -> int:
            if hi[m] <= lo[m]:
                return lo[m] if natural is None else max(lo[m], natural)
            if m == failing:
                if natural is not None and lo[m] <= natural < hi[m]:
                    return natural
                return lo[m] + int((hi[m] - lo[m]) * rng.random() ** 1.4)
            if natural is not None and natural >= lo[m]:
                return natural
            value = lo[m] + int((hi[m] - lo[m]) * rng.random() ** 1.2)
            if rng.random() < 0.25:  # strong on this measure, held back by another
                value = hi[m] + int(hi[m] * 0.5 * rng.random())
            return value

        assets = measure(0)
        contribution = measure(1, int(assets * rng.uniform(0.004, 0.015)))
        trades = measure(2)
        return assets, contribution, trades

    # events -----------------------------------------------------------------------------

    def event_rows(self, first_id: int, count: int, clients: int) -> list[dict[str, Any]]:
        """Events of every kind and status; their invitations are handed out per client."""
        rng, now = self.rng, self.now
        kinds = list(_EVENT_SHAPE)
        fixed_status = ("done", "open", "planned", "cancelled", "done", "done")
        rows = []
        for i in range(count):
            kind = kinds[i] if i < len(kinds) else _EVENT_KIND.pick(rng)
            status = fixed_status[i] if i < len(fixed_status) else _EVENT_STATUS.pick(rng)
            hour, hours, (cap_lo, cap_hi), (cost_lo, cost_hi) = _EVENT_SHAPE[kind]
            offset = {"done": (-720, -7), "open": (5, 45), "planned": (45, 200),
                      "cancelled": (-300, 60)}[status]
            day = (now + timedelta(days=rng.uniform(*offset))).date()
            starts = datetime(day.year, day.month, day.day) + timedelta(hours=hour - 8)
            capacity = cap_lo + 5 * below(rng, (cap_hi - cap_lo) // 5 + 1)
            local = starts + timedelta(hours=8)
            title = pick(rng, N.EVENT_TITLES[kind]).format(
                year=local.year, season=N.SEASONS[local.month - 1],
                city=pick(rng, N.COMPANY_CITIES))
            rows.append({
                "id": first_id + i,
                "title": title,
                "kind": kind,
                "status": status,
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=hours),
                "location": pick(rng, N.EVENT_LOCATIONS[kind]),
                "capacity": capacity,
                "budget": money(capacity * randint(rng, cost_lo, cost_hi) * 100),
                "organizer_id": pick(rng, self.workers) if self.workers else None,
                "description": N.EVENT_DESCRIPTIONS[kind],
                "version_id": 1,
            })
            # Every invitation takes a place (services/events.py): never more than capacity.
            self.events.append(_EventSlot(first_id + i, kind, status, starts, capacity))
        self._plan_invitations(clients)
        return rows

    def _plan_invitations(self, clients: int) -> None:
        """Who may be invited where (appreciation events are for the top tiers), and how
        many invitations per client keep events near capacity."""
        tiers = len(self.rules)
        for index in range(tiers):
            vip = index <= 1 or tiers < 3
            pairs = [(e, float(e.room)) for e in self.events if vip or e.kind != "appreciation"]
            self.event_pickers.append(Weighted(pairs) if pairs else None)
        target = self.targets["individual"]
        if not clients or not target:
            return
        weights = target.cumulative
        shares = [(weights[i] - (weights[i - 1] if i else 0)) / target.total
                  for i in range(tiers)]
        mean_rate = sum(self._invite_rate(i) * share for i, share in enumerate(shares))
        wanted = min(0.9 * sum(e.room for e in self.events), 0.5 * clients)
        self.invite_factor = wanted / (clients * mean_rate) if mean_rate else 0.0

    def attendance_rows(self, client_id: int, tier: int | None,
                        created_at: datetime) -> list[dict[str, Any]]:
        rng = self.rng
        if tier is None or tier >= len(self.event_pickers) or not self.event_pickers[tier]:
            return []
        expected = self._invite_rate(tier) * self.invite_factor
        count = int(expected) + (rng.random() < expected - int(expected))
        if not count:
            return []
        picker = self.event_pickers[tier]
        assert picker is not None
        seen: set[int] = set()
        rows = []
        for _ in range(count):
            event = picker.pick(rng)
            if event.id in seen or event.room <= 0 or event.starts_at <= created_at:
                continue
            seen.add(event.id)
            event.room -= 1
            status = _ATTENDANCE[event.status].pick(rng)
            score = text = None
            if status == "attended" and rng.random() < 0.75:
                score = _FEEDBACK.pick(rng)
                if rng.random() < 0.5:
                    text = pick(rng, N.EVENT_FEEDBACK)
            rows.append({"event_id": event.id, "client_id": client_id, "status": status,
                         "feedback_score": score, "feedback_text": text})
        return rows

    # clients ----------------------------------------------------------------------------

    def batch(self, first_id: int, count: int, first_position: int,
              complaint_positions: set[int]) -> dict[str, list[dict[str, Any]]]:
        """Rows for clients ``first_id`` .. ``first_id + count - 1`` and their history."""
        out: dict[str, list[dict[str, Any]]] = {
            "clients": [], "visits": [], "attendances": [], "complaints": [], "tier_changes": [],
        }
        for i in range(count):
            client = self.client_row(first_id + i)
            out["clients"].append(client)
            tier = client.pop("_tier")
            out["visits"].extend(client.pop("_visits"))
            out["tier_changes"].extend(client.pop("_history"))
            out["attendances"].extend(
                self.attendance_rows(client["id"], tier, client["created_at"]))
            if first_position + i in complaint_positions:
                out["complaints"].append(self.complaint_row(client))
        return out

    def client_row(self, client_id: int) -> dict[str, Any]:
        """One client, with its visits and tier history under private keys."""
        rng, now = self.rng, self.now
        kind = _KIND.pick(rng)
        aim = self.targets[kind]
        target = aim.pick(rng) if aim else 0
        lowest = target == len(self.rules) - 1
        status = _STATUS_LOWEST.pick(rng) if lowest else _STATUS_HIGHER.pick(rng)

        region = pick(rng, N.REGIONS)
        home = region if rng.random() < 0.6 else pick(rng, N.REGIONS)
        gender = birth = id_no = occupation = None
        notes = pick(rng, N.CLIENT_NOTES) if rng.random() < 0.1 else None
        earliest = self.twelve_years_ago
        if kind == "individual":
            male = rng.random() < 0.55
            who = fake.person_name(rng, male)
            name = who.name
            gender = "male" if male else "female"
            birth = fake.birth_date(rng)
            id_no = fake.id_number(rng, region[0], birth, male)
            age = now.year - birth.year
            occupation = (N.RETIRED if age >= 60 and rng.random() < 0.7
                          else fake.OCCUPATIONS.pick(rng))
            mail = fake.email(rng, who, birth.year) if rng.random() < 0.8 else None
            earliest = max(earliest, datetime(birth.year + 18, birth.month, min(birth.day, 28)))
        else:
            who = fake.person_name(rng, rng.random() < 0.6)
            name = fake.company_name(rng, kind)
            mail = fake.email(rng, who)
            notes = f"联系人：{who.name}（{pick(rng, N.CONTACT_TITLES)}）"
        phone = fake.mobile(rng)

        latest = self.week_ago
        if status == "prospect":
            earliest = max(earliest, self.year_ago)
        created_at = office_time(rng, min(earliest, latest - DAY), latest)

        if status in ("prospect", "closed") and self.rules and self.floors[-1] == (0, 0, 0):
            assets = contribution = trades = 0
        elif self.rules:
            assets, contribution, trades = self.figures(target)
        else:
            assets, contribution, trades = 0, 0, 0
        rule = (evaluate(money(assets), money(contribution), trades, self.rules)
                if self.rules else None)
        tier = self.position[rule.id] if rule else None
        interval = timedelta(days=rule.callback_interval_days if rule else 365)

        risk = risk_at = None
        if status != "prospect" or rng.random() < 0.5:
            risk = _RISK.pick(rng)
            risk_at = office_time(rng, max(created_at, self.three_years_ago), now)

        advisor = pick(rng, self.advisors) if self.advisors else None
        # Callbacks fall due every ``interval``; about a quarter of clients are overdue.
        # Prospects and closed clients are not due (the cadence rule of services.callbacks).
        window = now - interval * 1.3
        if window > created_at:
            last_callback = office_time(rng, window, now)
        else:
            last_callback = office_time(rng, created_at + HOUR,
                                         min(now, created_at + WEEK))
        next_due = last_callback + interval
        anchor, fixed = callbacks.schedule(status, last_callback, created_at)
        due = callbacks.due_date(anchor, fixed, rule.callback_interval_days if rule else None)

        history, tier_changed_at = self.history_rows(client_id, tier, created_at)
        locked = rng.random() < LOCKED_SHARE
        row: dict[str, Any] = {
            "id": client_id,
            "code": f"C{client_id:08d}",
            "name": name,
            "kind": kind,
            "status": status,
            "gender": gender,
            "birth_date": birth,
            "phone": phone,
            "email": mail,
            "address": fake.address(rng, home),
            "occupation": occupation,
            "id_number": id_no,
            "risk_profile": risk,
            "risk_assessed_at": risk_at,
            "assets": money(assets),
            "annual_contribution": money(contribution),
            "trades_12m": trades,
            "tier_id": rule.id if rule else None,
            "tier_locked": locked,
            "tier_lock_reason": pick(rng, N.TIER_LOCK_REASONS) if locked else None,
            "tier_changed_at": tier_changed_at or created_at,
            "advisor_id": advisor,
            "last_callback_at": last_callback,
            "cadence_anchor": anchor,
            "due_fixed": fixed,
            "next_callback_due": due,  # the copy for reports (services.callbacks)
            "notes": notes,
            "created_at": created_at,
            "updated_at": max(last_callback, tier_changed_at or created_at, risk_at or created_at),
            "version_id": 1,
            "_tier": tier,
            "_history": history,
        }
        row["_visits"] = self.visit_rows(client_id, kind, advisor, created_at, last_callback,
                                         next_due)
        return row

    def history_rows(self, client_id: int, tier: int | None,
                     created_at: datetime) -> tuple[list[dict[str, Any]], datetime | None]:
        """For a few clients, one or two earlier tier moves ending in the current tier."""
        rng, now = self.rng, self.now
        if (rng.random() >= HISTORY_SHARE or tier is None or len(self.rules) < 2
                or now - created_at < 2 * MONTH):
            return [], None
        last = len(self.rules) - 1

        def neighbour(index: int) -> int:
            if index == 0:
                return 1
            if index == last:
                return last - 1
            return index + 1 if rng.random() < 0.6 else index - 1

        path = [neighbour(tier)]
        if rng.random() < 0.3:
            path.insert(0, neighbour(path[0]))
        path.append(tier)
        changed_last = office_time(rng, created_at + MONTH, now)
        moments = [changed_last]
        if len(path) == 3:
            moments.insert(0, office_time(rng, created_at + DAY, changed_last - DAY))
        rows = []
        for (before, after), moment in zip(pairwise(path), moments, strict=True):
            manual = rng.random() < 0.2
            rows.append({
                "client_id": client_id,
                "from_tier_id": self.rules[before].id,
                "to_tier_id": self.rules[after].id,
                "reason": "manual" if manual else "recalculation",
                "changed_at": moment,
                "changed_by_id": pick(rng, self.managers) if manual and self.managers else None,
            })
        return rows, changed_last

    def visit_rows(self, client_id: int, kind: str, advisor: int | None, created_at: datetime,
                   last_callback: datetime, next_due: datetime) -> list[dict[str, Any]]:
        """The done visit that was the last callback, plus earlier and planned ones."""
        rng, now = self.rng, self.now
        rows = []

        def staff() -> int | None:
            if advisor is not None and rng.random() < 0.85:
                return advisor
            return pick(rng, self.workers) if self.workers else None

        def purpose(moment: datetime) -> str:
            if moment - created_at < MONTH:
                return "new_client_callback"
            chosen = _CALLBACK_PURPOSE.pick(rng)
            if chosen == "birthday_greeting" and kind != "individual":
                return "holiday_greeting"
            return chosen

        def done(moment: datetime, why: str) -> dict[str, Any]:
            return {
                "client_id": client_id, "staff_id": staff(), "channel": _CHANNEL.pick(rng),
                "purpose": why, "status": "done",
                "scheduled_for": max(created_at, moment - timedelta(minutes=below(rng, 240))),
                "completed_at": moment,
                "satisfaction": _SCORE.pick(rng) if rng.random() < 0.8 else None,
                "summary": pick(rng, N.VISIT_SUMMARIES[why]),
            }

        rows.append(done(last_callback, purpose(last_callback)))
        for _ in range(_EXTRA_VISITS.pick(rng)):
            status = _VISIT_STATUS.pick(rng)
            if status == "done" and last_callback - created_at > 2 * HOUR:
                moment = office_time(rng, created_at, last_callback - HOUR)
                rows.append(done(moment, purpose(moment)))
                continue
            if status == "done":
                status = "planned"
            summary = None
            if status == "planned":
                why = _CALLBACK_PURPOSE.pick(rng)
                when = (next_due if why == "scheduled_callback" and next_due > now
                        else office_time(rng, now, now + 2 * MONTH))
            else:
                why = purpose(now)
                end = now if status == "missed" else now + MONTH
                when = office_time(rng, created_at, end)
                summary = pick(rng, N.VISIT_SUMMARIES[status])
            if why == "birthday_greeting" and kind != "individual":
                why = "holiday_greeting"
            rows.append({
                "client_id": client_id, "staff_id": staff(), "channel": _CHANNEL.pick(rng),
                "purpose": why, "status": status, "scheduled_for": when,
                "completed_at": None, "satisfaction": None, "summary": summary,
            })
        return rows

    # complaints -------------------------------------------------------------------------

    def complaint_row(self, client: dict[str, Any]) -> dict[str, Any]:
        """A complaint whose filled-in fields match how far its workflow has got."""
        rng, now = self.rng, self.now
        made = self.complaints_made
        self.complaints_made += 1
        status = (COMPLAINT_STATUSES[made] if made < len(COMPLAINT_STATUSES)
                  else _COMPLAINT_STATUS.pick(rng))
        stage = COMPLAINT_STATUSES.index(status)
        created_at: datetime = client["created_at"]
        if status == "closed":
            start = max(created_at + DAY, self.three_years_ago)
            received = office_time(rng, min(start, now - 2 * DAY), now - 2 * DAY)
        else:
            received = office_time(rng, max(created_at, now - 20 * DAY), now)
        category = _COMPLAINT_CATEGORY.pick(rng)
        row: dict[str, Any] = {
            "reference": self.next_reference(received.year),
            "client_id": client["id"],
            "channel": _COMPLAINT_CHANNEL.pick(rng),
            "received_at": received,
            "category": category,
            "severity": None, "department": None, "assignee_id": None, "due_at": None,
            "status": status,
            "description": pick(rng, N.COMPLAINT_DESCRIPTIONS[category]),
            "findings": None, "resolution": None, "root_cause": None, "satisfaction": None,
            "closed_at": None, "closed_by_id": None, "reopened_count": 0, "version_id": 1,
        }
        if stage >= 1:
            severity = _SEVERITY.pick(rng)
            row["severity"] = severity
            row["department"] = pick(rng, N.DEPARTMENTS)
            row["assignee_id"] = pick(rng, self.workers) if self.workers else None
            row["due_at"] = self.levels[severity].due(
                received.replace(tzinfo=UTC)).replace(tzinfo=None)
        if stage >= 2:
            row["findings"] = pick(rng, N.COMPLAINT_FINDINGS[category])
        if stage >= 3:
            row["resolution"] = pick(rng, N.COMPLAINT_RESOLUTIONS[category])
        if status == "closed":
            days = self.levels[row["severity"]].days
            took = timedelta(seconds=int(rng.uniform(2, 31.2 * days) * 3600))
            row["closed_at"] = min(received + took, now)
            row["root_cause"] = pick(rng, N.ROOT_CAUSES[category])
            row["satisfaction"] = _SCORE.pick(rng)
            closer = row["assignee_id"] if rng.random() < 0.5 else None
            if closer is None and self.managers:
                closer = pick(rng, self.managers)
            row["closed_by_id"] = closer
            row["reopened_count"] = 1 if rng.random() < 0.03 else 0
        return row

    def references_used(self) -> dict[int, int]:
        """The last number handed out per year, for the years this run used."""
        return {year: number for year, number in self.references.items()
                if number > self.first_references[year]}

    def next_reference(self, year: int) -> str:
        """The reference after the highest number already used that year."""
        self.references[year] += 1
        return REFERENCE_FORMAT.format(year=year, number=self.references[year])


def _highest_reference(session: Session, year: int) -> int:
    """The last complaint number used in ``year``: the highest reference, or the per-year
    counter that ``services.complaints.next_reference`` keeps, whichever is higher."""
    prefix = REFERENCE_FORMAT.partition("{number")[0].format(year=year)
    length = len(REFERENCE_FORMAT.format(year=year, number=0))
    highest = session.scalar(sa.select(sa.func.max(Complaint.reference)).where(
        Complaint.reference.like(prefix + "%"),
        sa.func.length(Complaint.reference) == length,
    ))
    try:
        number = int(highest[len(prefix):]) if highest else 0
    except ValueError:
        number = 0
    counted = session.scalar(sa.select(ReferenceCounter.last_number)
                             .where(ReferenceCounter.year == year))
    return max(number, counted or 0)


def _store_reference_counters(session: Session, used: dict[int, int]) -> None:
    """Move the per-year counters past the numbers handed out here, so the next complaint
    registered on screen does not get one of them again."""
    existing = set(session.scalars(sa.select(ReferenceCounter.year)
                                   .where(ReferenceCounter.year.in_(list(used)))))
    for year, number in used.items():
        if year in existing:
            session.execute(sa.update(ReferenceCounter).where(
                ReferenceCounter.year == year, ReferenceCounter.last_number < number
            ).values(last_number=number))
        else:
            session.execute(sa.insert(ReferenceCounter).values(year=year, last_number=number))


def _avoid_taken_codes(session: Session, rows: list[dict[str, Any]]) -> None:
    """Codes follow the id, but someone may have typed such a code by hand; skip those."""
    table = Client.__table__
    first, last = rows[0]["code"], rows[-1]["code"]
    taken = set(session.scalars(sa.select(table.c.code).where(table.c.code.between(first, last))))
    if not taken:
        return
    for row in rows:
        code, suffix = row["code"], 0
        while code in taken:
            suffix += 1
            code = f"{row['code']}-{suffix}"
        row["code"] = code
        taken.add(code)


def generate(
    session: Session,
    *,
    clients: int,
    random_seed: int | None = None,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Add ``clients`` demo clients with visits, events, attendance, complaints and tier
    history; returns row counts per kind. The caller commits.

    The same ``random_seed`` and ``now`` on the same database state give the same rows.
    ``progress(k)`` is told after each batch how many more clients were written."""
    counts = {"clients": 0, "visits": 0, "events": 0, "attendances": 0, "complaints": 0,
              "tier_changes": 0}
    if clients <= 0:
        return counts
    session.flush()
    rng = random.Random(random_seed)
    demo = _Demo(session, rng, fake.naive_utc(now))

    client_table: sa.Table = Client.__table__  # type: ignore[assignment]
    event_table: sa.Table = Event.__table__  # type: ignore[assignment]
    event_count = min(clients, clients // CLIENTS_PER_EVENT + MIN_EVENTS)
    events = demo.event_rows(sql.max_id(session, event_table) + 1, event_count, clients)
    sql.bulk_insert(session, event_table, events)
    sql.advance_sequence(session, event_table)
    counts["events"] = len(events)

    wanted = max(min(clients, len(COMPLAINT_STATUSES)), round(clients * COMPLAINT_SHARE))
    complaint_positions = set(rng.sample(range(clients), wanted))
    first_id = sql.max_id(session, client_table) + 1
    tables = {"visits": Visit.__table__, "attendances": EventAttendance.__table__,
              "complaints": Complaint.__table__, "tier_changes": TierChange.__table__}

    with sql.roomy_cache(session):
        for start in range(0, clients, BATCH_SIZE):
            size = min(BATCH_SIZE, clients - start)
            rows = demo.batch(first_id + start, size, start, complaint_positions)
            _avoid_taken_codes(session, rows["clients"])
            sql.bulk_insert(session, client_table, rows["clients"])
            for name, table in tables.items():
                sql.bulk_insert(session, table, rows[name])  # type: ignore[arg-type]
                counts[name] += len(rows[name])
            counts["clients"] += size
            if progress is not None:
                progress(size)
    sql.advance_sequence(session, client_table)
    if counts["complaints"]:
        _store_reference_counters(session, demo.references_used())
    return counts
