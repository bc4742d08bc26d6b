"""Database invariants of the assessment models."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

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
    VetoMark,
)


def make_evaluation(w, version=1, status=EvaluationStatus.DRAFT, period="2025"):
    return Evaluation.objects.create(
        scheme="dabiao-chuangxing", scheme_version="2026.1", subject_kind="branch", subject_key=f"org:{w.b1.pk}",
        org=w.b1, top_org=w.root, period=period, year=int(period[:4]), version=version, status=status)


def fails(fn):
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_one_live_version_per_subject_and_period(world):
    first = make_evaluation(world)
    fails(lambda: make_evaluation(world, version=2))  # two live versions
    first.status = EvaluationStatus.SUPERSEDED
    first.save()
    second = make_evaluation(world, version=2)
    assert second.pk and str(second) == f"dabiao-chuangxing org:{world.b1.pk} 2025 v2"
    fails(lambda: make_evaluation(world, version=2, status=EvaluationStatus.SUPERSEDED))  # same version number
    assert make_evaluation(world, period="2024").version == 1  # another period is independent


def test_version_starts_at_one(world):
    fails(lambda: make_evaluation(world, version=0))


def test_item_score_unique_per_stage_and_not_negative(world):
    ev = make_evaluation(world)
    ItemScore.objects.create(evaluation=ev, item="a.b", stage=Stage.SELF, points=Decimal("3"))
    ItemScore.objects.create(evaluation=ev, item="a.b", stage=Stage.REVIEW, points=Decimal("2"))
    fails(lambda: ItemScore.objects.create(evaluation=ev, item="a.b", stage=Stage.SELF, points=Decimal("1")))
    fails(lambda: ItemScore.objects.create(evaluation=ev, item="a.c", stage=Stage.SELF, points=Decimal("-1")))
    VetoMark.objects.create(evaluation=ev, veto="discipline_case", reason="案件", stage=Stage.SELF)
    fails(lambda: VetoMark.objects.create(evaluation=ev, veto="discipline_case", reason="再次", stage=Stage.REVIEW))
    assert ev.item_scores.count() == 2 and ev.veto_marks.count() == 1


def test_kpi_constraints(world):
    post = Post.objects.create(org=world.b1, name="装卸效率岗", kind=PostKind.KPI)
    fails(lambda: Post.objects.create(org=world.b1, name="装卸效率岗", kind=PostKind.KPI))
    ind = KpiIndicator.objects.create(post=post, code="eff", name="装卸效率", from_year=2024)
    fails(lambda: KpiIndicator.objects.create(post=post, code="eff", name="重复", from_year=2024))
    fails(lambda: KpiIndicator.objects.create(post=post, code="zero", name="零系数", from_year=2024, coefficient=0))
    KpiValue.objects.create(indicator=ind, period="2025", year=2025, target=Decimal("100"))
    fails(lambda: KpiValue.objects.create(indicator=ind, period="2025", year=2025, target=Decimal("90")))
    fails(lambda: KpiValue.objects.create(indicator=ind, period="2024", year=2024, target=Decimal("0")))
    fails(lambda: KpiValue.objects.create(indicator=ind, period="2023", year=2023, target=1, actual=Decimal("-1")))
    assert post.subject_key == f"post:{post.pk}"


def test_checklist_item_done_in_time(world):
    item = ChecklistItem.objects.create(org=world.b1, year=2025, title="建成党员活动室", due_on=dt.date(2025, 6, 30))
    assert not item.is_done and not item.done_in_time
    item.done_on = dt.date(2025, 7, 1)
    assert item.is_done and not item.done_in_time
    item.done_on = dt.date(2025, 6, 30)
    assert item.done_in_time


@pytest.mark.parametrize("model", ["evaluation", "checklistitem", "post", "kpivalue"])
def test_admin_lists_read_only(world, client, model):
    make_evaluation(world)
    client.force_login(world.admin)
    assert client.get(f"/admin/assessment/{model}/").status_code == 200
    assert client.get(f"/admin/assessment/{model}/add/").status_code == 403


def test_admin_evaluation_detail(world, client):
    ev = make_evaluation(world)
    ItemScore.objects.create(evaluation=ev, item="a.b", stage=Stage.SELF, points=Decimal("3"))
    client.force_login(world.admin)
    page = client.get(f"/admin/assessment/evaluation/{ev.pk}/change/")
    assert page.status_code == 200 and "a.b" in page.content.decode()
