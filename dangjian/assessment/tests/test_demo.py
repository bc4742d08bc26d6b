"""The assessment part of the demo (dangjian/demo/assessment.py): the default demo's 达标创星 distribution is
believable, the process states, the veto and the re-evaluation are there (and the confirmed results match their
records), the other schemes have their records, and a seed gives the same rows."""

import datetime as dt
import hashlib
from collections import Counter

import pytest

from dangjian.assessment import selectors, services
from dangjian.assessment.models import (
    ChecklistItem,
    Evaluation,
    EvaluationStatus,
    ItemScore,
    KpiIndicator,
    KpiValue,
    Post,
    PostKind,
    VetoMark,
)
from dangjian.demo.generator import generate, reset_demo_data
from dangjian.orgs.models import Organization, OrgKind, WorkTeam

# A day in January (the demo's year of records covers the whole of the year assessed, 2025) and a day in November
# (2025 is judged as of that day: the once-a-year items not held yet are not due yet).
TODAY = dt.date(2026, 1, 20)
MID_YEAR = dt.date(2025, 11, 20)
YEAR = 2025
SCHEME = "dabiao-chuangxing"


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def root() -> Organization:
    return Organization.objects.get(depth=1)


@pytest.mark.django_db
@pytest.mark.parametrize("today", [TODAY, MID_YEAR])
def test_default_demo_assessment(today):
    generate(seed=2024, today=today)
    as_of = min(today, dt.date(YEAR + 1, 1, 1))
    branches = Organization.objects.filter(kind=OrgKind.BRANCH).count()
    rows = selectors.results(SCHEME, root(), str(YEAR), as_of=as_of)
    assert len(rows) == branches == 24
    levels = Counter(r.level for r in rows)
    # most 三星/四星, a few 五星 and 不达标 (one by a veto), a few in between
    assert levels["三星"] + levels["四星"] > branches / 2
    assert 1 <= levels["五星"] <= 4 and 1 <= levels["不达标"] <= 4
    assert levels["二星"] + levels["一星"] >= 1
    scores = sorted(float(r.score) for r in rows)
    assert scores[-1] - scores[0] >= 15  # a spread, not one score for all

    # the process: every branch self-assessed; some submitted, reviewed (with a reason for a change), confirmed
    current = list(Evaluation.objects.filter(scheme=SCHEME, period=str(YEAR)).exclude(status="superseded"))
    statuses = Counter(e.status for e in current)
    assert len(current) == branches
    assert all(statuses[s] >= 1 for s in ("draft", "submitted", "reviewed", "confirmed"))
    assert ItemScore.objects.filter(evaluation__in=current, stage="review").exclude(note="").exists()
    assert not any(m.startswith("待评审") for r in rows for m in r.result["missing"])

    # the veto: one branch, 不达标 whatever its score
    veto = VetoMark.objects.get(evaluation__scheme=SCHEME)
    vetoed = next(r for r in rows if r.key == veto.evaluation.subject_key)
    assert vetoed.level == "不达标" and vetoed.result["vetoed"] and float(vetoed.score) >= 60

    # the re-evaluation: version 1 superseded with its frozen result, version 2 confirmed
    old = Evaluation.objects.get(scheme=SCHEME, status=EvaluationStatus.SUPERSEDED)
    new = Evaluation.objects.get(previous=old)
    assert old.result and old.fingerprint and new.version == 2 and new.status == EvaluationStatus.CONFIRMED
    assert new.reevaluation_note

    # confirmed results were frozen as the services freeze them: they match their records (checked live as of
    # now: only where the year was over when the demo was made)
    for e in Evaluation.objects.filter(scheme=SCHEME, status=EvaluationStatus.CONFIRMED):
        if as_of.year > YEAR:
            assert services.inputs_changed(e) is False
        row = next(r for r in rows if r.key == e.subject_key)
        assert not row.live and row.level == e.level

    _other_schemes(branches, as_of)


def _other_schemes(branches: int, as_of: dt.date) -> None:
    # 创建清单: every branch has its own list, partly done; some members keep one too
    lists = Counter(ChecklistItem.objects.filter(member__isnull=True, year=YEAR).values_list("org_id", flat=True))
    assert len(lists) == branches and all(4 <= n <= 6 for n in lists.values())
    items = ChecklistItem.objects.filter(year=YEAR)
    assert items.filter(done_on__isnull=False).exists() and items.filter(done_on__isnull=True).exists()
    assert items.filter(member__isnull=False).count() >= branches
    # 岗位KPI with indicators and two years of values
    kpi = Post.objects.filter(kind=PostKind.KPI)
    assert kpi.exists() and KpiIndicator.objects.filter(post__in=kpi).count() == 3 * kpi.count()
    assert set(KpiValue.objects.values_list("year", flat=True)) == {YEAR - 1, YEAR}
    kpi_rows = selectors.results("post-kpi", root(), str(YEAR), as_of=as_of)
    assert kpi_rows and all(not r.result["missing"] for r in kpi_rows)
    first = selectors.kpi_comparison(kpi.first(), YEAR)
    assert first and all(r.last_year is not None for r in first)
    # model posts evaluated every month, and a wall for each month
    model = Post.objects.filter(kind__in=[PostKind.MODEL, PostKind.VANGUARD, PostKind.ZONE])
    months = set(Evaluation.objects.filter(scheme="model-post").values_list("period", flat=True))
    last = 12 if as_of.year > YEAR else as_of.month - 1
    assert model.count() >= branches // 2 and months == {f"{YEAR}-{m:02d}" for m in range(1, last + 1)}
    wall = selectors.wall(root(), f"{YEAR}-06")
    assert 1 <= len(wall) <= 10
    # 双百考核: every branch self-assessed its reviewer items
    shuangbai = selectors.results("shuangbai-branch", root(), str(YEAR), as_of=as_of)
    assert len(shuangbai) == branches
    assert not any(m.startswith("待评审") for r in shuangbai for m in r.result["missing"])
    # 五好班组: every team self-assessed, one vetoed
    teams = selectors.results("wuhao-banzu", root(), str(YEAR), as_of=as_of)
    assert len(teams) == WorkTeam.objects.count()
    team_levels = Counter(r.level for r in teams)
    assert team_levels["五好班组"] >= 1 and team_levels["合格"] >= 1 and team_levels["不合格"] >= 1


def digest() -> str:
    """The assessment rows by natural keys (no database ids or timestamps)."""
    h = hashlib.sha256()
    queries = [
        Evaluation.objects.order_by("scheme", "period", "org__code", "team__code", "post__name", "version")
        .values_list("scheme", "period", "org__code", "team__code", "post__name", "version", "status", "score",
                     "level", "vetoed"),
        ItemScore.objects.order_by("evaluation__scheme", "evaluation__period", "evaluation__org__code",
                                   "evaluation__team__code", "evaluation__post__name", "evaluation__version",
                                   "item", "stage")
        .values_list("evaluation__org__code", "evaluation__post__name", "item", "stage", "points", "note"),
        ChecklistItem.objects.order_by("org__code", "member__id_number", "due_on", "title")
        .values_list("org__code", "member__id_number", "title", "due_on", "done_on"),
        KpiValue.objects.order_by("indicator__post__org__code", "indicator__code", "period")
        .values_list("indicator__post__org__code", "indicator__post__name", "indicator__code", "period", "target",
                     "actual"),
        VetoMark.objects.order_by("evaluation__org__code", "veto").values_list("evaluation__org__code",
                                                                                 "evaluation__scheme", "reason"),
    ]
    for q in queries:
        for row in q:
            h.update(repr(row).encode())
    return h.hexdigest()


@pytest.mark.django_db
def test_deterministic_per_seed_and_reset():
    generate(branches=6, members=200, seed=7, today=TODAY, with_users=False)
    first = digest()
    assert Evaluation.objects.filter(scheme=SCHEME).exists()
    reset_demo_data()
    assert not Evaluation.objects.exists() and not Post.objects.exists() and not ChecklistItem.objects.exists()
    generate(branches=6, members=200, seed=7, today=TODAY, with_users=False)
    assert digest() == first
