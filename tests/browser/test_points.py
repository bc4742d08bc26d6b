"""Member points in a real browser: a 支部书记 scores two members on the grid with the keyboard only (type,
Tab, and each cell says 已保存), a wrong value stays in its cell with the error; the member's own page fits
a 390 px phone without sideways scrolling."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from dangjian.points.models import EntrySource, PointEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

YEAR = dt.date.today().year
SLOT = f"{YEAR}-Q1"


def live_points(member, rule):
    return list(PointEntry.objects.filter(member=member, rule=rule, slot=SLOT, reverses__isnull=True,
                                          reversed_by__isnull=True).values_list("points", flat=True))


def test_secretary_scores_on_the_grid_with_the_keyboard(page_for, live_server, world):
    page = page_for("sec1", "pw-sec-123")
    page.goto(f"{live_server.url}/points/grid/B1/?slot={SLOT}")
    first = page.locator(f"#in-{world.sec_member.pk}-duty_score")
    first.click()
    # 张书记: duty 14, Tab → target 13, Tab; each cell saves on its own when the focus leaves it.
    page.keyboard.type("14")
    page.keyboard.press("Tab")
    page.keyboard.type("13")
    page.keyboard.press("Tab")
    page.locator(f"#cell-{world.sec_member.pk}-duty_score", has_text="已保存").wait_for()
    page.locator(f"#cell-{world.sec_member.pk}-target_score", has_text="已保存").wait_for()
    # 李党员's row.
    second = page.locator(f"#in-{world.member.pk}-duty_score")
    second.click()
    page.keyboard.type("12.5")
    page.keyboard.press("Tab")
    page.locator(f"#cell-{world.member.pk}-duty_score", has_text="已保存").wait_for()
    # A value out of range shows the error inside the cell and changes nothing.
    page.keyboard.type("99")
    page.keyboard.press("Tab")
    page.locator(f"#cell-{world.member.pk}-target_score.cell-error").wait_for()
    assert "15" in page.locator(f"#cell-{world.member.pk}-target_score").inner_text()
    page.wait_for_load_state("networkidle")

    assert live_points(world.sec_member, "duty_score") == [Decimal("14")]
    assert live_points(world.sec_member, "target_score") == [Decimal("13")]
    assert live_points(world.member, "duty_score") == [Decimal("12.5")]
    assert live_points(world.member, "target_score") == []
    assert page.js_errors == []

    # Enter moves down a column, to the next member's cell of the same rule.
    column = page.locator("input[data-rule=quality_score]")
    upper, lower = column.nth(0).get_attribute("id"), column.nth(1).get_attribute("id")
    column.nth(0).click()
    page.keyboard.type("8")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == lower
    page.locator("#" + upper.replace("in-", "cell-"), has_text="已保存").wait_for()


def test_member_page_fits_a_phone(page_for, live_server, world):
    for i in range(6):
        day = dt.date(YEAR, i + 1, 10)
        PointEntry.objects.create(
            member=world.member, org=world.b1, top_org=world.root, rule="attend_present", category="activity",
            points=1, occurred_on=day, year=YEAR, period=f"{day:%Y-%m}", source=EntrySource.AUTO,
            source_key=f"test:{uuid.uuid4().hex}", reason="出席支部党员大会（测试数据，说明文字较长以检验窄屏换行）")
    phone = page_for("member1", "pw-mem-123", width=390)
    phone.goto(live_server.url + "/points/me/")
    phone.locator("#total", has_text="16").wait_for()  # 6 + 遵守道德纪律 10
    phone.locator("#month-chart canvas").wait_for()
    overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    assert phone.js_errors == []
