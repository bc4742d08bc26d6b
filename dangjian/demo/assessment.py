"""The assessment records of the demo group (issue 6): what people enter, so that the schemes have something
to judge beside the automatic metrics.

- 创建清单: every branch sets 4–6 creation targets for the year (most of those already due are done, a few late or
  open), and a few party members per branch keep their own list of two.
- 岗位KPI: about half the branches run a KPI post with three indicators (coefficients, one lower-is-better), with
  targets and actuals for the year before and this year, and for the quarters already ended.
- 党员示范岗/先锋岗/责任区: one or two per branch, each evaluated every month of the year so far (reviewer scores;
  earlier months reviewed, the last one submitted), which feeds the wall of the month's best.
- 五好班组: every team's self-assessment; one team (of the branch with the accident) carries a safety veto.
- 双百考核（党支部）: every branch's self-assessment of the reviewer items (draft), in line with its 达标创星 one.
- 达标创星: every branch has self-assessed the reviewer items. The branches are first evaluated on their records
  alone; then each is given a standing — a few 五星, most 三星/四星, a few lower — leaning on how good its
  records are, and its reviewer scores are drawn to match it, so that the group's distribution looks like a
  real one. Some evaluations are submitted, reviewed (one review change with its reason) or confirmed (the
  result frozen as the services do it); one confirmed branch was re-evaluated (version 2); one branch has a
  veto (a major safety accident) and is 不达标 whatever its score.

Must run after the points demo: the schemes read the members' year points. Deterministic for a seed and a day.
Rows go in with bulk_create (seed data: no audit entries, as for the rest of the demo).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.utils import timezone

from dangjian.assessment import selectors
from dangjian.assessment.models import (
    ChecklistItem,
    Evaluation,
    EvaluationStatus,
    ItemScore,
    KpiIndicator,
    KpiValue,
    Post,
    PostKind,
    Stage,
    SubjectKind,
    VetoMark,
)
from dangjian.assessment.services import freeze, stored_form
from dangjian.core.treepaths import subtree_q
from dangjian.demo.activities import insert_rows
from dangjian.demo.points import points_year
from dangjian.orgs.models import (
    PARTY_MEMBER_CATEGORIES,
    Member,
    Organization,
    OrgKind,
    Role,
    RoleGrant,
    User,
    WorkTeam,
)

BRANCH_SCHEME, TEAM_SCHEME, MODEL_SCHEME = "dabiao-chuangxing", "wuhao-banzu", "model-post"
SHUANGBAI_SCHEME = "shuangbai-branch"
BATCH = 2000
HALF = Decimal("0.5")
MIN_REVIEWER_SHARE = 0.15  # even a weak branch earns some of the reviewer points
REVIEWER_USERNAME = "zuzhibu"  # the demo's 组织管理员 of the group: reviews and confirms

# Shares of the branches per 达标创星 standing (the rest are 三星); at least one of each where marked.
STANDING_SHARES = [("五星", 0.08, True), ("四星", 0.30, True), ("二星", 0.08, True), ("一星", 0.04, False),
                   ("不达标", 0.03, True)]
STATUS_SHARES = [(EvaluationStatus.CONFIRMED, 0.25), (EvaluationStatus.REVIEWED, 0.15),
                 (EvaluationStatus.SUBMITTED, 0.20)]  # the rest stay draft (自评 in progress)

BRANCH_CHECKLIST = [
    ("创建“党员先锋岗”不少于2个", "在生产一线设岗定责，挂牌亮身份"),
    ("开展“党建+安全生产”主题实践活动", "全年不少于2次，形成活动记录和图片"),
    ("完成党建活动阵地提升改造", "党员活动室、党务公开栏按标准设置"),
    ("培养入党积极分子2名", "落实“双培养”，确定培养联系人"),
    ("打造支部党建品牌", "提炼品牌名称、内涵，形成1篇经验材料"),
    ("开展岗位技能比武", "党员带头参加，组织1次技能比拼"),
    ("每季度开展一次志愿服务", "联系社区或港区开展，做好记录"),
    ("建立党员联系群众台账", "每名党员联系3至5名职工群众"),
]
MEMBER_CHECKLIST = [
    ("完成年度学习积分目标", "学习强国和集中学习不少于规定学时"),
    ("参加一次志愿服务", "参加支部或社区组织的志愿服务"),
    ("带出一名技能徒弟", "签订师带徒协议并完成考核"),
    ("提出一条合理化建议", "围绕安全生产或降本增效"),
    ("讲一次微党课", "在党小组会或主题党日上讲"),
]
KPI_INDICATORS = [  # code, name, unit, coefficient, higher is better, typical target
    ("throughput", "装卸作业量", "万吨", Decimal("0.40"), True, 120),
    ("safety_fix", "安全隐患整改率", "%", Decimal("0.30"), True, 100),
    ("complaints", "客户投诉", "件", Decimal("0.20"), False, 6),
    ("energy", "单位作业能耗", "千克标煤/吨", Decimal("0.30"), False, 2),
    ("on_time", "作业计划兑现率", "%", Decimal("0.30"), True, 98),
    ("training", "培训学时", "学时", Decimal("0.20"), True, 40),
]
KPI_POST_NAMES = ["生产作业岗", "安全管理岗", "调度指挥岗", "设备管理岗", "客户服务岗"]
MODEL_KINDS = [(PostKind.MODEL, "党员示范岗"), (PostKind.VANGUARD, "党员先锋岗"), (PostKind.ZONE, "党员责任区")]
REVIEW_CHANGE_NOTE = "查阅佐证材料，部分内容未见记录，审核调整"
VETO_REASON = "{month}月港区发生一起重大安全生产事故（起重作业人员死亡），经集团安委会调查认定，实行一票否决"
TEAM_VETO_REASON = "{month}月本班组起重作业发生重大安全事故"
REEVALUATION_NOTE = "支部补交党建品牌建设佐证材料，经集团党委组织部复核，重新评价"


@dataclass
class AssessmentSummary:
    year: int
    levels: dict[str, int] = field(default_factory=dict)  # 达标创星 level → branches
    statuses: dict[str, int] = field(default_factory=dict)  # Chinese status → evaluations
    vetoed: list[str] = field(default_factory=list)
    reevaluated: list[str] = field(default_factory=list)
    checklist_branch: int = 0
    checklist_member: int = 0
    checklist_done: int = 0
    kpi_posts: int = 0
    kpi_values: int = 0
    model_posts: int = 0
    model_evaluations: int = 0
    teams: int = 0
    shuangbai: int = 0

    def lines(self) -> list[str]:
        levels = "，".join(f"{name} {n}" for name, n in self.levels.items() if n)
        statuses = "，".join(f"{name} {n}" for name, n in self.statuses.items() if n)
        out = [f"  考核评价（{self.year}年度）：党支部达标创星 {levels}（{statuses}）"]
        if self.vetoed or self.reevaluated:
            out.append(f"    一票否决：{'、'.join(self.vetoed) or '无'}；重新评价：{'、'.join(self.reevaluated) or '无'}")
        out.append(f"  创建清单：党支部 {self.checklist_branch} 项、党员个人 {self.checklist_member} 项，"
                   f"已完成 {self.checklist_done} 项")
        out.append(f"  岗位：岗位KPI {self.kpi_posts} 个（KPI数值 {self.kpi_values} 条，含上年），"
                   f"示范岗/先锋岗/责任区 {self.model_posts} 个（月度评价 {self.model_evaluations} 次）；"
                   f"五好班组自评 {self.teams} 个班组，双百考核自评 {self.shuangbai} 个党支部")
        return out


@dataclass
class Context:
    rng: random.Random
    root: Organization
    top: Organization
    year: int
    today: dt.date
    branches: list[Organization]
    reviewer: User | None
    officers: dict[int, User]  # branch id → a 支部书记 login, where the demo has one

    @property
    def as_of(self) -> dt.date:
        """The day the year is judged as of: the demo's today, or the day after the year once it is over."""
        return min(self.today, dt.date(self.year + 1, 1, 1))


def assessment_year(today: dt.date) -> int:
    """The year the demo assesses: the points demo's year (the schemes read the year's member points)."""
    return points_year(today)


def generate_assessment(root: Organization, *, seed: int, today: dt.date, stdout=None) -> AssessmentSummary:
    """Write the assessment records of `root`'s subtree (see the module docstring) and return what was made."""
    year = assessment_year(today)
    branches = list(Organization.objects.filter(subtree_q(root.path), kind=OrgKind.BRANCH).order_by("path"))
    top = root if root.depth == 1 else Organization.objects.get(path=root.path[: Organization.steplen])
    officers = {g.org_id: g.user for g in RoleGrant.objects.filter(
        org__in=branches, role=Role.BRANCH_SECRETARY).select_related("user").order_by("id")}
    ctx = Context(random.Random(f"assessment-{seed}"), root, top, year, today, branches,
                  User.objects.filter(username=REVIEWER_USERNAME).first(), officers)
    summary = AssessmentSummary(year=year)
    if stdout is not None:
        stdout.write(f"正在生成考核评价记录（{year}年度：创建清单、岗位KPI、示范岗、五好班组、达标创星）…\n")
    members = _party_members(branches)
    _checklists(ctx, members, summary)
    _kpi_posts(ctx, members, summary)
    _model_posts(ctx, members, summary)
    veto_branch, quality = _star_ratings(ctx, summary)
    _shuangbai(ctx, quality, summary)
    _teams(ctx, veto_branch, summary)
    if stdout is not None:
        stdout.write("\n".join(summary.lines()) + "\n")
    return summary


def delete_assessment() -> None:
    """Every assessment record (for `demo --reset`): evaluations first, they protect their subjects."""
    for model in (ItemScore, VetoMark):
        model.objects.all().delete()
    Evaluation.objects.update(previous=None)
    for model in (Evaluation, KpiValue, KpiIndicator, Post, ChecklistItem):
        model.objects.all().delete()


# --- small helpers --------------------------------------------------------------------------------------------

def _party_members(branches: list[Organization]) -> dict[int, list[tuple[int, str]]]:
    """Branch id → its party members (id, name), in id order (one query)."""
    out: dict[int, list[tuple[int, str]]] = {b.pk: [] for b in branches}
    for pk, name, branch_id in (Member.objects.filter(branch__in=branches, category__in=PARTY_MEMBER_CATEGORIES)
                                .order_by("id").values_list("id", "name", "branch_id")):
        out[branch_id].append((pk, name))
    return out


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)), timezone.get_current_timezone())


def _half(x: float) -> Decimal:
    """Round to half points."""
    return (Decimal(str(x)) / HALF).quantize(Decimal(1)) * HALF


def _past_day(ctx: Context, earliest: dt.date, latest: dt.date) -> dt.date:
    """A random day in [earliest, latest], never after today."""
    latest = min(latest, ctx.today)
    if latest <= earliest:
        return min(earliest, ctx.today)
    return earliest + dt.timedelta(days=ctx.rng.randint(0, (latest - earliest).days))


def _counts(n: int, shares, rest) -> list:
    """n labels: round(share × n) of each (at least one where asked and n allows), the rest `rest`."""
    out: list = []
    for spec in shares:
        label, share, at_least_one = spec if len(spec) == 3 else (*spec, False)
        k = max(1 if at_least_one else 0, round(share * n))
        out += [label] * min(k, n - len(out))
    return out + [rest] * (n - len(out))


# --- 创建清单 ---------------------------------------------------------------------------------------------------

def _checklist_row(ctx: Context, org_id: int, member_id: int | None, title: str, target: str, feeds: str,
                   due: dt.date, diligence: float) -> ChecklistItem:
    rng = ctx.rng
    done = None
    if due <= ctx.today:
        if rng.random() < diligence:
            done = _past_day(ctx, due - dt.timedelta(days=40), due)
        elif rng.random() < 0.5:  # done, but late
            done = _past_day(ctx, due + dt.timedelta(days=3), due + dt.timedelta(days=30))
    elif rng.random() < diligence * 0.5:  # done ahead of time
        done = _past_day(ctx, dt.date(ctx.year, 1, 15), due) if ctx.today > dt.date(ctx.year, 1, 15) else None
    evidence = "已完成，相关记录和照片已归档" if done else ""
    return ChecklistItem(org_id=org_id, member_id=member_id, year=ctx.year, title=title, target=target, feeds=feeds,
                         due_on=due, done_on=done, evidence=evidence, created_by=None)


def _checklists(ctx: Context, members: dict[int, list[tuple[int, str]]], summary: AssessmentSummary) -> None:
    rng, rows = ctx.rng, []
    quarter_ends = [dt.date(ctx.year, 3, 31), dt.date(ctx.year, 6, 30), dt.date(ctx.year, 9, 30),
                    dt.date(ctx.year, 12, 15)]
    for branch in ctx.branches:
        diligence = rng.choice([0.95, 0.9, 0.85, 0.75, 0.6])
        for title, target in rng.sample(BRANCH_CHECKLIST, rng.randint(4, 6)):
            rows.append(_checklist_row(ctx, branch.pk, None, title, target, "basic_support.checklist",
                                       rng.choice(quarter_ends), diligence))
        for member_id, _ in members[branch.pk][1:4]:  # a few members (not the first, often the secretary)
            for title, target in rng.sample(MEMBER_CHECKLIST, 2):
                rows.append(_checklist_row(ctx, branch.pk, member_id, title, target, "checklist.checklist",
                                           rng.choice(quarter_ends[1:]), diligence))
    ChecklistItem.objects.bulk_create(rows, batch_size=BATCH)
    summary.checklist_branch = sum(1 for r in rows if r.member_id is None)
    summary.checklist_member = len(rows) - summary.checklist_branch
    summary.checklist_done = sum(1 for r in rows if r.done_on)


# --- 岗位KPI ----------------------------------------------------------------------------------------------------

def _kpi_posts(ctx: Context, members: dict[int, list[tuple[int, str]]], summary: AssessmentSummary) -> None:
    rng = ctx.rng
    chosen = [b for b in ctx.branches if len(members[b.pk]) >= 3 and rng.random() < 0.5]
    posts = [Post(org=b, name=rng.choice(KPI_POST_NAMES), kind=PostKind.KPI, holder_id=rng.choice(members[b.pk])[0],
                  since=dt.date(ctx.year - 1, 1, 1), note="年度岗位目标责任书") for b in chosen]
    Post.objects.bulk_create(posts, batch_size=BATCH)
    indicators = []
    for post in posts:
        for code, name, unit, coef, higher, _ in rng.sample(KPI_INDICATORS, 3):
            indicators.append(KpiIndicator(post=post, code=code, name=name, unit=unit, coefficient=coef,
                                           higher_is_better=higher, from_year=ctx.year - 1))
    KpiIndicator.objects.bulk_create(indicators, batch_size=BATCH)
    typical = {code: target for code, _, _, _, _, target in KPI_INDICATORS}
    values = []
    for ind in indicators:
        skill = rng.uniform(0.85, 1.12)  # this post's usual completion
        for year in (ctx.year - 1, ctx.year):
            target = Decimal(typical[ind.code]) * Decimal(str(round(rng.uniform(0.9, 1.1), 2)))
            values.append(_kpi_value(ind, str(year), year, target, skill, rng))
            for q in range(1, 5):
                if dt.date(year, 3 * q, 28) < ctx.today - dt.timedelta(days=10):
                    part = target if ind.code in ("safety_fix", "on_time") else target / 4
                    values.append(_kpi_value(ind, f"{year}-Q{q}", year, part, skill, rng))
    KpiValue.objects.bulk_create(values, batch_size=BATCH)
    summary.kpi_posts, summary.kpi_values = len(posts), len(values)


def _kpi_value(ind: KpiIndicator, period: str, year: int, target: Decimal, skill: float,
               rng: random.Random) -> KpiValue:
    ratio = skill * rng.uniform(0.94, 1.06)
    if not ind.higher_is_better:
        ratio = 1 / ratio
    if ind.code == "safety_fix" or ind.code == "on_time":
        actual = min(Decimal(100), target * Decimal(str(round(ratio, 4))))
    else:
        actual = target * Decimal(str(round(ratio, 4)))
    return KpiValue(indicator=ind, period=period, year=year, target=target.quantize(Decimal("0.01")),
                    actual=actual.quantize(Decimal("0.01")), note="")


# --- 示范岗 / 先锋岗 / 责任区 -------------------------------------------------------------------------------------

def _months(ctx: Context) -> list[str]:
    """The months of the assessed year that have ended."""
    last = 12 if ctx.year < ctx.today.year else ctx.today.month - 1
    return [f"{ctx.year}-{m:02d}" for m in range(1, last + 1)]


def _model_posts(ctx: Context, members: dict[int, list[tuple[int, str]]], summary: AssessmentSummary) -> None:
    rng = ctx.rng
    posts, quality = [], {}
    for branch in ctx.branches:
        people = members[branch.pk]
        if len(people) < 2:
            continue
        unit = branch.name.removesuffix("党支部")
        for kind, label in rng.sample(MODEL_KINDS, 2 if rng.random() < 0.3 else 1):
            holder_id, _ = rng.choice(people)
            posts.append(Post(org=branch, name=f"{unit}{label}", kind=kind, holder_id=holder_id,
                              since=dt.date(ctx.year - 1, 3, 1)))
    Post.objects.bulk_create(posts, batch_size=BATCH)
    scheme = selectors.load_scheme(MODEL_SCHEME)
    items = _reviewer_items(scheme, only_reviewer=True)
    months = _months(ctx)
    evaluations, scores = [], []
    for post in posts:
        quality[post.pk] = rng.uniform(0.6, 0.95)
        for i, month in enumerate(months):
            status = EvaluationStatus.SUBMITTED if i == len(months) - 1 else EvaluationStatus.REVIEWED
            e = _evaluation(ctx, MODEL_SCHEME, SubjectKind.POST, f"post:{post.pk}", post.org, month, status,
                            _month_end(month), post=post)
            evaluations.append(e)
            for code, top in items:
                share = min(1.0, max(0.3, quality[post.pk] + rng.gauss(0, 0.06)))
                scores.append((e, code, _half(float(top) * share)))
    Evaluation.objects.bulk_create(evaluations, batch_size=BATCH)
    _write_scores([(e, code, Stage.SELF, points, "", "岗位月度工作记录", ctx.officers.get(e.org_id))
                   for e, code, points in scores])
    summary.model_posts, summary.model_evaluations = len(posts), len(evaluations)


def _month_end(month: str) -> dt.date:
    year, m = int(month[:4]), int(month[5:])
    return (dt.date(year + m // 12, m % 12 + 1, 1)) - dt.timedelta(days=1)


# --- evaluations ------------------------------------------------------------------------------------------------

def _reviewer_items(scheme: dict[str, Any], only_reviewer: bool = False) -> list[tuple[str, Decimal]]:
    """(item code, max) of the items a reviewer scores; with only_reviewer, not those with a metric too."""
    out = []
    for d in scheme["dimensions"].values():
        for i in d["items"].values():
            if i.get("reviewer") and not (only_reviewer and i.get("metric")):
                out.append((f"{d['code']}.{i['code']}", Decimal(str(i["max"]))))
    return out


@lru_cache(maxsize=8)
def _version(scheme: str) -> str:
    return selectors.load_scheme(scheme)["version"]


Score = tuple[Evaluation, str, str, Decimal, str, str, "User | None"]  # evaluation, item, stage, points, note, …
SCORE_FIELDS = ["evaluation", "item", "stage", "points", "note", "evidence", "by", "at"]


def _write_scores(scores: list[Score]) -> None:
    """Item scores of saved evaluations, in one prepared INSERT (bulk_create costs most of the time at scale)."""
    now = timezone.now()
    insert_rows(ItemScore, SCORE_FIELDS, [(e.pk, code, stage, points, note, evidence, by.pk if by else None, now)
                                          for e, code, stage, points, note, evidence, by in scores])


def _evaluation(ctx: Context, scheme: str, kind: str, key: str, org: Organization, period: str, status: str,
                day: dt.date, **subject) -> Evaluation:
    """An unsaved evaluation in `status`, its steps dated around `day` (never after today)."""
    day = min(day, ctx.today)
    steps = status != EvaluationStatus.DRAFT
    reviewed = status in (EvaluationStatus.REVIEWED, EvaluationStatus.CONFIRMED, EvaluationStatus.SUPERSEDED)
    submit_day = _past_day(ctx, day - dt.timedelta(days=12), day)
    review_day = _past_day(ctx, submit_day, submit_day + dt.timedelta(days=6))
    return Evaluation(
        scheme=scheme, scheme_version=_version(scheme), subject_kind=kind, subject_key=key,
        org=org, top_org=ctx.top, period=period, year=int(period[:4]), version=1, status=status,
        self_note="已对照评分标准逐项自评，佐证材料已上传" if steps else "",
        submitted_by=ctx.officers.get(org.pk) if steps else None, submitted_at=_at(submit_day) if steps else None,
        review_note="经审核，同意" if reviewed else "", reviewed_by=ctx.reviewer if reviewed else None,
        reviewed_at=_at(review_day, 15) if reviewed else None, **subject)


def _freeze(ctx: Context, evaluation: Evaluation, result: Any, day: dt.date) -> None:
    """Confirm as evaluation_confirm does (the same services.freeze), dated on the demo's day."""
    reviewer = ctx.reviewer
    freeze(evaluation, stored_form(result), by=reviewer,
           by_label=(reviewer.display_name or reviewer.username) if reviewer else "系统", at=_at(min(day, ctx.today), 16))


# --- 达标创星 ----------------------------------------------------------------------------------------------------

def _weights(result: Any) -> dict[str, Decimal]:
    """Item code → points in the total per item point for one subject's result: its dimension's weight / Σ max of
    the dimension's items that count (an item not yet due is left out of Σmax by the engine)."""
    out = {}
    for d in result.dimensions.values():
        items = [i for i in result.items if i.dimension == d.name]
        total = sum((i.max for i in items if not getattr(i, "pending", False)), Decimal(0))
        for i in items:
            out[i.code] = d.weight / total if total else Decimal(0)
    return out


def _band(scheme: dict[str, Any], level: str) -> tuple[float, float]:
    band = next(b for b in scheme["levels"] if b["name"] == level)
    low = float(band["min"])
    high = float(band["below"]) if band.get("below") is not None else float(scheme["total"])
    if low == 0:
        low = high - 12
    return low + 1, high - 1


def _draw_scores(rng: random.Random, items: list[tuple[str, Decimal]], weights: dict[str, Decimal],
                 needed: float) -> dict[str, Decimal]:
    """Reviewer points per item adding up (in weighted points) to about `needed`, each within [0, max]."""
    room = float(sum(weights[c] * top for c, top in items))
    share = min(1.0, max(0.0, needed / room)) if room else 0.0
    points = {c: min(top, max(Decimal(0), _half(float(top) * min(1.0, max(0.0, share + rng.gauss(0, 0.08))))))
              for c, top in items}
    for _ in range(200):  # nudge half points until the sum is within half a point of what is needed
        diff = needed - float(sum(weights[c] * p for c, p in points.items()))
        if abs(diff) < 0.5:
            break
        movable = [c for c, top in items if (points[c] < top if diff > 0 else points[c] > 0)]
        if not movable:
            break
        code = rng.choice(movable)
        points[code] += HALF if diff > 0 else -HALF
    return points


def _standings(scheme: dict[str, Any], branches: list[Organization], automatic: dict[int, float],
               room: dict[int, float]) -> dict[int, str]:
    """Branch id → the 达标创星 standing its reviewer scores aim at. `branches` come best records first; the top
    standings go to the best of those that can still reach them with full reviewer points, the bottom ones to
    the weakest of those whose records leave them low enough; the rest are 三星."""
    n, out = len(branches), {}
    quota = Counter(_counts(n, STANDING_SHARES, "三星"))
    names = [level["name"] for level in scheme["levels"]]
    middle = names.index("三星")
    for name in names[:middle]:  # 五星, 四星: from the top
        low, _ = _band(scheme, name)
        fits = [b for b in branches if b.pk not in out and automatic.get(b.pk, 0.0) + room[b.pk] >= low + 0.5]
        out.update((b.pk, name) for b in fits[: quota[name]])
    for name in reversed(names[middle + 1:]):  # 不达标, 一星, 二星: from the bottom
        _, high = _band(scheme, name)
        fits = [b for b in reversed(branches) if b.pk not in out
                and automatic.get(b.pk, 0.0) + MIN_REVIEWER_SHARE * room[b.pk] <= high]
        out.update((b.pk, name) for b in fits[: quota[name]])
    return {b.pk: out.get(b.pk, "三星") for b in branches}


def _star_ratings(ctx: Context, summary: AssessmentSummary) -> tuple[Organization | None, dict[int, float]]:
    """Self-assessments of every branch, the process states, the veto and the re-evaluation; returns the vetoed
    branch and each branch's share of the reviewer points (how well its reviewers judged it)."""
    rng, scheme = ctx.rng, selectors.load_scheme(BRANCH_SCHEME)
    period = str(ctx.year)
    items = _reviewer_items(scheme)
    first = selectors.evaluate_subtree(BRANCH_SCHEME, ctx.root, period, as_of=ctx.as_of)  # the records alone
    automatic = {r.subject.id: float(r.score) for r in first}
    weights = {r.subject.id: _weights(r) for r in first}
    room = {pk: float(sum(w[c] * top for c, top in items)) for pk, w in weights.items()}
    branches = sorted(ctx.branches, key=lambda b: -(automatic.get(b.pk, 0.0) + rng.gauss(0, 1.5)))
    standing = _standings(scheme, branches, automatic, room)
    standings = [standing[b.pk] for b in branches]
    statuses = _counts(len(branches), STATUS_SHARES, EvaluationStatus.DRAFT)
    rng.shuffle(statuses)
    close = dt.date(ctx.year, 12, 20) if ctx.year < ctx.today.year else ctx.today - dt.timedelta(days=5)
    evaluations, scores, quality = {}, [], {}
    for branch, standing, status in zip(branches, standings, statuses, strict=True):
        auto, space = automatic.get(branch.pk, 0.0), room[branch.pk]
        low, high = _band(scheme, standing)
        target = rng.uniform(low, max(low, min(high, auto + space - 0.5)))
        drawn = _draw_scores(rng, items, weights[branch.pk], max(target - auto, MIN_REVIEWER_SHARE * space))
        e = _evaluation(ctx, BRANCH_SCHEME, SubjectKind.BRANCH, f"org:{branch.pk}", branch, period, status, close)
        evaluations[branch.pk] = e
        quality[branch.pk] = float(sum(drawn.values()) / sum(top for _, top in items))
        for code, points in drawn.items():
            scores.append((e, code, Stage.SELF, points, "", "支部工作台账、活动记录和照片", ctx.officers.get(branch.pk)))
        if status in (EvaluationStatus.REVIEWED, EvaluationStatus.CONFIRMED):
            scores.append(_review_change(rng, e, items, drawn, ctx.reviewer))
    Evaluation.objects.bulk_create(list(evaluations.values()), batch_size=BATCH)
    _write_scores(scores)
    veto_branch = _veto(ctx, branches, standings, evaluations)
    levels = _confirm(ctx, evaluations, close)
    again = _reevaluate(ctx, evaluations, veto_branch, close)
    if again is not None:
        levels[again.org_id] = again.level
        summary.reevaluated = [again.org.name]
    counts = Counter(levels.values())
    summary.levels = {level["name"]: counts.get(level["name"], 0) for level in scheme["levels"]}
    summary.vetoed = [veto_branch.name] if veto_branch is not None else []
    summary.statuses = dict(Counter(e.get_status_display() for e in Evaluation.objects.filter(
        scheme=BRANCH_SCHEME, period=period, org__in=ctx.branches)).most_common())
    return veto_branch, quality


def _review_change(rng: random.Random, e: Evaluation, items: list[tuple[str, Decimal]], drawn: dict[str, Decimal],
                   reviewer: User | None) -> Score:
    """The level above changes one self score by half a point, with the reason."""
    code, top = rng.choice(items)
    own = drawn[code]
    points = own - HALF if own > 0 else own + HALF
    return e, code, Stage.REVIEW, min(points, top), REVIEW_CHANGE_NOTE, "支部工作台账", reviewer


def _veto(ctx: Context, branches: list[Organization], standings: list[str],
          evaluations: dict[int, Evaluation]) -> Organization | None:
    """A major safety accident in one 三星 branch that has been reviewed or confirmed (or any 三星 one)."""
    candidates = [b for b, s in zip(branches, standings, strict=True) if s == "三星"]
    reviewed = [b for b in candidates if evaluations[b.pk].status in (EvaluationStatus.REVIEWED,
                                                                      EvaluationStatus.CONFIRMED)]
    pool = reviewed or candidates
    if not pool:
        return None
    branch = ctx.rng.choice(pool)
    month = max(1, min(ctx.today.month - 1, 6)) if ctx.year == ctx.today.year else 6
    VetoMark.objects.create(evaluation=evaluations[branch.pk], veto="safety_accident",
                            reason=VETO_REASON.format(month=month), stage=Stage.REVIEW, by=ctx.reviewer)
    return branch


def _confirm(ctx: Context, evaluations: dict[int, Evaluation], close: dt.date) -> dict[int, str]:
    """Freeze the confirmed evaluations from one evaluation of the subtree; returns every branch's level."""
    live = {r.subject.id: r for r in selectors.evaluate_subtree(BRANCH_SCHEME, ctx.root, str(ctx.year), as_of=ctx.as_of)}
    confirmed = [e for e in evaluations.values() if e.status == EvaluationStatus.CONFIRMED]
    for e in confirmed:
        _freeze(ctx, e, live[e.org_id], close)
    Evaluation.objects.bulk_update(confirmed, ["status", "result", "fingerprint", "score", "level", "vetoed",
                                               "confirmed_by", "confirmed_at"], batch_size=BATCH)
    return {pk: r.level for pk, r in live.items()}


def _reevaluate(ctx: Context, evaluations: dict[int, Evaluation], veto_branch: Organization | None,
                close: dt.date) -> Evaluation | None:
    """One confirmed branch is re-evaluated: version 1 keeps its frozen result, version 2 (with one score raised
    on review, for the evidence handed in later) is confirmed in turn."""
    confirmed = [b for b in ctx.branches if evaluations[b.pk].status == EvaluationStatus.CONFIRMED
                 and (veto_branch is None or b.pk != veto_branch.pk)]
    if not confirmed:
        return None
    branch = ctx.rng.choice(confirmed)
    old = evaluations[branch.pk]
    Evaluation.objects.filter(pk=old.pk).update(status=EvaluationStatus.SUPERSEDED)
    new = Evaluation.objects.create(
        scheme=old.scheme, scheme_version=old.scheme_version, subject_kind=old.subject_kind,
        subject_key=old.subject_key, org=old.org, top_org=old.top_org, period=old.period, year=old.year, version=2,
        previous=old, reevaluation_note=REEVALUATION_NOTE, status=EvaluationStatus.REVIEWED,
        self_note=old.self_note, submitted_by=old.submitted_by, submitted_at=old.submitted_at,
        review_note="补充材料属实，同意调整", reviewed_by=ctx.reviewer, reviewed_at=old.confirmed_at)
    copies = [ItemScore(evaluation=new, item=s.item, stage=s.stage, points=s.points, note=s.note,
                        evidence=s.evidence, by=s.by) for s in old.item_scores.all()]
    ItemScore.objects.bulk_create(copies)
    scheme = selectors.load_scheme(BRANCH_SCHEME)
    brand = next((c, top) for c, top in _reviewer_items(scheme) if c.endswith(".brand"))
    own = max((s.points for s in copies if s.item == brand[0]), default=Decimal(0))
    ItemScore.objects.update_or_create(evaluation=new, item=brand[0], stage=Stage.REVIEW, defaults={
        "points": min(brand[1], own + 1), "note": REEVALUATION_NOTE, "evidence": "党建品牌经验材料（补交）",
        "by": ctx.reviewer})
    _freeze(ctx, new, selectors.evaluate_subject(new, as_of=ctx.as_of), close)
    new.save()
    evaluations[branch.pk] = new
    return new


# --- 双百考核（党支部） ------------------------------------------------------------------------------------------

def _shuangbai(ctx: Context, quality: dict[int, float], summary: AssessmentSummary) -> None:
    """Every branch has self-assessed the reviewer items of 双百考核 (draft), about as well as its 达标创星 ones."""
    rng, items = ctx.rng, _reviewer_items(selectors.load_scheme(SHUANGBAI_SCHEME))
    close = dt.date(ctx.year, 12, 20) if ctx.year < ctx.today.year else ctx.today - dt.timedelta(days=4)
    evaluations, scores = [], []
    for branch in ctx.branches:
        e = _evaluation(ctx, SHUANGBAI_SCHEME, SubjectKind.BRANCH, f"org:{branch.pk}", branch, str(ctx.year),
                        EvaluationStatus.DRAFT, close)
        evaluations.append(e)
        for code, top in items:
            share = min(1.0, max(0.0, quality.get(branch.pk, 0.8) + rng.gauss(0, 0.06)))
            scores.append((e, code, Stage.SELF, min(top, _half(float(top) * share)), "", "支部工作台账",
                           ctx.officers.get(branch.pk)))
    Evaluation.objects.bulk_create(evaluations, batch_size=BATCH)
    _write_scores(scores)
    summary.shuangbai = len(evaluations)


# --- 五好班组 ----------------------------------------------------------------------------------------------------

def _teams(ctx: Context, veto_branch: Organization | None, summary: AssessmentSummary) -> None:
    rng = ctx.rng
    teams = list(WorkTeam.objects.filter(branch__in=ctx.branches).select_related("branch").order_by("branch__path",
                                                                                                     "code"))
    items = _reviewer_items(selectors.load_scheme(TEAM_SCHEME))
    period = str(ctx.year)
    close = dt.date(ctx.year, 12, 20) if ctx.year < ctx.today.year else ctx.today - dt.timedelta(days=3)
    evaluations, scores = [], []
    for team in teams:
        status = EvaluationStatus.SUBMITTED if rng.random() < 0.3 else EvaluationStatus.DRAFT
        e = _evaluation(ctx, TEAM_SCHEME, SubjectKind.TEAM, f"team:{team.pk}", team.branch, period, status, close,
                        team=team)
        evaluations.append(e)
        quality = rng.choice([0.97, 0.93, 0.88, 0.85, 0.8, 0.75, 0.6])
        for code, top in items:
            share = min(1.0, max(0.2, quality + rng.gauss(0, 0.05)))
            scores.append((e, code, Stage.SELF, _half(float(top) * share), "", "班组台账、生产报表",
                           ctx.officers.get(team.branch_id)))
    Evaluation.objects.bulk_create(evaluations, batch_size=BATCH)
    _write_scores(scores)
    if veto_branch is not None:
        hit = next((e for e in evaluations if e.org_id == veto_branch.pk), None)
        if hit is not None:
            month = max(1, min(ctx.today.month - 1, 6)) if ctx.year == ctx.today.year else 6
            VetoMark.objects.create(evaluation=hit, veto="safety_accident", reason=TEAM_VETO_REASON.format(month=month),
                                    stage=Stage.SELF, by=ctx.officers.get(veto_branch.pk))
    summary.teams = len(evaluations)
