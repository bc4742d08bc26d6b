"""The activity pages: list (filters, counts, constant queries), planning from a template, the record
page (lifecycle, 五定 and steps, minutes, attendance, 民主评议, 整改清单) and editing."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.meetings import services
from dangjian.meetings.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Appraisal,
    Attendance,
    FollowUpItem,
)

from .conftest import local_dt

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("templates_ready", "media_root")]


def plan(w, kind=ActivityKind.COMMITTEE_MEETING, org=None, **kw):
    kw.setdefault("starts_at", local_dt(timezone.localdate() - dt.timedelta(days=1)))
    return services.activity_create(actor=w.sec1, org=org or w.b1, kind=kind, title=kw.pop("title", "会议"), **kw)


# --- list -----------------------------------------------------------------------------------------


def test_list_rows_counts_and_marks(world, branch_people, client):
    w = branch_people
    a = plan(w, ActivityKind.THEME_DAY, title="安全主题党日", tags=["安全"])
    services.attendance_save(actor=w.sec1, activity=a, marks={w.sec_member.pk: ("present", ""),
                                                             w.member.pk: ("leave", "出差")})
    plan(w, title="补记的支委会", status=ActivityStatus.HELD,
         starts_at=local_dt(timezone.localdate() - dt.timedelta(days=30)))
    client.force_login(w.sec1)
    body = client.get(reverse("activity_list")).content.decode()
    assert "安全主题党日" in body and "党建+安全" in body and "主题党日" in body
    assert "1 / 5" in body and "请假1" in body
    assert "补录" in body and "已召开" in body and "计划" in body


def test_list_filters(world, client):
    a = plan(world, title="本月支委会")
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=3)
    b = plan(world, ActivityKind.BRANCH_ASSEMBLY, title="上月党员大会", starts_at=local_dt(last_month),
             status=ActivityStatus.HELD)
    c = plan(world, ActivityKind.GROUP_MEETING, org=world.g1, title="小组会")
    client.force_login(world.orgadmin)

    def pks(query: str) -> set[int]:
        return {x.pk for x in client.get(reverse("activity_list") + query).context["page"].object_list}

    assert pks("") == {a.pk, b.pk, c.pk}
    assert pks("?org=G1") == {c.pk}
    assert pks("?org=B1") == {a.pk, b.pk, c.pk}
    assert pks("?org=B2") == set()
    assert pks("?kind=branch_assembly") == {b.pk}
    assert pks("?status=held") == {b.pk}
    assert pks(f"?month={last_month:%Y-%m}") == {b.pk}
    assert pks("?late=1") == {b.pk}
    response = client.get(reverse("activity_list") + "?month=2025-13")
    assert "格式应为" in response.content.decode() and not response.context["page"].object_list
    response = client.get(reverse("activity_list") + "?org=NOPE")
    assert "未找到组织“NOPE”" in response.content.decode()
    partial = client.get(reverse("activity_list") + "?kind=group_meeting", HTTP_HX_REQUEST="true",
                         HTTP_HX_TARGET="activity-results")
    assert "<html" not in partial.content.decode() and "小组会" in partial.content.decode()


def test_empty_list_offers_to_plan(world, client):
    client.force_login(world.sec1)
    body = client.get(reverse("activity_list")).content.decode()
    assert "还没有活动记录" in body and reverse("activity_create") in body
    client.force_login(world.member1)
    assert "计划一次活动" not in client.get(reverse("activity_list")).content.decode()


def test_list_query_count_is_constant(world, branch_people, client, django_assert_max_num_queries):
    """session, user, role grants, count, page, one attendance aggregate (+ the ?org lookup)."""
    for i in range(2):
        plan(world, title=f"会议{i}")
    client.force_login(world.sec1)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("activity_list"))
    assert response.context["page"].paginator.count == 2
    kinds = [ActivityKind.COMMITTEE_MEETING, ActivityKind.BRANCH_ASSEMBLY, ActivityKind.THEME_DAY]
    for i in range(18):
        plan(world, kinds[i % 3], title=f"活动{i}", org=world.b1)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("activity_list"))
    assert response.context["page"].paginator.count == 20
    with django_assert_max_num_queries(7):
        client.get(reverse("activity_list") + "?org=B1&kind=theme_day&status=planned&month=2025-09&late=1")


# --- planning -------------------------------------------------------------------------------------


def test_create_chooser_then_prefilled_form(world, client):
    client.force_login(world.sec1)
    body = client.get(reverse("activity_create")).content.decode()
    assert "活动类型" in body and "支部委员会" in body and "党小组会" in body
    # A 支部书记 has one branch: choosing the kind is enough.
    response = client.get(reverse("activity_create") + "?kind=committee_meeting&date=2025-09-10")
    body = response.content.decode()
    assert response.status_code == 200 and response.context["org"] == world.b1
    form = response.context["form"]
    assert form["title"].value() == "2025年9月支部委员会"
    assert str(form["day"].value()) == "2025-09-10"
    assert "1. 确定议题" in form["agenda"].value()
    assert 'placeholder="每月固定时间召开，提前3天通知委员"' in body
    assert "lecturer" not in form.fields  # a 支委会 needs a host and a recorder, no lecturer
    assert {m.name for m in form.fields["host"].queryset} == {"张书记", "李党员"}
    assert form["host"].value() == world.sec_member.pk  # the branch's 书记 presides by default


def test_create_refuses_an_org_that_does_not_hold_that_kind(world, client):
    client.force_login(world.sec1)
    body = client.get(reverse("activity_create") + "?kind=group_meeting&org=B1").content.decode()
    assert "党小组会应由党小组开展，“装卸一队党支部”是党支部" in body
    response = client.get(reverse("activity_create") + "?kind=group_meeting")
    assert response.context["org"] == world.g1  # the only 党小组 in scope
    assert client.get(reverse("activity_create") + "?kind=committee_meeting&org=B2").status_code == 404


def post_data(**over):
    data = {"title": "九月支委会", "day": "2099-09-10", "start_time": "15:00", "end_time": "16:30",
            "place": "党员活动室", "host": "", "recorder": "", "agenda": "1. 研究发展党员", "record_as": "planned",
            "five_content": "研究发展对象"}
    return data | over


def test_create_plans_it(world, client):
    client.force_login(world.sec1)
    url = reverse("activity_create") + "?kind=committee_meeting&org=B1"
    response = client.post(url, post_data(host=world.sec_member.pk))
    activity = Activity.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("activity_detail", args=[activity.pk])
    assert activity.status == ActivityStatus.PLANNED and activity.host == world.sec_member
    assert activity.five_ding == {"content": "研究发展对象"} and activity.agenda == "1. 研究发展党员"
    assert timezone.localtime(activity.starts_at).strftime("%Y-%m-%d %H:%M") == "2099-09-10 15:00"
    assert Attendance.objects.filter(activity=activity).count() == 1


def test_create_errors_are_chinese_and_on_the_fields(world, client):
    client.force_login(world.sec1)
    url = reverse("activity_create") + "?kind=committee_meeting&org=B1"
    response = client.post(url, post_data(title="", end_time="14:00"))
    form = response.context["form"]
    assert form.errors["title"] == ["这个字段是必填项。"]
    assert form.errors["end_time"] == ["结束时间早于开始时间"]
    response = client.post(url, post_data(record_as="held"))
    assert response.context["form"].errors["record_as"] == ["活动时间在将来，不能记为已召开"]
    response = client.post(url, post_data(host=world.b2_member.pk))
    assert "host" in response.context["form"].errors
    assert not Activity.objects.exists()


def test_a_past_meeting_recorded_as_held_is_marked_late(world, client):
    client.force_login(world.sec1)
    day = timezone.localdate() - dt.timedelta(days=services.late_entry_days() + 2)
    response = client.post(reverse("activity_create") + "?kind=committee_meeting&org=B1",
                           post_data(day=f"{day:%Y-%m-%d}", record_as="held"), follow=True)
    activity = Activity.objects.get()
    assert activity.status == ActivityStatus.HELD and activity.late_entry
    assert "已标为补录" in response.content.decode()


# --- the record page ------------------------------------------------------------------------------


def test_detail_shows_template_hints_steps_and_lifecycle(world, committee_meeting, client):
    client.force_login(world.sec1)
    body = client.get(reverse("activity_detail", args=[committee_meeting.pk])).content.decode()
    assert "九月支委会" in body and "计划" in body and "标准模板 2018.1" in body
    assert "模板要求：每月固定时间召开，提前3天通知委员" in body
    assert "确定议题" in body and "表决形成决议" in body
    assert "发出通知" in body and reverse("activity_record_docx", args=[committee_meeting.pk]) in body
    # the audit link is for administrators
    assert "修改记录" not in body
    client.force_login(world.orgadmin)
    body = client.get(reverse("activity_detail", args=[committee_meeting.pk])).content.decode()
    assert f"{reverse('audit_list')}?type=activity&amp;object={committee_meeting.pk}" in body


def test_lifecycle_from_the_page(world, committee_meeting, client):
    client.force_login(world.sec1)
    detail = reverse("activity_detail", args=[committee_meeting.pk])
    advance = reverse("activity_advance", args=[committee_meeting.pk])
    response = client.post(advance, {"to": "held"}, follow=True)
    assert "不能从“计划”变为“已召开”" in response.content.decode()
    client.post(advance, {"to": "notified"})
    client.post(advance, {"to": "held"})
    body = client.get(detail).content.decode()
    assert "须先填写并保存会议记录，才能归档" in body and "disabled" in body
    response = client.post(advance, {"to": "archived"}, follow=True)
    assert "归档前须填写会议记录" in response.content.decode()

    steps = ["确定议题", "会前通知", "签到"]
    response = client.post(detail, {"section": "record", "minutes": "一、研究发展对象。", "agenda": "研究发展党员",
                                    "steps_done": steps, "five_time": "9月10日15时", "five_content": ""})
    assert response.status_code == 302
    committee_meeting.refresh_from_db()
    assert committee_meeting.steps_done == steps and committee_meeting.five_ding == {"time": "9月10日15时"}
    response = client.post(advance, {"to": "archived"}, follow=True)
    assert "状态已改为“已归档”" in response.content.decode()
    committee_meeting.refresh_from_db()
    assert committee_meeting.status == ActivityStatus.ARCHIVED

    # archived: read-only everywhere
    body = client.get(detail).content.decode()
    assert "已归档，记录只读" in body and 'name="section" value="record"' not in body and "保存出勤" not in body
    assert client.get(reverse("activity_edit", args=[committee_meeting.pk])).status_code == 302
    response = client.post(detail, {"section": "record", "minutes": "改"})
    assert response.status_code == 400 and "已归档的记录不能再修改" in response.content.decode()
    committee_meeting.refresh_from_db()
    assert committee_meeting.minutes == "一、研究发展对象。"


def test_unknown_step_is_refused(world, committee_meeting, client):
    client.force_login(world.sec1)
    response = client.post(reverse("activity_detail", args=[committee_meeting.pk]),
                           {"section": "record", "steps_done": ["不存在的步骤"]})
    assert response.status_code == 400
    committee_meeting.refresh_from_db()
    assert committee_meeting.steps_done == []


def test_attendance_table_saves_and_shows_errors(world, branch_people, client):
    w = branch_people
    activity = plan(w, ActivityKind.BRANCH_ASSEMBLY, title="党员大会")
    client.force_login(w.sec1)
    url = reverse("activity_attendance", args=[activity.pk])
    response = client.post(url, {"member": [w.sec_member.pk, w.member.pk], f"status_{w.sec_member.pk}": "present",
                                 f"status_{w.member.pk}": "leave", f"reason_{w.member.pk}": ""},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "李党员：请假须说明原因" in response.content.decode()
    assert not Attendance.objects.filter(activity=activity, status="present").exists()

    response = client.post(url, {"member": [w.sec_member.pk, w.member.pk], f"status_{w.sec_member.pk}": "present",
                                 f"status_{w.member.pk}": "leave", f"reason_{w.member.pk}": "出差"},
                           HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "出勤已保存" in body and "<html" not in body
    assert Attendance.objects.get(activity=activity, member=w.member).reason == "出差"


def test_guest_picker_and_adding_a_guest(world, committee_meeting, client):
    client.force_login(world.sec1)
    url = reverse("activity_attendance", args=[committee_meeting.pk])
    body = client.get(url + "?guest_q=李", HTTP_HX_REQUEST="true").content.decode()
    assert "李党员" in body
    # the outsider's branch member is outside sec1's scope
    assert "王机关" not in client.get(url + "?guest_q=王", HTTP_HX_REQUEST="true").content.decode()
    response = client.post(url, {"add_guest": world.b2_member.pk}, HTTP_HX_REQUEST="true")
    assert "不在您的权限范围内" in response.content.decode()
    response = client.post(url, {"add_guest": world.member.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "列席" in response.content.decode()
    assert Attendance.objects.get(activity=committee_meeting, member=world.member).status == "present"


def test_own_leave_request_shows(world, yesterday_3pm, client):
    activity = plan(world, ActivityKind.BRANCH_ASSEMBLY, starts_at=yesterday_3pm + dt.timedelta(days=3))
    Attendance.objects.filter(activity=activity, member=world.member).update(
        status="leave", reason="夜班", requested_by_member=True)
    client.force_login(world.sec1)
    body = client.get(reverse("activity_detail", args=[activity.pk])).content.decode()
    assert "本人请假" in body and "夜班" in body
    client.force_login(world.member1)  # a member sees the table read-only, and only their own reason
    Attendance.objects.filter(activity=activity, member=world.sec_member).update(status="leave", reason="住院")
    body = client.get(reverse("activity_detail", args=[activity.pk])).content.decode()
    assert "夜班" in body and "住院" not in body and "保存出勤" not in body


def test_appraisal_page(world, branch_people, client):
    w = branch_people
    activity = plan(w, ActivityKind.MEMBER_APPRAISAL, title="民主评议党员")
    client.force_login(w.sec1)
    detail = reverse("activity_detail", args=[activity.pk])
    assert "优秀”不超过参评党员的三分之一" in client.get(detail).content.decode()
    people = [w.sec_member, w.member, w.full_a, w.full_b]
    data = {"section": "appraisal", "member": [p.pk for p in people]}
    data |= {f"grade_{p.pk}": "优秀" if i < 2 else "合格" for i, p in enumerate(people)}
    response = client.post(detail, data)
    body = response.content.decode()
    assert response.status_code == 400 and "参评4人，最多1人评为优秀，现为2人" in body
    assert not Appraisal.objects.exists()
    data[f"grade_{w.member.pk}"] = "合格"
    assert client.post(detail, data).status_code == 302
    assert Appraisal.objects.filter(activity=activity, grade="优秀").count() == 1


def test_follow_up_page(world, client):
    activity = plan(world, ActivityKind.LIFE_MEETING, title="组织生活会")
    client.force_login(world.sec1)
    detail = reverse("activity_detail", args=[activity.pk])
    body = client.get(detail).content.decode()
    assert "整改清单" in body and 'name="fu_count" value="2"' in body
    due = f"{timezone.localdate() + dt.timedelta(days=30):%Y-%m-%d}"
    response = client.post(detail, {"section": "follow_up", "fu_count": "2",
                                    "fu-0-id": "", "fu-0-content": "理论学习不够系统", "fu-0-owner": world.member.pk,
                                    "fu-0-due": due, "fu-1-id": "", "fu-1-content": ""})
    assert response.status_code == 302
    item = FollowUpItem.objects.get()
    assert item.owner == world.member and str(item.due_on) == due
    response = client.post(detail, {"section": "follow_up", "fu_count": "1", "fu-0-id": item.pk,
                                    "fu-0-content": "理论学习不够系统", "fu-0-due": "明天"})
    assert response.status_code == 400 and "不是有效日期" in response.content.decode()


def test_edit_page(world, committee_meeting, client):
    client.force_login(world.sec1)
    url = reverse("activity_edit", args=[committee_meeting.pk])
    form = client.get(url).context["form"]
    assert form["title"].value() == "九月支委会" and form["place"].value() == "党员活动室"
    response = client.post(url, {"title": "十月支委会", "day": "2099-10-08", "start_time": "09:30",
                                 "place": "三楼会议室", "online": "on", "host": world.sec_member.pk})
    assert response.status_code == 302
    committee_meeting.refresh_from_db()
    assert committee_meeting.title == "十月支委会" and committee_meeting.online
    assert timezone.localtime(committee_meeting.starts_at).strftime("%m-%d %H:%M") == "10-08 09:30"
    response = client.post(url, {"title": "", "day": "2099-10-08", "start_time": "09:30"})
    assert response.status_code == 200 and response.context["form"].errors["title"]


def test_member_sees_a_leave_link_and_only_their_own_grade(world, branch_people, client):
    w = branch_people
    upcoming = plan(w, ActivityKind.BRANCH_ASSEMBLY, starts_at=local_dt(timezone.localdate() + dt.timedelta(days=3)))
    client.force_login(w.member1)
    body = client.get(reverse("activity_detail", args=[upcoming.pk])).content.decode()
    assert reverse("leave_request", args=[upcoming.pk]) in body
    appraisal = plan(w, ActivityKind.MEMBER_APPRAISAL, title="民主评议党员")
    Appraisal.objects.create(activity=appraisal, member=w.member, grade="合格")
    Appraisal.objects.create(activity=appraisal, member=w.sec_member, grade="优秀")
    response = client.get(reverse("activity_detail", args=[appraisal.pk]))
    rows = response.context["appraisal_rows"]
    assert [(r["name"], r["grade"]) for r in rows] == [("李党员", "合格")]
    assert reverse("leave_request", args=[appraisal.pk]) not in response.content.decode()  # already past
