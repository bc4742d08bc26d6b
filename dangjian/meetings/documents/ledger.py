"""The yearly 台账 of a branch: its and its 党小组s' activities of a year, with a summary (constant queries)."""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.utils import timezone

from dangjian.core.treepaths import subtree_q
from dangjian.orgs.models import Organization

from ..models import Activity, ActivityKind, ActivityStatus
from .facts import HELD_STATUSES, KIND_ORDER, ActivityFacts, activity_facts

MONTHS = range(1, 13)


def year_range(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The local calendar year as aware datetimes [start, end)."""
    tz = timezone.get_current_timezone()
    return dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz)


@dataclass
class LedgerSummary:
    total: int = 0
    held: int = 0  # 已召开 or 已归档
    pending: int = 0  # 计划 or 已通知
    archived: int = 0
    late: int = 0
    expected: int = 0  # 应到人次 over the activities held
    attended: int = 0
    on_leave: int = 0
    absent: int = 0
    quorum_checked: int = 0  # held activities with a quorum rule
    quorum_met: int = 0
    by_kind_month: dict[str, Counter] = field(default_factory=dict)

    @property
    def attendance_rate(self) -> float | None:
        return self.attended / self.expected if self.expected else None

    @property
    def attendance_percent(self) -> str:
        rate = self.attendance_rate
        return "—" if rate is None else f"{rate * 100:.1f}%"

    def kind_total(self, kind: str) -> int:
        return sum(self.by_kind_month.get(kind, Counter()).values())

    def month_total(self, month: int) -> int:
        return sum(c[month] for c in self.by_kind_month.values())


@dataclass
class Ledger:
    branch: Organization
    year: int
    items: list[ActivityFacts]  # grouped by kind (三会一课 first), each kind in date order
    summary: LedgerSummary
    generated_at: dt.datetime

    @property
    def by_kind(self) -> list[tuple[str, str, list[ActivityFacts]]]:
        groups: dict[str, list[ActivityFacts]] = {}
        for f in self.items:
            groups.setdefault(f.activity.kind, []).append(f)
        return [(k, ActivityKind(k).label, v) for k, v in groups.items()]


def summarize(items: list[ActivityFacts]) -> LedgerSummary:
    s = LedgerSummary(by_kind_month={k.value: Counter() for k in ActivityKind})
    for f in items:
        a = f.activity
        s.total += 1
        s.by_kind_month[a.kind][f.day.month] += 1
        s.late += a.late_entry
        s.archived += a.status == ActivityStatus.ARCHIVED
        if a.status not in HELD_STATUSES:
            s.pending += 1
            continue
        s.held += 1
        q = f.quorum
        s.expected += q.expected
        s.attended += q.attended
        s.on_leave += q.on_leave
        s.absent += q.absent
        if q.rule is not None:
            s.quorum_checked += 1
            s.quorum_met += bool(q.met)
    return s


def load_ledger(branch: Organization, year: int, *, now: dt.datetime | None = None) -> Ledger:
    """All activities of the branch and its groups in the year: activities, attendance, rosters and template
    versions in a handful of queries, whatever the number of activities."""
    start, end = year_range(year)
    activities = list(
        Activity.objects.filter(subtree_q(branch.path, "org__path"), starts_at__gte=start, starts_at__lt=end)
        .select_related("org", "host", "recorder", "lecturer").order_by("starts_at", "id"))
    activities.sort(key=lambda a: KIND_ORDER.get(a.kind, len(KIND_ORDER)))  # stable: date order kept per kind
    items = activity_facts(activities)
    return Ledger(branch=branch, year=year, items=items, summary=summarize(items),
                  generated_at=now or timezone.now())
