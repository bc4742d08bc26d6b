"""The demo group's year of member points: a believable spread of grades, deductions with reasons, declared
items in every state, a weighted special assessment, idempotent accrual, determinism, and the demo's report."""

import datetime as dt
import hashlib
import io
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command

from dangjian.demo.generator import generate, reset_demo_data
from dangjian.meetings.models import Attendance, AttendanceStatus
from dangjian.orgs.models import Organization
from dangjian.points.models import ClaimStatus, EntrySource, PointClaim, PointEntry, SpecialAssessment
from dangjian.points.selectors import year_table
from dangjian.points.services import accrue

TODAY = dt.date(2026, 9, 15)  # the points year is 2026; its first two quarters have ended
SMALL = {"branches": 6, "members": 200}


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    return generate(seed=2024, today=TODAY)


def root() -> Organization:
    return Organization.objects.get(depth=1)


def test_grades_spread_and_every_member_is_scored(demo):
    table = year_table(root(), 2026, as_of=TODAY)
    counts = table.grade_counts
    members = len(table.rows)
    assert members > 300 and sum(counts.values()) == members
    assert counts["合格"] > members / 2  # most
    assert members * 0.05 <= counts["优秀"] <= members * 0.3  # some
    assert 1 <= counts["不合格"] <= members * 0.15  # a few
    totals = [r.total for r in table.rows]
    assert len(set(totals)) > members / 4  # a spread, not a handful of values
    assert demo.points.grade_counts == counts

    # Every member is scored on the grid for each quarter that has ended.
    assert demo.points.quarters == ["2026-Q1", "2026-Q2"]
    grid = PointEntry.objects.filter(year=2026, source_key__startswith="grid:")
    assert set(grid.values_list("slot", flat=True)) == {"2026-Q1", "2026-Q2"}
    assert grid.count() == len(table.rows) * 2 * 4 == demo.points.scored
    for row in table.rows:
        assert not any("尚未评分" in note for note in row.missing), row.name
        assert row.categories["duty"].value > 0
    # Scores are within each rule's range, in half points.
    assert not grid.filter(points__lt=0).exists() and not grid.filter(points__gt=15).exists()
    assert all(p * 2 == int(p * 2) for p in grid.values_list("points", flat=True))


def test_deductions_claims_the_special_and_the_records(demo):
    deductions = PointEntry.objects.filter(rule="discipline_deduct")
    assert 5 <= deductions.count() == demo.points.deductions
    assert all(e.reason and e.points < 0 for e in deductions)

    claims = Counter(PointClaim.objects.values_list("status", flat=True))
    assert claims[ClaimStatus.APPROVED] > claims[ClaimStatus.PENDING] >= 2
    assert claims[ClaimStatus.REJECTED] == 1
    rejected = PointClaim.objects.get(status=ClaimStatus.REJECTED)
    assert rejected.decision_note and rejected.entry is None and rejected.decided_at is not None
    for claim in PointClaim.objects.filter(status=ClaimStatus.APPROVED).select_related("entry"):
        assert claim.entry.source == EntrySource.DECLARED and claim.entry.points == claim.points
        assert claim.entry.claim_id == claim.pk and claim.decided_at >= claim.created_at
    assert not PointClaim.objects.filter(status=ClaimStatus.PENDING, decided_at__isnull=False).exists()
    # The demo's plain-member login has a claim waiting for its secretary.
    assert PointClaim.objects.filter(status=ClaimStatus.PENDING, member__user__username="dangyuan1").exists()

    special = SpecialAssessment.objects.get()
    assert "劳动竞赛" in special.name and special.weight == Decimal("0.10") and special.org == root()
    table = year_table(root(), 2026, as_of=TODAY)
    contributions = [r.specials[special.pk].contribution for r in table.rows if r.specials[special.pk].result]
    assert len(contributions) == demo.points.contestants > len(table.rows) / 2
    assert all(Decimal("4") <= c <= Decimal("10") for c in contributions)

    # The automatic points are the records': one entry per attendance counted; accrual writes nothing again.
    auto = PointEntry.objects.filter(source=EntrySource.AUTO, year=2026)
    present = Attendance.objects.filter(status=AttendanceStatus.PRESENT, activity__starts_at__year=2026,
                                        activity__status__in=("held", "archived")).count()
    assert auto.filter(rule__in=("attend_present", "volunteer")).count() == present
    assert auto.filter(rule="attend_absent").exists()
    assert demo.points.auto == auto.count()
    for year in (2025, 2026):
        report = accrue(root=root(), year=year)
        assert (report.created, report.reversed) == (0, 0)


def digest() -> str:
    h = hashlib.sha256()
    for row in (PointEntry.objects.order_by("member__id_number", "rule", "occurred_on", "slot", "points", "reason")
                .values_list("member__id_number", "rule", "points", "occurred_on", "slot", "source", "reason",
                             "assessment__name")):
        h.update(repr(row).encode())
    for row in (PointClaim.objects.order_by("member__id_number", "occurred_on", "reason")
                .values_list("member__id_number", "points", "occurred_on", "reason", "status", "decision_note")):
        h.update(repr(row).encode())
    return h.hexdigest()


@pytest.mark.django_db
def test_same_seed_gives_the_same_points_and_reset_removes_them():
    first = generate(**SMALL, seed=11, today=TODAY, with_users=False)
    fingerprint = digest()
    assert first.points is not None and PointEntry.objects.exists()
    reset_demo_data()
    assert not PointEntry.objects.exists() and not PointClaim.objects.exists()
    assert not SpecialAssessment.objects.exists()
    second = generate(**SMALL, seed=11, today=TODAY, with_users=False)
    assert digest() == fingerprint and second.points.grade_counts == first.points.grade_counts
    reset_demo_data()
    generate(**SMALL, seed=12, today=TODAY, with_users=False)
    assert digest() != fingerprint


@pytest.mark.django_db
def test_early_in_the_year_the_demo_shows_last_year():
    summary = generate(**SMALL, seed=5, today=dt.date(2026, 2, 10), with_users=False)
    assert summary.points.year == 2025
    assert summary.points.quarters == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert SpecialAssessment.objects.get().name == "2025年“安全生产月”劳动竞赛"


@pytest.mark.django_db
def test_without_points():
    summary = generate(**SMALL, seed=11, with_points=False, with_users=False)
    assert summary.points is None and not PointEntry.objects.exists()
    assert not any("党员积分" in line for line in summary.lines())


@pytest.mark.django_db
def test_demo_command_reports_the_points():
    out = io.StringIO()
    call_command("demo", branches=8, members=260, seed=3, stdout=out)
    text = out.getvalue()
    assert "党员积分：" in text and "年度积分等次：优秀" in text and "待审批" in text and "劳动竞赛" in text
