"""The issue's own walk-through: a 支部书记 plans a 支部委员会 from its template, records attendance and
minutes, sees the quorum, archives it and downloads the Word record; the member sees it on a phone."""

import datetime as dt

import pytest
from django.utils import timezone

from conftest import make_id
from dangjian.meetings.models import Activity, ActivityStatus
from dangjian.orgs import services
from dangjian.orgs.models import Category

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_secretary_records_a_committee_meeting_and_member_sees_it_on_a_phone(page_for, live_server, world):
    # A committee of three (书记 + two 委员), so that the quorum has something to count.
    for i, post in enumerate(["组织委员", "宣传委员"]):
        services.member_create(actor=None, id_number=make_id("19850101", 101 + i), name=f"委员{i + 1}",
                               category=Category.FULL, branch=world.b1, posts=[post])
    yesterday = timezone.localdate() - dt.timedelta(days=1)

    page = page_for("sec1", "pw-sec-123")
    page.goto(f"{live_server.url}/activities/new/?kind=committee_meeting&org=B1&date={yesterday:%Y-%m-%d}")
    assert "计划支部委员会" in page.content()
    page.fill("#id_title", "研究发展党员工作")
    page.fill("#id_start_time", "15:00")
    page.check("input[name=record_as][value=held]")
    page.locator("form button[type=submit]", has_text="保存").click()
    page.wait_for_url("**/activities/*/")
    activity = Activity.objects.get(title="研究发展党员工作")
    assert activity.status == ActivityStatus.HELD and activity.template_ref.startswith("标准模板")

    # Two of three present: strictly more than half → the quorum turns green before saving.
    rows = Activity.objects.get(pk=activity.pk).attendance.select_related("member").order_by("member__name")
    by_name = {a.member.name: a.member_id for a in rows}
    # Each tick asks the server for a live quorum preview; let it answer before the next action (the test
    # database is SQLite in memory, which cannot take two writers at once; a file database waits instead).
    for selector in (f"#st-{by_name['张书记']}-present", f"#st-{by_name['委员1']}-present",
                     f"#st-{by_name['委员2']}-leave"):
        page.check(selector)
        page.wait_for_load_state("networkidle")
    page.locator("#quorum", has_text="符合要求").wait_for()
    page.fill(f"input[name=reason_{by_name['委员2']}]", "出差")
    page.locator("#attendance-box button[type=submit]", has_text="保存出勤").click()
    page.locator("#quorum", has_text="符合要求").wait_for()

    page.fill("textarea[name=minutes]", "一、同意确定李某为发展对象。")
    page.locator("form:has(input[name=section][value=record]) button[type=submit]").first.click()
    page.locator("button", has_text="归档").click()
    page.locator("text=已归档，记录只读").wait_for()
    with page.expect_download() as download:
        page.locator("a", has_text="会议记录（Word）").first.click()
    assert download.value.suggested_filename.endswith(".docx")
    assert page.js_errors == []

    phone = page_for("sec1", "pw-sec-123", width=390)
    phone.goto(live_server.url + "/my/activities/")
    phone.locator("text=研究发展党员工作").first.wait_for(state="visible")
    overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
