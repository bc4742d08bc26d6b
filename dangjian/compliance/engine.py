"""The compliance engine: pure Python over facts (no ORM), returning findings and a colour per period.

Facts are plain dataclasses (facts.py loads them from the database in a constant number of queries). Only
held or archived activities count (计划/已通知 do not), and one that failed its quorum does not count toward
a frequency rule. Only periods that have ended by the as-of date and begin on or after the organization's
成立日期 are judged; the current period is amber while its requirement is unmet, never a finding.
"""

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .pack import effective_rules

HELD = ("held", "archived")
BRANCH, GROUP = "branch", "group"
KIND_LABELS = {
    "branch_assembly": "支部党员大会", "committee_meeting": "支部委员会", "group_meeting": "党小组会",
    "party_lecture": "党课", "theme_day": "主题党日", "life_meeting": "组织生活会", "member_appraisal": "民主评议党员",
}
PERIOD_WORDS = {"month": "本月", "quarter": "本季度", "year": "本年度"}
GREEN, AMBER, RED = "green", "amber", "red"


@dataclass(frozen=True)
class OrgFact:
    id: int
    code: str
    name: str
    kind: str  # committee / general_branch / branch / group
    path: str
    founded_on: dt.date | None = None
    term_ends_on: dt.date | None = None
    committee_posts: int = 0  # party members of a branch holding a committee post


@dataclass(frozen=True)
class MemberFact:
    id: int
    name: str
    branch_id: int
    category: str  # "full" / "probationary"
    admitted_on: dt.date | None = None
    full_on: dt.date | None = None

    def is_full_on(self, day: dt.date) -> bool:
        return self.category == "full" and (self.full_on is None or self.full_on <= day)

    def is_party_member_on(self, day: dt.date) -> bool:
        if self.category == "full":
            return True
        return self.category == "probationary" and (self.admitted_on is None or self.admitted_on <= day)


@dataclass(frozen=True)
class ActivityFact:
    id: int
    code: str
    org_id: int
    kind: str
    day: dt.date  # local date
    status: str
    quorum_base: int | None = None  # None: the template sets no quorum
    quorum_present: int = 0

    @property
    def held(self) -> bool:
        return self.status in HELD

    @property
    def quorum_met(self) -> bool | None:
        if self.quorum_base is None:
            return None
        return self.quorum_base > 0 and self.quorum_present * 2 > self.quorum_base

    @property
    def counts(self) -> bool:
        return self.held and self.quorum_met is not False


@dataclass(frozen=True)
class AttendanceFact:
    activity_id: int
    member_id: int
    status: str  # present / leave / absent


@dataclass
class Facts:
    orgs: list[OrgFact]
    members: list[MemberFact] = field(default_factory=list)
    activities: list[ActivityFact] = field(default_factory=list)
    attendance: list[AttendanceFact] = field(default_factory=list)


@dataclass(frozen=True)
class Finding:
    rule: str
    org: str  # organization code
    period: str | None
    activity: str | None
    member: str | None
    severity: str
    message: str
    evidence: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "org": self.org, "period": self.period, "activity": self.activity,
                "member": self.member, "severity": self.severity, "message": self.message,
                "evidence": list(self.evidence)}


@dataclass(frozen=True)
class Status:
    org: str
    period: str
    colour: str  # green / amber / red

    def as_dict(self) -> dict[str, Any]:
        return {"org": self.org, "period": self.period, "colour": self.colour}


@dataclass
class Result:
    findings: list[Finding]
    status: list[Status]


# --- periods ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    label: str
    start: dt.date
    end: dt.date  # last day

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def month_end(year: int, month: int) -> dt.date:
    return (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1))


def month_period(year: int, month: int) -> Period:
    return Period(f"{year}-{month:02d}", dt.date(year, month, 1), month_end(year, month))


@lru_cache(maxsize=64)
def periods(kind: str, year: int) -> tuple[Period, ...]:
    return tuple(_periods(kind, year))


def _periods(kind: str, year: int) -> list[Period]:
    if kind == "month":
        return [month_period(year, m) for m in range(1, 13)]
    if kind == "quarter":
        return [Period(f"{year}-Q{q}", dt.date(year, 3 * q - 2, 1), month_end(year, 3 * q)) for q in range(1, 5)]
    return [Period(str(year), dt.date(year, 1, 1), dt.date(year, 12, 31))]


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def add_months(day: dt.date, months: int) -> dt.date:
    i = month_index(day) + months
    year, month = divmod(i, 12)
    return min(dt.date(year, month + 1, 1) + dt.timedelta(days=day.day - 1), month_end(year, month + 1))


# --- the check ------------------------------------------------------------------------------------------------

def check(facts: Facts, pack: dict[str, Any], year: int, as_of: dt.date,
          overrides: dict[str, dict[str, dict[str, Any]]] | None = None) -> Result:
    """All findings for the organizations in `facts` in `year`, judged as of `as_of`."""
    findings: list[Finding] = []
    status: dict[tuple[str, str], str] = {}
    by_org: dict[int, list[ActivityFact]] = defaultdict(list)
    for a in facts.activities:
        by_org[a.org_id].append(a)
    members_of: dict[int, list[MemberFact]] = defaultdict(list)
    for m in facts.members:
        members_of[m.branch_id].append(m)
    orgs = {o.id: o for o in facts.orgs}
    for org in sorted(facts.orgs, key=lambda o: o.path):
        rules = effective_rules(pack, org.path, overrides)
        for rule in rules.values():
            if not rule["enabled"]:
                continue
            c = rule["check"]
            if c == "frequency" and org.kind == rule["holder"]:
                _frequency(rule, org, by_org[org.id], members_of[org.id], year, as_of, findings, status)
            elif c == "quorum" and org.kind == rule["holder"]:
                _quorum(rule, org, by_org[org.id], year, as_of, findings, status)
            elif c == "org_committee" and org.kind == BRANCH:
                _org_committee(rule, org, members_of[org.id], as_of, findings)
            elif c == "org_size" and org.kind == BRANCH:
                _org_size(rule, org, members_of[org.id], as_of, findings)
            elif c == "org_term":
                _org_term(rule, org, as_of, findings)
    _absence(facts, pack, orgs, year, as_of, overrides, findings, status)
    path = {o.code: o.path for o in facts.orgs}
    findings.sort(key=lambda f: (path[f.org], f.period or "", f.rule, f.activity or "", f.member or ""))
    return Result(findings, [Status(o, p, c) for (o, p), c in sorted(status.items(),
                                                                      key=lambda kv: (path[kv[0][0]], kv[0][1]))])


def lookback_months(pack: dict[str, Any]) -> int:
    """How many months before the year the facts must reach back (for runs of absence)."""
    return max([r["params"].get("months", 0) for r in pack["rules"].values() if r["check"] == "absence"] or [0])


def _mark(status: dict, org: str, period: str, colour: str) -> None:
    """Raise the colour of a period: red for a problem (danger), amber for a warning or an unmet current one."""
    order = {GREEN: 0, AMBER: 1, RED: 2}
    current = status.get((org, period), GREEN)
    status[(org, period)] = colour if order[colour] > order[current] else current


def _judged(org: OrgFact, period: Period, as_of: dt.date) -> str | None:
    """"ended", "current", or None (not judged: not begun, or begins before the organization was founded)."""
    if org.founded_on is not None and period.start < org.founded_on:
        return None
    if period.end < as_of:
        return "ended"
    if period.start <= as_of:
        return "current"
    return None


def _frequency(rule, org, activities, members, year, as_of, findings, status) -> None:
    params = rule["params"]
    times, label = params["times"], KIND_LABELS.get(rule["activity"], rule["activity"])
    threshold = params.get("min_full_members")
    mine = [a for a in activities if a.kind == rule["activity"]]
    full_since = sorted(m.full_on or dt.date.min for m in members if m.category == "full") if threshold else []
    for period in periods(params["period"], year):
        state = _judged(org, period, as_of)
        if state is None:
            continue
        if threshold is not None and bisect_right(full_since, period.end) < threshold:
            _mark(status, org.code, period.label, GREEN)
            continue
        within = [a for a in mine if period.start <= a.day <= period.end]
        valid = [a for a in within if a.counts]
        if len(valid) >= times:
            _mark(status, org.code, period.label, GREEN)
        elif state == "current":
            _mark(status, org.code, period.label, AMBER)
        else:
            failed = [a for a in within if a.held and not a.counts]
            extra = f"（另有{len(failed)}次到会人数未超过半数，不计入）" if failed else ""
            findings.append(Finding(
                rule["code"], org.code, period.label, None, None, rule["severity"],
                f"{org.name}{period.label}应召开{label}至少{times}次，实际有效{len(valid)}次{extra}",
                tuple(a.id for a in failed)))
            _mark(status, org.code, period.label, RED if rule["severity"] == "danger" else AMBER)


def _quorum(rule, org, activities, year, as_of, findings, status) -> None:
    label = KIND_LABELS.get(rule["activity"], rule["activity"])
    for a in activities:
        if a.kind != rule["activity"] or a.day.year != year or a.day > as_of or not a.held:
            continue
        if a.quorum_met is False:
            period = month_period(a.day.year, a.day.month).label
            findings.append(Finding(
                rule["code"], org.code, period, a.code, None, rule["severity"],
                f"{org.name}{a.day.isoformat()}召开的{label}（{a.code}）应到{a.quorum_base}人，"
                f"到会{a.quorum_present}人，未超过半数（至少{a.quorum_base // 2 + 1}人），会议无效",
                (a.id,)))
            _mark(status, org.code, period, RED)


def _org_committee(rule, org, members, as_of, findings) -> None:
    p = rule["params"]
    full = sum(1 for m in members if m.is_full_on(as_of))
    if full >= p["committee_threshold"] and org.committee_posts < p["min_committee_posts"]:
        findings.append(Finding(
            rule["code"], org.code, None, None, None, rule["severity"],
            f"{org.name}正式党员{full}人（≥{p['committee_threshold']}人）应设支部委员会，"
            f"现有委员{org.committee_posts}人，少于{p['min_committee_posts']}人"))


def _org_size(rule, org, members, as_of, findings) -> None:
    p = rule["params"]
    full = sum(1 for m in members if m.is_full_on(as_of))
    party = sum(1 for m in members if m.is_party_member_on(as_of))
    if full < p["min_full_members"]:
        findings.append(Finding(rule["code"], org.code, None, None, None, rule["severity"],
                                f"{org.name}正式党员{full}人，少于{p['min_full_members']}人"))
    if party > p["max_members"]:
        findings.append(Finding(rule["code"], org.code, None, None, None, rule["severity"],
                                f"{org.name}党员{party}人，超过{p['max_members']}人，宜考虑分设党支部"))


def _org_term(rule, org, as_of, findings) -> None:
    ends = org.term_ends_on
    if ends is None:
        return
    if ends < as_of:
        findings.append(Finding(rule["code"], org.code, None, None, None, rule["severity"],
                                f"{org.name}本届任期已于{ends.isoformat()}届满，应及时换届"))
    elif ends <= add_months(as_of, rule["params"]["warning_months"]):
        findings.append(Finding(rule["code"], org.code, None, None, None, "warning",
                                f"{org.name}本届任期将于{ends.isoformat()}届满，请做好换届准备"))


def _absence(facts, pack, orgs, year, as_of, overrides, findings, status) -> None:
    """Runs of months in which a member was expected at held activities and absent from every one."""
    held = {a.id: a for a in facts.activities if a.held}
    months: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    evidence: dict[tuple[int, int], list[int]] = defaultdict(list)
    for row in facts.attendance:
        a = held.get(row.activity_id)
        if a is None:
            continue
        months[row.member_id][month_index(a.day)].append(row.status)
        evidence[(row.member_id, month_index(a.day))].append(a.id)
    last_ended = month_index(as_of) - 1
    first, last = year * 12, min(year * 12 + 11, last_ended)
    for m in facts.members:
        branch = orgs.get(m.branch_id)
        if branch is None:
            continue
        rule = effective_rules(pack, branch.path, overrides).get("ZB-MEMBER-ABSENT-6M")
        if rule is None or not rule["enabled"]:
            continue
        need = rule["params"]["months"]
        seen = months.get(m.id, {})
        run = 0
        for i in range(first - need, last + 1):
            statuses = seen.get(i)
            run = run + 1 if statuses and all(s == "absent" for s in statuses) else 0
            if run == need and i >= first:
                start, end = divmod(i - need + 1, 12), divmod(i, 12)
                label = f"{end[0]}-{end[1] + 1:02d}"
                if branch.founded_on is not None and dt.date(start[0], start[1] + 1, 1) < branch.founded_on:
                    continue
                ids = tuple(sorted(a for k in range(i - need + 1, i + 1) for a in evidence[(m.id, k)]))
                findings.append(Finding(
                    rule["code"], branch.code, label, None, m.name, rule["severity"],
                    f"{m.name}自{start[0]}年{start[1] + 1}月至{end[0]}年{end[1] + 1}月连续{need}个月"
                    f"缺席全部应参加的组织生活（未请假）", ids))
                _mark(status, branch.code, label, RED)
