"""A year of member points (党员积分) for the demo group, after its year of organizational life is written.

1. The accrual (dangjian.points.services.accrue) turns the records into automatic entries: +1 per 出席,
   −2 per 缺席, +2 per 志愿服务, the 民主评议 grade — for every year the activities touch.
2. The points year is the current year (the previous one in January–March, while its points are still being
   settled). A special assessment ("N" of "1+N") is opened for the whole group — the 安全生产月 劳动竞赛 in
   June, or the 开门红 劳动竞赛 of February–March while June is still to come — with a weight of 0.10: every
   working party member is scored in it.
3. Each member gets a standing, chosen from the seed: most do their work well, some stand out, a few fall
   short. Those who fall short have 遵守道德纪律 deductions with reasons (and a few others a small one);
   about one member in ten declares a 服务职工群众 item — most approved, a few pending, one rejected.
4. Branch officers score every member on the quarterly grid (履行岗位职责, 完成指标任务, 工作（产品）质量,
   创先争优绩效) for each quarter of the year that has ended, around a level that fits the member's standing
   and what the records already gave, so that the grades spread: most 合格, some 优秀, a few 不合格.

The entries are written as the services write them (grid cells `grid:<slot>`, awards `award:<key>`, approved
claims `claim:<id>`), in bulk and without an audit entry per row: this is seed data (like the rest of the
demo). Deterministic for a seed and a day.
"""

import datetime as dt
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from dangjian.orgs.models import (
    PARTY_MEMBER_CATEGORIES,
    Member,
    Organization,
    Role,
    RoleGrant,
    User,
    WorkStatus,
)
from dangjian.points import pack as packs
from dangjian.points.models import (
    ClaimStatus,
    EntrySource,
    PointClaim,
    PointEntry,
    PointPackVersion,
    SpecialAssessment,
)
from dangjian.points.selectors import pack_for, year_table
from dangjian.points.services import accrue

from .activities import insert_rows

EXCELLENT, FAIR, POOR = "excellent", "fair", "poor"
STANDING_SHARES = ((POOR, 0.05), (EXCELLENT, 0.13))  # the rest are FAIR
TARGETS = {EXCELLENT: (90.5, 97.0), FAIR: (63.0, 88.5), POOR: (44.0, 58.5)}
CONTEST_SCORES = {EXCELLENT: (93, 4), FAIR: (82, 7), POOR: (63, 8)}  # mean, spread of the 劳动竞赛 score
CONTEST_WEIGHT = Decimal("0.10")
CLAIM_SHARE = 0.10
PENDING_CLAIMS = 4
HALF = Decimal("0.5")

SERIOUS = [
    ("酒后驾驶机动车，受到交警部门处罚", Decimal("-5")),
    ("违反安全操作规程作业，被安全督查通报批评", Decimal("-3")),
    ("在工作群中转发不实信息，经支部批评教育", Decimal("-3")),
    ("无正当理由拒不服从工作安排，经谈话提醒", Decimal("-2")),
    ("上班期间擅离工作岗位，被考勤检查通报", Decimal("-2")),
    ("未按要求如实报告个人有关事项，经谈话提醒", Decimal("-2")),
]
MINOR = [
    ("参加集中学习迟到早退，经提醒后改正", Decimal("-1")),
    ("未按时完成党员学习任务，经提醒后补学", Decimal("-1")),
    ("工作着装不规范，被现场检查通报", Decimal("-0.5")),
]
SERVICE_ITEMS = [
    ("参加社区“共建文明城区”义务劳动", Decimal("2")),
    ("为困难职工家庭义务维修水电", Decimal("2")),
    ("参加无偿献血", Decimal("3")),
    ("结对帮带新入职职工熟悉岗位", Decimal("2")),
    ("参加防汛抢险志愿值守", Decimal("3")),
    ("为社区老人讲解防范电信诈骗知识", Decimal("1.5")),
    ("春运期间到客运站开展志愿服务", Decimal("2")),
    ("为职工子女开展暑期安全讲座", Decimal("1")),
]
REJECTED_ITEM = ("完成本班组设备例行检修", Decimal("2"))
REJECTED_NOTE = "所报事项属于本职岗位工作，不属于“服务职工群众”的申报范围"
APPROVED_NOTES = ["情况属实，同意", "经核实，同意记分", "同意"]


@dataclass
class PointsSummary:
    year: int
    entries: int = 0  # the year's ledger entries
    auto: int = 0
    scored: int = 0  # grid cells
    deductions: int = 0
    special: str = ""
    weight: Decimal = Decimal("0")
    contestants: int = 0
    claims: dict[str, int] = field(default_factory=dict)  # status label → count
    grade_counts: dict[str, int] = field(default_factory=dict)
    quarters: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        claims = "，".join(f"{label} {n}" for label, n in self.claims.items())
        grades = "，".join(f"{name} {n}人" for name, n in self.grade_counts.items())
        quarters = "、".join(q[-2:] for q in self.quarters) or "无"
        return [f"  党员积分：{self.year}年度台账 {self.entries} 条（自动计分 {self.auto}，季度评分 {self.scored}"
                f"〔{quarters}〕，扣分 {self.deductions}），积分申报 {sum(self.claims.values())} 条（{claims}）",
                f"  专项考核（“1+N”中的N）：{self.special}，{self.contestants}人参加，得分×{self.weight}计入年度总分",
                f"  年度积分等次：{grades}"]


def points_year(today: dt.date) -> int:
    """The year whose points the demo shows: this year, or last year in its first quarter."""
    return today.year if today.month >= 4 else today.year - 1


def ended_quarters(year: int, today: dt.date) -> list[str]:
    return [f"{year}-Q{q}" for q in range(1, 5) if packs.slot_bounds(f"{year}-Q{q}")[1] < today]


@dataclass
class Person:
    member: Member
    standing: str
    working: bool


ENTRY_FIELDS = ["member", "org", "top_org", "assessment", "rule", "category", "points", "occurred_on", "year",
                "period", "slot", "source", "source_key", "reason", "created_by", "created_at"]


class Writer:
    """Ledger entries as the services write them, collected for one executemany insert (bulk_create prepares
    every value through its field, which is most of the time for thousands of entries)."""

    def __init__(self, rng: random.Random, top_id: int):
        self.rng, self.top_id, self.rows = rng, top_id, []
        self.now = timezone.now()

    def add(self, member: Member, rule: dict, points: Decimal, day: dt.date, *, key: str, reason: str,
            slot: str = "", special: SpecialAssessment | None = None, created_by: User | None = None) -> None:
        self.rows.append((member.pk, member.branch_id, self.top_id, special.pk if special else None, rule["code"],
                          rule["category"], points, day, day.year, f"{day:%Y-%m}", slot, EntrySource.AWARDED.value,
                          key, reason, created_by.pk if created_by else None, self.now))

    def award_key(self) -> str:
        return f"award:{uuid.UUID(int=self.rng.getrandbits(128)).hex}"

    def save(self) -> None:
        insert_rows(PointEntry, ENTRY_FIELDS, self.rows)


def officers(root: Organization) -> tuple[dict[int, User], User | None]:
    """Demo logins who would do the scoring: branch officers by branch id, and a group-level one."""
    by_branch: dict[int, User] = {}
    group_user = None
    for grant in RoleGrant.objects.select_related("user", "org").order_by("role", "user__username"):
        if grant.role == Role.ORG_ADMIN and grant.org.path == root.path:
            group_user = group_user or grant.user
        elif grant.role in (Role.BRANCH_SECRETARY, Role.BRANCH_COMMITTEE):
            by_branch.setdefault(grant.org_id, grant.user)
    if group_user is None:
        group_user = User.objects.filter(is_superuser=True).order_by("username").first()
    return by_branch, group_user


def generate_points(root: Organization, *, seed: int, today: dt.date, stdout=None) -> PointsSummary:
    """Write the demo group's year of points (its activities are already written)."""
    started = time.perf_counter()
    year = points_year(today)
    rng = random.Random(seed * 104729 + 31)
    if stdout is not None:
        stdout.write(f"正在计算{year}年度党员积分…\n")
    for y in sorted({today.year - 1, today.year, year}):
        accrue(root=root, year=y, actor=None, source="cli")
    pack = pack_for(root, dt.date(year, 12, 31))
    people = _people(root, rng)
    by_branch, group_user = officers(root)

    def scorer(member: Member) -> User | None:
        return by_branch.get(member.branch_id, group_user)

    writer = Writer(rng, root.pk)
    summary = PointsSummary(year=year)
    summary.weight = CONTEST_WEIGHT
    summary.special, summary.contestants = _contest(root, year, today, people, writer, group_user, rng)
    summary.deductions = _deductions(year, today, people, pack, writer, scorer, rng)
    writer.save()
    summary.claims = _claims(year, today, people, pack, scorer, rng, root.pk)
    summary.quarters = ended_quarters(year, today)
    summary.scored = _grid(root, year, summary.quarters, people, pack, scorer, rng)
    table = year_table(root, year)
    summary.grade_counts = table.grade_counts
    entries = PointEntry.objects.filter(top_org=root, year=year)
    summary.entries = entries.count()
    summary.auto = entries.filter(source=EntrySource.AUTO).count()
    summary.seconds = time.perf_counter() - started
    return summary


def _people(root: Organization, rng: random.Random) -> list[Person]:
    members = list(Member.objects.filter(root.subtree_q("branch__"), category__in=PARTY_MEMBER_CATEGORIES)
                   .select_related("branch").order_by("branch__path", "id_number"))
    out = []
    for m in members:
        draw = rng.random()
        standing = FAIR
        for name, share in STANDING_SHARES:
            if draw < share:
                standing = name
                break
            draw -= share
        out.append(Person(m, standing, m.work_status == WorkStatus.WORKING))
    return out


def _day_in(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _contest(root, year, today, people, writer, actor, rng) -> tuple[str, int]:
    """The "N": a 劳动竞赛 for the whole group, scored once for every working party member."""
    if dt.date(year, 6, 30) < today:
        name, first, last = f"{year}年“安全生产月”劳动竞赛", dt.date(year, 6, 1), dt.date(year, 6, 30)
    else:
        name, first, last = f"{year}年一季度“开门红”劳动竞赛", dt.date(year, 2, 1), dt.date(year, 3, 31)
    rule = {"code": "contest_score", "name": "劳动竞赛综合评分", "kind": "manual", "range": [0, 100],
            "source": "集团劳动竞赛实施方案（演示数据）：安全、效率、质量、创新四项综合评分"}
    packs.validate_special_rules([rule], name)
    special = SpecialAssessment.objects.create(
        org=root, name=name, starts_on=first, ends_on=last, weight=CONTEST_WEIGHT, max_points=Decimal("100"),
        rules=[rule], note="竞赛得分按10%计入年度积分总分（“1+N”中的N）", created_by=actor)
    rule = {**rule, "category": packs.SPECIAL_CATEGORY}
    contestants = [p for p in people if p.working]
    for p in contestants:
        mean, spread = CONTEST_SCORES[p.standing]
        score = Decimal(min(100, max(40, round(rng.gauss(mean, spread)))))
        writer.add(p.member, rule, score, last, key=writer.award_key(), reason=f"{name}综合评分", special=special,
                   created_by=actor)
    return name, len(contestants)


def _deductions(year, today, people, pack, writer, scorer, rng) -> int:
    """遵守道德纪律: one or two deductions for those who fall short, a small one for a few others."""
    rule = pack["rules"]["discipline_deduct"]
    last = min(dt.date(year, 12, 31), today - dt.timedelta(days=1))
    count = 0
    for p in people:
        if p.standing == POOR:
            events = rng.sample(SERIOUS, rng.randint(1, 2))
        elif p.standing == FAIR and rng.random() < 0.03:
            events = [rng.choice(MINOR)]
        else:
            continue
        for reason, points in events:
            writer.add(p.member, rule, points, _day_in(rng, dt.date(year, 1, 15), last), key=writer.award_key(),
                       reason=reason, created_by=scorer(p.member))
            count += 1
    return count


def _claims(year, today, people, pack, scorer, rng, top_id) -> dict[str, int]:
    """服务职工群众 declarations: most approved (with their ledger entry), a few pending, one rejected."""
    rule = pack["rules"]["service_declared"]
    last = min(dt.date(year, 12, 31), today - dt.timedelta(days=1))
    # The demo's plain-member logins (党员 without a role) each have a claim of their own, still pending.
    plain = set(User.objects.filter(member__isnull=False, roles__isnull=True).values_list("member_id", flat=True))
    chosen = [p for p in people if (rng.random() < CLAIM_SHARE and p.standing != POOR) or p.member.pk in plain]
    chosen.sort(key=lambda p: p.member.pk in plain)
    own_users = dict(User.objects.filter(member__in=[p.member for p in chosen]).values_list("member_id", "pk"))
    pending = set(range(max(0, len(chosen) - PENDING_CLAIMS), len(chosen)))
    rejected = 0 if len(chosen) > PENDING_CLAIMS else None
    now = timezone.now()
    claims, decided = [], {}
    for i, p in enumerate(chosen):
        reason, points = REJECTED_ITEM if i == rejected else rng.choice(SERVICE_ITEMS)
        day = _day_in(rng, dt.date(year, 1, 10), last)
        created = min(now, _at(day + dt.timedelta(days=rng.randint(1, 6)), 9 + rng.randint(0, 8)))
        claim = PointClaim(member=p.member, org_id=p.member.branch_id, rule=rule["code"], category=rule["category"],
                           points=points, occurred_on=day, reason=reason, created_by_id=own_users.get(p.member.pk))
        claim._created = created
        if i not in pending:
            claim.status = ClaimStatus.REJECTED if i == rejected else ClaimStatus.APPROVED
            claim.decided_by = scorer(p.member)
            claim.decided_at = min(now, created + dt.timedelta(days=rng.randint(1, 7), hours=rng.randint(0, 6)))
            claim.decision_note = REJECTED_NOTE if i == rejected else rng.choice(APPROVED_NOTES)
            decided[i] = claim
        claims.append(claim)
    PointClaim.objects.bulk_create(claims)
    for claim in claims:
        claim.created_at = claim._created
    PointClaim.objects.bulk_update(claims, ["created_at"])
    approved = [c for c in decided.values() if c.status == ClaimStatus.APPROVED]
    entries = [PointEntry(member=c.member, org_id=c.member.branch_id, top_org_id=top_id, rule=rule["code"],
                          category=rule["category"], points=c.points, occurred_on=c.occurred_on,
                          year=c.occurred_on.year, period=f"{c.occurred_on:%Y-%m}", source=EntrySource.DECLARED,
                          source_key=f"claim:{c.pk}", claim=c, reason=c.reason, created_by_id=c.created_by_id,
                          approved_by=c.decided_by) for c in approved]
    PointEntry.objects.bulk_create(entries)
    for entry, claim in zip(entries, approved, strict=True):
        entry.created_at = claim.decided_at
        claim.entry = entry
    PointEntry.objects.bulk_update(entries, ["created_at"])
    PointClaim.objects.bulk_update(approved, ["entry"])
    counts = Counter(c.status for c in claims)
    return {label: counts[value] for value, label in ClaimStatus.choices if counts[value]}


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


GRID_RULES = ("duty_score", "target_score", "quality_score", "excellence_score")


def _grid(root, year, quarters, people, pack, scorer, rng) -> int:
    """The quarterly grid: each member's scores sit around the level their standing asks for."""
    if not quarters:
        return 0
    rows = year_table(root, year).by_member  # what the records, deductions, claims and the contest gave
    rules = [pack["rules"][code] for code in GRID_RULES]
    room = sum(r["range"][1] for r in rules)
    writer = Writer(rng, root.pk)
    for p in people:
        result = rows.get(p.member.pk)
        if result is None:
            continue
        target = rng.uniform(*TARGETS[p.standing])
        level = min(Decimal("1"), max(Decimal("0.25"), (Decimal(str(target)) - result.total) / room))
        for rule in rules:
            cap = rule["range"][1]
            mine = level + Decimal(str(rng.uniform(-0.04, 0.04)))
            for slot in quarters:
                score = _half(cap * mine + Decimal(str(rng.uniform(-0.08, 0.08))) * cap)
                score = min(cap, max(rule["range"][0], score))
                end = packs.slot_bounds(slot)[1]
                writer.add(p.member, rule, score, end, key=f"grid:{slot}", reason=f"{slot}评分", slot=slot,
                           created_by=scorer(p.member))
    writer.save()
    return len(writer.rows)


def _half(value: Decimal) -> Decimal:
    """Round to the nearest half point, as officers score."""
    return (value / HALF).quantize(Decimal("1")) * HALF


def delete_points() -> None:
    """Every points row (for `demo --reset`): the ledger, claims, specials and pack versions."""
    PointClaim.objects.update(entry=None)
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:  # one DELETE: the ledger's reversal links point into the table itself
        cursor.execute(f"DELETE FROM {qn(PointEntry._meta.db_table)}")
    PointClaim.objects.all().delete()
    SpecialAssessment.objects.all().delete()
    PointPackVersion.objects.all().delete()
