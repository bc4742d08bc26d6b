"""The branch secretary's month: access by role, what it shows, one-click planning, constant queries."""

import datetime as dt
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import make_id
from dangjian.meetings import selectors, services, worktemplates
from dangjian.meetings.models import ActivityKind, ActivityStatus, AttendanceStatus
from dangjian.meetings.views.month import parse_month
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Category

# The standard templates for these tests: the two YAML files that every checkout has, and stand-ins for the
# other kinds (so that the tests do not depend on the exact content of files being written elsewhere).
STAND_INS = {
    "group_meeting": ("month", 1, ["group"], "group_members", None),
    "party_lecture": ("quarter", 1, ["branch", "group"], "party_members", None),
    "theme_day": ("month", 1, ["branch"], "party_members", None),
    "life_meeting": ("year", 1, ["branch"], "party_members", None),
    "member_appraisal": ("year", 1, ["branch"], "full_members", None),
    "heart_talk": ("none", 0, ["branch"], "none", None),
    "topic_study": ("none", 0, ["branch", "group"], "party_members", None),
    "volunteer": ("none", 0, ["branch", "group"], "none", None),
    "campaign": ("none", 0, ["branch"], "party_members", None),
    "recruitment_meeting": ("none", 0, ["branch"], "full_members", {"rule": "more_than_half", "of": "voting"}),
    "other": ("none", 0, ["branch", "group"], "none", None),
}


def standard_templates() -> dict:
    data = {kind: worktemplates.load_file(worktemplates.TEMPLATE_DIR / f"{kind}.yaml")
            for kind in ("branch_assembly", "committee_meeting")}
    for kind, (period, times, holder, expected, quorum) in STAND_INS.items():
        data[kind] = worktemplates.validate_template({
            "kind": kind, "name": ActivityKind(kind).label, "version": "测试", "holder": holder, "expected": expected,
            "frequency": {"period": period, "times": times}, "steps": [{"title": "开展活动"}], "roles": ["host"],
            "quorum": quorum, "tags": [],
        }, f"{kind}.yaml")
    return data


@pytest.fixture
def templates(monkeypatch):
    data = standard_templates()
    monkeypatch.setattr(worktemplates, "default_templates", lambda: data)
    return data


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def make(world, kind, day, status=ActivityStatus.PLANNED, org=None, hour=9):
    return services.activity_create(actor=None, org=org or world.b1, kind=kind, title=f"{ActivityKind(kind).label}（测试）",
                                    starts_at=at(day, hour), status=status)


def mark(activity, present=(), leave=()):
    marks = {m.pk: (AttendanceStatus.PRESENT, "") for m in present}
    marks |= {m.pk: (AttendanceStatus.LEAVE, "出差") for m in leave}
    services.attendance_save(actor=None, activity=activity, marks=marks)


@pytest.fixture
def committee(world):
    """B1 gets a committee of three: the secretary and two more."""
    extra = [org_services.member_create(actor=None, id_number=make_id("19850101", 40 + i), name=name,
                                        category=Category.FULL, branch=world.b1, posts=[post])
             for i, (name, post) in enumerate([("赵组织", "组织委员"), ("钱宣传", "宣传委员")])]
    return [world.sec_member, *extra]


def month_param(day: dt.date) -> str:
    return f"{day.year}-{day.month:02d}"


def rows_of(response) -> dict[tuple[str, str], dict]:
    """The requirement rows on the page, by (kind, unit code)."""
    return {(row["req"].kind, row["req"].unit.code): row for p in response.context["periods"] for row in p["rows"]}


# --- access -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["admin", "orgadmin", "zz_admin", "sec1"])
def test_officers_see_the_branch_month(world, templates, login, who):
    response = login(getattr(world, who)).get(reverse("work_month"), {"org": "B1"})
    assert response.status_code == 200
    assert response.context["org"] == world.b1
    assert "应开展的工作" in response.content.decode()


def test_branch_secretary_gets_their_branch_by_default(world, templates, login):
    response = login(world.sec1).get(reverse("work_month"))
    assert response.context["org"] == world.b1
    assert response.context["show_org_filter"] is False
    assert (response.context["year"], response.context["month"]) == (timezone.localdate().year,
                                                                      timezone.localdate().month)


def test_org_admin_gets_the_first_branch_and_the_filter(world, templates, login):
    response = login(world.orgadmin).get(reverse("work_month"))
    assert response.context["org"] == world.b1
    body = response.content.decode()
    assert 'name="org"' in body and reverse("org_suggest") + "?kind=branch" in body


def test_plain_member_is_sent_to_their_own_activities(world, templates, login):
    response = login(world.member1).get(reverse("work_month"))
    assert response.status_code == 302 and response.url == reverse("my_activities")


def test_outsider_gets_404_for_another_branch(world, templates, login):
    client = login(world.outsider)
    assert client.get(reverse("work_month"), {"org": "B1"}).status_code == 404
    assert client.get(reverse("work_month"), {"org": "G1"}).status_code == 404
    assert client.get(reverse("work_month")).context["org"] == world.b2


def test_unknown_org_is_404(world, templates, login):
    assert login(world.admin).get(reverse("work_month"), {"org": "NOPE"}).status_code == 404


def test_group_code_shows_its_branch(world, templates, login):
    assert login(world.sec1).get(reverse("work_month"), {"org": "G1"}).context["org"] == world.b1


def test_choosing_a_general_branch_offers_its_branches(world, templates, login):
    response = login(world.orgadmin).get(reverse("work_month"), {"org": "ZZ", "month": "2026-11"})
    assert response.status_code == 200
    assert response.context["branches"] == [world.b1]
    assert f"{reverse('work_month')}?org=B1&amp;month=2026-11" in response.content.decode()


def test_invalid_month_falls_back_with_a_message(world, templates, login):
    response = login(world.sec1).get(reverse("work_month"), {"month": "2026-13"})
    assert response.status_code == 200
    assert "月份“2026-13”无效" in response.content.decode()
    today = timezone.localdate()
    assert parse_month("2026-13", today) == (today.year, today.month, False)
    assert parse_month("2026-3", today) == (2026, 3, True)
    assert parse_month("", today) == (today.year, today.month, True)


def test_month_navigation_crosses_years(world, templates, login):
    response = login(world.sec1).get(reverse("work_month"), {"org": "B1", "month": "2026-01"})
    assert "month=2025-12" in response.context["prev_url"] and "org=B1" in response.context["prev_url"]
    assert "month=2026-02" in response.context["next_url"]
    assert response.context["month_label"] == "2026年1月"


# --- what it shows ------------------------------------------------------------------------------------------

def test_requirements_with_colours_counts_and_plan_links(world, templates, login, committee):
    today = timezone.localdate()
    good = make(world, "committee_meeting", today, ActivityStatus.HELD)
    mark(good, present=committee[:2])  # 2 of 3: more than half
    make(world, "group_meeting", today, ActivityStatus.NOTIFIED, org=world.g1)
    response = login(world.sec1).get(reverse("work_month"), {"org": "B1", "month": month_param(today)})
    rows = rows_of(response)
    assert rows[("committee_meeting", "B1")]["req"].colour == "green"
    assert rows[("committee_meeting", "B1")]["activities"][0]["id"] == good.pk
    group_row = rows[("group_meeting", "G1")]["req"]
    assert (group_row.planned, group_row.colour, group_row.is_group) == (1, "amber", True)
    theme = rows[("theme_day", "B1")]
    assert theme["req"].colour == "red"  # this month, nothing planned
    url = urlparse(theme["plan_url"])
    assert url.path == reverse("activity_create")
    expected_day = today + dt.timedelta(days=1) if today.day < theme["req"].period.end.day else today
    assert parse_qs(url.query) == {"kind": ["theme_day"], "org": ["B1"], "date": [expected_day.isoformat()]}
    body = response.content.decode()
    assert theme["plan_url"].replace("&", "&amp;") in body
    assert reverse("activity_detail", args=[good.pk]) in body
    assert ("branch_assembly", "B1") in rows and ("life_meeting", "B1") in rows  # quarter and year
    assert ("heart_talk", "B1") not in rows  # no fixed frequency


def test_committee_meeting_failing_quorum_does_not_count(world, templates, login, committee):
    today = timezone.localdate()
    thin = make(world, "committee_meeting", today, ActivityStatus.HELD)
    mark(thin, present=committee[:1], leave=committee[1:])
    response = login(world.sec1).get(reverse("work_month"), {"org": "B1", "month": month_param(today)})
    req = rows_of(response)[("committee_meeting", "B1")]["req"]
    assert (req.held, req.failed_quorum, req.colour) == (0, 1, "red")
    assert selectors.activity_quorum(thin)[0].met is False


def test_branch_without_committee_is_not_asked_for_committee_meetings(world, templates, login):
    response = login(world.sec1).get(reverse("work_month"), {"org": "B1"})
    assert ("committee_meeting", "B1") not in rows_of(response)
    assert "支部委员会：本支部委员不足3人" in response.content.decode()


def test_voting_quorum_counts_only_full_members(world, templates, login, committee):
    """支部党员大会: 应到 5 (4 full + 1 probationary); 2 full + the probationary present is not a quorum."""
    probationary = org_services.member_create(
        actor=None, id_number=make_id("20000101", 51), name="孙预备", category=Category.PROBATIONARY, branch=world.b1,
        admitted_on=dt.date(2025, 7, 1))
    today = timezone.localdate()
    assembly = make(world, "branch_assembly", today, ActivityStatus.HELD)
    mark(assembly, present=[world.sec_member, world.member, probationary])
    client = login(world.sec1)
    req = rows_of(client.get(reverse("work_month"), {"org": "B1"}))[("branch_assembly", "B1")]["req"]
    assert (req.held, req.failed_quorum) == (0, 1)
    assert selectors.activity_quorum(assembly)[0].met is False  # the page and the detail agree
    mark(assembly, present=[committee[1]])
    req = rows_of(client.get(reverse("work_month"), {"org": "B1"}))[("branch_assembly", "B1")]["req"]
    assert (req.held, req.colour) == (1, "green")
    assert selectors.activity_quorum(assembly)[0].met is True


def test_calendar_grid_places_activities_on_their_days(world, templates, login):
    day = dt.date(2026, 3, 18)
    a = make(world, "theme_day", day, hour=14)
    other_month = make(world, "theme_day", dt.date(2026, 4, 2))
    response = login(world.sec1).get(reverse("work_month"), {"org": "B1", "month": "2026-03"})
    cells = {cell["day"]: cell for week in response.context["weeks"] for cell in week}
    assert [i["id"] for i in cells[day]["items"]] == [a.pk]
    assert cells[day]["items"][0]["time"] == "14:00"
    assert all(not c["items"] for d, c in cells.items() if d != day)
    assert other_month.pk not in [i["id"] for d in response.context["days_with_items"] for i in d["items"]]
    assert response.context["month_activity_count"] == 1


# --- queries -----------------------------------------------------------------------------------------------

def _activities(world, committee, n):
    today = timezone.localdate()
    kinds = ["committee_meeting", "branch_assembly", "theme_day", "group_meeting", "party_lecture"]
    first = today.replace(day=1)
    for i in range(n):
        kind = kinds[i % len(kinds)]
        day = first + dt.timedelta(days=i % 28)
        a = make(world, kind, day, ActivityStatus.HELD if i % 2 else ActivityStatus.PLANNED,
                 org=world.g1 if kind == "group_meeting" else world.b1)
        if i % 2:
            mark(a, present=committee[:2])


def _count(client, world) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("work_month"), {"org": "B1"}).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_activities(world, templates, login, committee,
                                                   django_assert_max_num_queries):
    client = login(world.orgadmin)
    _activities(world, committee, 2)
    few = _count(client, world)
    _activities(world, committee, 18)
    with django_assert_max_num_queries(few):
        response = client.get(reverse("work_month"), {"org": "B1"})
    assert response.context["month_activity_count"] == 20
    assert few <= 16
