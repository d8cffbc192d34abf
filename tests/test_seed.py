"""The demo-data generator: plausible, rule-consistent, reproducible and repeatable.

Expectations are computed here from the rows and the tier table, not by calling the
generator's own helpers, so a bug in a helper cannot hide itself.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from admin_app.enums import (
    AttendanceStatus,
    ClientStatus,
    ComplaintCategory,
    ComplaintStatus,
    EventKind,
    EventStatus,
    Gender,
    VisitStatus,
)
from admin_app.extensions import db
from admin_app.models import (
    AuditEntry,
    Client,
    Complaint,
    Event,
    EventAttendance,
    ReferenceCounter,
    ServiceLevel,
    Tier,
    TierChange,
    Visit,
)
from admin_app.services import complaints, workdays
from admin_app.services.identity import is_valid_id_number
from seed import demo, fake

from . import factories

NOW = datetime(2026, 6, 15, 8, 0, tzinfo=UTC)
PHONE = re.compile(r"^1[3-9]\d{9}$")
EMAIL = re.compile(r"^[a-z0-9._]+@(mail\.)?example\.(com|cn|net|org|com\.cn)$")
CHINESE = re.compile(r"^[\u4e00-\u9fff]{2,3}$")
REFERENCE = re.compile(r"^CP-(\d{4})-(\d{6})$")
DUE_DAYS = {"critical": 1, "high": 3, "medium": 7, "low": 15}


def expected_tier(tiers: list[Tier], client: Client) -> int | None:
    """The tier rule: the highest-ranked tier whose thresholds are all met."""
    for tier in sorted(tiers, key=lambda t: t.rank):
        if (client.assets >= tier.min_assets
                and client.annual_contribution >= tier.min_annual_contribution
                and client.trades_12m >= tier.min_trades_12m):
            return tier.id
    return None


def count(session, model) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


# --- pure helpers ---------------------------------------------------------------------

def test_row_helpers_are_reproducible_for_a_seed():
    def sample(seed: int) -> list[tuple[str, str, str, str]]:
        rng = random.Random(seed)
        out = []
        for i in range(50):
            who = fake.person_name(rng, i % 2 == 0)
            born = fake.birth_date(rng)
            out.append((who.name, fake.mobile(rng), fake.id_number(rng, "310104", born, True),
                        fake.email(rng, who, born.year)))
        return out

    assert sample(3) == sample(3)
    assert sample(3) != sample(4)


def test_id_numbers_are_valid_and_carry_birth_date_and_gender():
    rng = random.Random(11)
    for i in range(3000):
        born = fake.birth_date(rng)
        male = i % 3 != 0
        number = fake.id_number(rng, "440305", born, male)
        assert is_valid_id_number(number), number
        assert number[6:14] == born.strftime("%Y%m%d")
        assert int(number[16]) % 2 == (1 if male else 0)
        assert date(1940, 1, 1) <= born <= date(2005, 12, 31)


def test_names_and_phones_look_real():
    rng = random.Random(5)
    for i in range(2000):
        assert CHINESE.match(fake.person_name(rng, i % 2 == 0).name)
        assert PHONE.match(fake.mobile(rng))


# --- generated data -------------------------------------------------------------------

def test_zero_clients_writes_nothing(session):
    counts = demo.generate(session, clients=0, random_seed=1, now=NOW)
    assert set(counts.values()) == {0}
    assert count(session, Event) == 0


def test_clients_are_plausible_and_consistent(users, session):
    reported: list[int] = []
    counts = demo.generate(session, clients=300, random_seed=42, now=NOW,
                           progress=reported.append)
    session.commit()
    assert counts["clients"] == count(session, Client) == 300 == sum(reported)
    assert counts["visits"] == count(session, Visit)
    intervals = {t.id: t.callback_interval_days for t in session.scalars(sa.select(Tier))}
    last_done = dict(session.execute(
        sa.select(Visit.client_id, sa.func.max(Visit.completed_at))
        .where(Visit.status == VisitStatus.done).group_by(Visit.client_id)).all())

    kinds = Counter()
    for client in session.scalars(sa.select(Client)):
        kinds[client.kind.value] += 1
        assert PHONE.match(client.phone), client.phone
        assert client.email is None or EMAIL.match(client.email), client.email
        assert client.address and client.code.startswith("C")
        assert client.advisor_id == users["staff"]  # staff are preferred as advisors
        if client.kind.value == "individual":
            assert CHINESE.match(client.name), client.name
            assert is_valid_id_number(client.id_number), client.id_number
            assert client.id_number[6:14] == client.birth_date.strftime("%Y%m%d")
            male = int(client.id_number[16]) % 2 == 1
            assert client.gender == (Gender.male if male else Gender.female)
            assert date(1940, 1, 1) <= client.birth_date <= date(2005, 12, 31)
            assert client.occupation
        else:
            assert client.id_number is None and client.gender is None
            assert client.name.endswith(("公司", "基金会", "理事会", "计划"))
        assert client.created_at <= client.last_callback_at <= NOW
        if client.status in (ClientStatus.prospect, ClientStatus.closed):
            assert client.next_callback_due is None  # not due
        else:
            assert client.next_callback_due == (
                client.last_callback_at + timedelta(days=intervals[client.tier_id]))
        # The last callback is the client's latest completed visit.
        assert last_done[client.id].replace(tzinfo=UTC) == client.last_callback_at
        assert client.assets == client.assets.quantize(Decimal("0.01"))
        assert not client.tier_locked or client.tier_lock_reason
    assert kinds["individual"] > 200

    statuses = {s for (s,) in session.execute(sa.select(Visit.status).distinct())}
    assert statuses == set(VisitStatus)
    for visit in session.scalars(sa.select(Visit)):
        assert visit.staff_id in users.values()
        if visit.status == VisitStatus.done:
            assert visit.completed_at is not None and visit.summary
        else:
            assert visit.satisfaction is None and visit.completed_at is None


def test_every_tier_is_populated_and_every_client_sits_in_its_tier(session):
    demo.generate(session, clients=2000, random_seed=7, now=NOW)
    session.commit()
    tiers = list(session.scalars(sa.select(Tier)))
    per_tier: Counter[str] = Counter()
    code = {t.id: t.code for t in tiers}
    for client in session.scalars(sa.select(Client)):
        assert client.tier_id == expected_tier(tiers, client), client.code
        assert client.advisor_id is None  # no users yet
        per_tier[code[client.tier_id]] += 1
    assert 0.005 < per_tier["diamond"] / 2000 < 0.05
    assert 0.04 < per_tier["platinum"] / 2000 < 0.13
    assert 0.18 < per_tier["gold"] / 2000 < 0.33
    assert per_tier["standard"] > per_tier["gold"]
    assert count(session, TierChange) > 0


def test_edited_thresholds_are_respected(session):
    gold = session.scalar(sa.select(Tier).where(Tier.code == "gold"))
    gold.min_assets = Decimal("800000")
    gold.min_trades_12m = 6
    session.commit()
    demo.generate(session, clients=500, random_seed=3, now=NOW)
    tiers = list(session.scalars(sa.select(Tier)))
    gold_clients = 0
    for client in session.scalars(sa.select(Client)):
        assert client.tier_id == expected_tier(tiers, client)
        gold_clients += client.tier_id == gold.id
    assert gold_clients > 50


def test_complaints_cover_every_status_with_matching_fields(users, session):
    counts = demo.generate(session, clients=300, random_seed=42, now=NOW)
    session.commit()
    complaints = list(session.scalars(sa.select(Complaint)))
    assert counts["complaints"] == len(complaints) >= 9
    assert {c.status for c in complaints} == set(ComplaintStatus)
    staff = {users["staff"], users["supervisor"]}
    order = list(ComplaintStatus)
    for c in complaints:
        stage = order.index(c.status)
        match = REFERENCE.match(c.reference)
        assert match and int(match.group(1)) == c.received_at.year
        assert c.category in set(ComplaintCategory) and c.description
        assert c.received_at <= NOW
        if stage == 0:
            assert (c.severity, c.department, c.assignee_id, c.due_at) == (None,) * 4
        else:
            assert c.severity and c.department and c.assignee_id in staff
            assert c.due_at == c.received_at + timedelta(days=DUE_DAYS[c.severity.value])
        assert (c.findings is not None) == (stage >= 2)
        assert (c.resolution is not None) == (stage >= 3)
        if c.status == ComplaintStatus.closed:
            assert c.root_cause and c.closed_by_id in users.values()
            assert c.received_at <= c.closed_at <= NOW
            assert 1 <= c.satisfaction <= 5
        else:
            assert c.closed_at is c.root_cause is c.satisfaction is c.closed_by_id is None


def test_events_have_every_kind_and_status_and_attendance(session):
    counts = demo.generate(session, clients=300, random_seed=42, now=NOW)
    session.commit()
    events = list(session.scalars(sa.select(Event)))
    assert counts["events"] == len(events) == 6
    assert {e.kind for e in events} == set(EventKind)
    assert {e.status for e in events} == set(EventStatus)
    for event in events:
        assert event.ends_at >= event.starts_at and event.capacity > 0 and event.budget > 0
        if event.status == EventStatus.done:
            assert event.ends_at < NOW
    rows = list(session.scalars(sa.select(EventAttendance)))
    assert counts["attendances"] == len(rows) > 0
    taken = Counter(row.event_id for row in rows)  # every invitation takes a place
    capacity = {e.id: e.capacity for e in session.scalars(sa.select(Event))}
    assert all(taken[event_id] <= capacity[event_id] for event_id in taken), taken
    assert {a.status for a in rows} == set(AttendanceStatus)
    assert len({(a.event_id, a.client_id) for a in rows}) == len(rows)
    for row in rows:
        assert row.feedback_score is None or row.status == AttendanceStatus.attended


def test_same_seed_gives_same_rows(session):
    def snapshot() -> list[tuple]:
        demo.generate(session, clients=200, random_seed=9, now=NOW)
        clients = session.execute(sa.select(
            Client.code, Client.name, Client.id_number, Client.phone, Client.assets,
            Client.tier_id).order_by(Client.id)).all()
        refs = session.scalars(sa.select(Complaint.reference).order_by(Complaint.id)).all()
        return [*clients, *refs]

    first = snapshot()
    session.rollback()
    assert snapshot() == first
    session.rollback()
    demo.generate(session, clients=200, random_seed=10, now=NOW)
    assert session.scalars(sa.select(Client.name).order_by(Client.id)).all() != [
        row[1] for row in first[:200]]


def test_running_again_adds_more_without_collisions(users, session):
    first = demo.generate(session, clients=120, random_seed=1, now=NOW)
    session.commit()
    second = demo.generate(session, clients=120, random_seed=1, now=NOW)
    session.commit()
    assert count(session, Client) == 240
    assert count(session, Event) == first["events"] + second["events"]
    codes = session.scalars(sa.select(Client.code)).all()
    assert len(set(codes)) == 240
    references = session.scalars(sa.select(Complaint.reference)).all()
    assert len(set(references)) == len(references) == first["complaints"] + second["complaints"]
    for year, numbers in _numbers_by_year(references).items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), year

    # Ids were assigned by the generator; the database must still hand out fresh ones.
    client = factories.client(session, code="MANUAL-1", name="手工录入")
    event = factories.event(session, title="手工活动", kind=EventKind.other, starts_at=NOW)
    session.commit()
    assert client.id == 241 and event.id == first["events"] + second["events"] + 1


def _numbers_by_year(references: list[str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for reference in references:
        match = REFERENCE.match(reference)
        assert match, reference
        out.setdefault(match.group(1), []).append(int(match.group(2)))
    return out


def test_complaint_counters_move_past_seeded_references(session):
    """Complaints on screen number themselves from a per-year counter: seeding continues
    after it and advances it, so the next complaint registered gets a fresh number."""
    session.add(ReferenceCounter(year=NOW.year, last_number=40))
    session.commit()
    demo.generate(session, clients=300, random_seed=42, now=NOW)
    session.commit()
    used = _numbers_by_year(session.scalars(sa.select(Complaint.reference)).all())
    assert min(used[str(NOW.year)]) == 41
    stored = dict(session.execute(
        sa.select(ReferenceCounter.year, ReferenceCounter.last_number)).all())
    assert stored == {int(year): max(numbers) for year, numbers in used.items()}
    later = NOW.replace(month=12)
    assert complaints.next_reference(session, now=later) == (
        f"CP-{NOW.year}-{max(used[str(NOW.year)]) + 1:06d}")


def test_configured_service_levels_set_deadlines(session):
    days = {"critical": 2, "high": 4, "medium": 10, "low": 20}
    session.execute(sa.delete(ServiceLevel))
    session.add_all(ServiceLevel(severity=k, days=v, counted_in="working" if k == "low"
                                 else "calendar") for k, v in days.items())
    session.commit()
    demo.generate(session, clients=300, random_seed=42, now=NOW)
    seen = set()
    for c in session.scalars(sa.select(Complaint).where(Complaint.severity.is_not(None))):
        seen.add(c.severity.value)
        if c.severity.value == "low":  # in working days, as the complaint screens count
            assert c.due_at == workdays.add_working_days(c.received_at, 20)
            assert c.due_at > c.received_at + timedelta(days=20 + 7)  # 4 weekends at least
        else:
            assert c.due_at == c.received_at + timedelta(days=days[c.severity.value])
    assert "low" in seen


def test_codes_typed_by_hand_are_not_reused(session):
    factories.client(session, code="C00000003", name="手工客户")
    session.commit()
    demo.generate(session, clients=5, random_seed=2, now=NOW)
    session.commit()
    codes = session.scalars(sa.select(Client.code)).all()
    assert len(codes) == len(set(codes)) == 6
    assert "C00000003-1" in codes


def test_cli_seed_reports_counts(app):
    result = app.test_cli_runner().invoke(args=["seed", "--clients", "50", "--random-seed", "1"])
    assert result.exit_code == 0, result.output
    assert "50 clients" in result.output and "complaints" in result.output
    with app.app_context():
        assert count(db.session, Client) == 50
        assert db.session.scalar(sa.select(AuditEntry.action)) == "seed"
