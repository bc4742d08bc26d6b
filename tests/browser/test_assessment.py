"""The issue's process in a browser: a 支部书记 enters a self-assessment score with evidence and submits; the
组织管理员 of the level above changes that score with a reason, reviews and confirms; the card shows 已认定 —
and the card fits a phone."""

import datetime as dt

import pytest

from dangjian.assessment.models import Evaluation, EvaluationStatus, ItemScore

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

YEAR = dt.date.today().year
ITEM = "basic_org.integration"


def test_self_assessment_review_and_confirmation(page_for, live_server, world):
    card_url = f"{live_server.url}/assessment/card/B1/?year={YEAR}"
    page = page_for("sec1", "pw-sec-123")
    page.set_default_timeout(30_000)  # each card load evaluates the branch live; generous on a busy machine
    page.goto(card_url)
    page.locator("#card-status", has_text="未开始自评").wait_for()
    item = page.locator(f"li[data-item='{ITEM}']")
    form = item.locator("form.self-form")
    form.locator("input[name=points]").fill("3")
    form.locator("textarea[name=evidence]").fill("党建工作责任制文件、交叉任职名单")
    form.locator("button[type=submit]").click()
    page.locator(".alert", has_text="已保存自评分").wait_for()
    page.fill("#submit-note", "全年工作按计划完成")
    page.locator("button", has_text="提交自评").click()
    page.locator("#card-status", has_text="已自评").wait_for()
    assert page.js_errors == []

    boss = page_for("orgadmin", "pw-org-123")
    boss.set_default_timeout(30_000)
    boss.goto(card_url)
    item = boss.locator(f"li[data-item='{ITEM}']")
    assert "党建工作责任制文件" in item.inner_text()
    item.locator("summary", has_text="审核打分").click()
    review = item.locator("form.review-form")
    review.locator("input[name=points]").fill("2")
    review.locator("textarea[name=note]").fill("交叉任职尚未全部落实")
    review.locator("button[type=submit]").click()
    boss.locator(".alert", has_text="已保存审核分").wait_for()
    boss.locator("button", has_text="审核通过").click()
    boss.locator("#card-status", has_text="已审核").wait_for()
    boss.locator("button", has_text="认定（冻结结果）").click()
    boss.locator("#card-status", has_text="已认定").wait_for()
    assert "交叉任职尚未全部落实" in boss.locator(f"li[data-item='{ITEM}']").inner_text()
    assert boss.locator("#radar canvas").count() == 1
    assert boss.js_errors == []

    e = Evaluation.objects.get(subject_key=f"org:{world.b1.pk}")
    assert e.status == EvaluationStatus.CONFIRMED and e.result
    assert ItemScore.objects.get(evaluation=e, item=ITEM, stage="review").points == 2

    phone = page_for("sec1", "pw-sec-123", width=390)
    phone.set_default_timeout(30_000)
    phone.goto(card_url)
    phone.locator("#card-status", has_text="已认定").wait_for()
    overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
