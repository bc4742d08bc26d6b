"""What the effective templates require of a branch in a month, and how far it got — pure Python, no ORM.

The branch secretary's month (F05 item 4) shows, for a month M, every periodic requirement whose period
contains M: the month itself for monthly work, the quarter containing M for quarterly work, the half year,
the year. Each requirement gets a row with its counts and a colour.

Counting, for a requirement of template T over period P:
- held: activities of T's kind in P (by local date) with status 已召开/已归档 and, where T has a quorum rule,
  the quorum met. A held meeting that failed its quorum (or has no attendance recorded) does not count; it
  is reported as `failed_quorum`.
- planned: activities of T's kind in P with status 计划/已通知 (`overdue` counts those whose date has passed).

Colours, with today = D and P = [P.start, P.end]:
- green: held ≥ required.
- red: not green, and either P has ended (D > P.end), or P ends in D's own month (its last month has come)
  and held + planned < required — nothing (or not enough) is even planned and no later month is left.
- amber: every other case — not met yet, P not over, and either enough is planned or months remain.
So a monthly requirement of the current month is red until it is planned; the year's 组织生活会 is amber
through November, red in December only while nothing is planned, and red after the year ends unless held.
The colour depends on P and D only, not on which month of P is being viewed.

Who must hold what:
- a template held by the branch (holder contains "branch") gives one row for the branch; when groups may
  hold it too (holder also contains "group"), activities of the branch's groups count toward it;
- a template held only by 党小组 (holder == ["group"], e.g. 党小组会 monthly) gives one row per group; a
  branch without groups has no such rows;
- a template whose 应到 is the committee (支部委员会) applies only to a branch that has a committee. A
  支部委员会 is elected where a branch has 7 or more full members; we read it from the posts instead: a
  branch with fewer than MIN_COMMITTEE (3) committee members (书记, 副书记, 委员 …) has no committee and
  is not required to hold 支部委员会 (it is listed in `skipped` with that reason);
- templates with period "none" (不定期) or times 0 give no row.
"""

import calendar as stdcal
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .models import ActivityKind, ActivityStatus
from .worktemplates import WorkTemplate

MIN_COMMITTEE = 3
PERIOD_ORDER = ["month", "quarter", "half_year", "year"]
PERIOD_NAMES = {"month": "本月", "quarter": "本季度", "half_year": "本半年", "year": "本年度"}
QUARTER_NAMES = ["第一季度", "第二季度", "第三季度", "第四季度"]
HELD_STATUSES = (ActivityStatus.HELD, ActivityStatus.ARCHIVED)
PLANNED_STATUSES = (ActivityStatus.PLANNED, ActivityStatus.NOTIFIED)
KIND_ORDER = {k.value: i for i, k in enumerate(ActivityKind)}


@dataclass(frozen=True)
class Period:
    kind: str  # month | quarter | half_year | year
    start: dt.date
    end: dt.date  # inclusive
    label: str  # "2026年11月", "2026年第四季度", "2026年下半年", "2026年"

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, stdcal.monthrange(year, month)[1])


def period_of(kind: str, year: int, month: int) -> Period:
    """The period of a kind that contains the month."""
    if kind == "month":
        first, last, label = month, month, f"{year}年{month}月"
    elif kind == "quarter":
        q = (month - 1) // 3
        first, last, label = 3 * q + 1, 3 * q + 3, f"{year}年{QUARTER_NAMES[q]}"
    elif kind == "half_year":
        first, last = (1, 6) if month <= 6 else (7, 12)
        label = f"{year}年{'上' if month <= 6 else '下'}半年"
    elif kind == "year":
        first, last, label = 1, 12, f"{year}年"
    else:
        raise ValueError(f"no period for {kind!r}")
    return Period(kind=kind, start=dt.date(year, first, 1), end=month_end(year, last), label=label)


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def month_weeks(year: int, month: int) -> list[list[dt.date]]:
    """The month's weeks, Monday first; the first and last week include days of the adjacent months."""
    return stdcal.Calendar(firstweekday=0).monthdatescalendar(year, month)


@dataclass(frozen=True)
class Unit:
    """An organization that holds activities: the branch or one of its groups."""

    id: int
    name: str
    code: str = ""


@dataclass(frozen=True)
class ActivityFact:
    id: int
    kind: str
    org_id: int
    day: dt.date  # local date of the start
    status: str
    quorum_met: bool | None  # None: the template has no quorum rule


@dataclass(frozen=True)
class Requirement:
    kind: str
    name: str
    unit: Unit  # who must hold it: the branch or one group
    is_group: bool
    period: Period
    required: int
    held: int
    planned: int
    overdue: int  # planned ones whose date has passed
    failed_quorum: int  # held but the quorum not met (or no attendance recorded)
    colour: str  # green | amber | red
    suggest_on: dt.date  # a sensible date in the period for the "安排" button
    ended: bool  # the period is over (today is after its last day)
    activity_ids: tuple[int, ...] = ()  # the activities counted (held or planned), for links

    @property
    def status_text(self) -> str:
        if self.colour == "green":
            return "已完成"
        if self.colour == "amber":
            return "已安排" if self.held + self.planned >= self.required else "待安排"
        return "已逾期" if self.ended else "须尽快安排"

    @property
    def note(self) -> str:
        parts = [f"要求{self.required}次，已开展{self.held}次"]
        if self.planned:
            parts.append(f"已计划{self.planned}次")
        if self.overdue:
            parts.append(f"{self.overdue}次已过计划日期尚未记录")
        if self.failed_quorum:
            parts.append(f"{self.failed_quorum}次未达到到会人数要求或未记录出勤，不计入")
        return "，".join(parts)

    @property
    def action_label(self) -> str:
        return "补录" if self.ended else "安排"


@dataclass
class MonthPlan:
    year: int
    month: int
    today: dt.date
    rows: list[Requirement]
    skipped: list[str]  # requirements that do not apply, with the reason (Chinese)

    def by_period(self) -> list[tuple[str, Period, list[Requirement]]]:
        """Rows grouped by period kind, in the order month, quarter, half year, year."""
        out = []
        for kind in PERIOD_ORDER:
            rows = [r for r in self.rows if r.period.kind == kind]
            if rows:
                out.append((PERIOD_NAMES[kind], rows[0].period, rows))
        return out

    def counts(self) -> dict[str, int]:
        return {c: sum(1 for r in self.rows if r.colour == c) for c in ("green", "amber", "red")}


def colour_of(period: Period, today: dt.date, required: int, held: int, planned: int) -> str:
    """green / amber / red, as the module docstring defines."""
    if held >= required:
        return "green"
    if today > period.end:
        return "red"
    last_month = (period.end.year, period.end.month) == (today.year, today.month)
    if last_month and held + planned < required:
        return "red"
    return "amber"


def suggest_date(period: Period, year: int, month: int, today: dt.date) -> dt.date:
    """A date in the period to plan on: the viewed month's first day, but not before tomorrow (today when the
    period ends today), kept inside the period; the period's last day once the period has ended (补录)."""
    day = max(dt.date(year, month, 1), today + dt.timedelta(days=1), period.start)
    if day <= period.end:
        return day
    return today if today <= period.end else period.end


def _requirement(template: WorkTemplate, unit: Unit, is_group: bool, org_ids: set[int], period: Period,
                 facts: Sequence[ActivityFact], year: int, month: int, today: dt.date) -> Requirement:
    required = int(template.frequency.get("times") or 0)
    has_quorum = bool(template.quorum)
    held = planned = overdue = failed = 0
    ids: list[int] = []
    for f in facts:
        if f.kind != template.kind or f.org_id not in org_ids or not period.contains(f.day):
            continue
        if f.status in HELD_STATUSES:
            if has_quorum and f.quorum_met is not True:
                failed += 1
                continue
            held += 1
            ids.append(f.id)
        elif f.status in PLANNED_STATUSES:
            planned += 1
            overdue += f.day < today
            ids.append(f.id)
    return Requirement(
        kind=template.kind, name=template.name, unit=unit, is_group=is_group, period=period, required=required,
        held=held, planned=planned, overdue=overdue, failed_quorum=failed,
        colour=colour_of(period, today, required, held, planned),
        suggest_on=suggest_date(period, year, month, today), ended=today > period.end, activity_ids=tuple(ids),
    )


def month_plan(*, templates: Mapping[str, WorkTemplate], branch: Unit, groups: Sequence[Unit], committee_size: int,
               year: int, month: int, today: dt.date, facts: Iterable[ActivityFact],
               group_templates: Mapping[int, Mapping[str, WorkTemplate]] | None = None) -> MonthPlan:
    """The requirements whose periods contain the month, with their counts and colours; rows in the order
    month, quarter, half year, year, then by kind, the groups in the order given.

    templates: the branch's effective templates, by kind; group_templates: a group's own effective templates
    where they differ (default: the branch's). facts: the branch's and its groups' activities (any dates).
    """
    facts = list(facts)
    group_templates = group_templates or {}
    rows: list[Requirement] = []
    skipped: list[str] = []
    all_ids = {branch.id} | {g.id for g in groups}
    for kind in sorted(templates, key=lambda k: KIND_ORDER.get(k, 99)):
        template = templates[kind]
        freq = template.frequency
        if freq.get("period", "none") not in PERIOD_ORDER or int(freq.get("times") or 0) < 1:
            continue
        holder = template.get("holder") or ["branch"]
        if template.get("expected") == "committee" and committee_size < MIN_COMMITTEE:
            skipped.append(f"{template.name}：本支部委员不足{MIN_COMMITTEE}人，未设支部委员会，不要求召开")
            continue
        if "branch" in holder:
            period = period_of(freq["period"], year, month)
            org_ids = all_ids if "group" in holder else {branch.id}
            rows.append(_requirement(template, branch, False, org_ids, period, facts, year, month, today))
        elif not groups:
            skipped.append(f"{template.name}：本支部未设党小组")
        else:
            for g in groups:
                t = group_templates.get(g.id, {}).get(kind, template)
                gfreq = t.frequency
                if gfreq.get("period", "none") not in PERIOD_ORDER or int(gfreq.get("times") or 0) < 1:
                    continue
                period = period_of(gfreq["period"], year, month)
                rows.append(_requirement(t, g, True, {g.id}, period, facts, year, month, today))
    group_order = {g.id: i for i, g in enumerate(groups)}
    rows.sort(key=lambda r: (PERIOD_ORDER.index(r.period.kind), KIND_ORDER.get(r.kind, 99), r.is_group,
                             group_order.get(r.unit.id, -1)))
    return MonthPlan(year=year, month=month, today=today, rows=rows, skipped=skipped)
