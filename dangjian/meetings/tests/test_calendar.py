"""The pure "what is due this month" computation, on hand-made facts (no database)."""

import datetime as dt
import itertools

import pytest

from dangjian.meetings import calendar as cal
from dangjian.meetings.calendar import ActivityFact, Unit, month_plan, period_of
from dangjian.meetings.worktemplates import WorkTemplate

BRANCH = Unit(1, "装卸一队党支部", "B1")
G1, G2 = Unit(11, "第一党小组", "G1"), Unit(12, "第二党小组", "G2")
_ids = itertools.count(100)


def tpl(kind, period, times=1, holder=("branch",), expected="party_members", quorum=None, name=None):
    return WorkTemplate(kind=kind, ref="测试", content={
        "kind": kind, "name": name or kind, "holder": list(holder), "expected": expected,
        "frequency": {"period": period, "times": times}, "quorum": quorum})


COMMITTEE = tpl("committee_meeting", "month", expected="committee", name="支部委员会",
                quorum={"rule": "more_than_half", "of": "expected"})
ASSEMBLY = tpl("branch_assembly", "quarter", name="支部党员大会", quorum={"rule": "more_than_half", "of": "voting"})
GROUP_MEETING = tpl("group_meeting", "month", holder=("group",), expected="group_members", name="党小组会")
LECTURE = tpl("party_lecture", "quarter", holder=("branch", "group"), name="党课")
THEME_DAY = tpl("theme_day", "month", name="主题党日")
LIFE = tpl("life_meeting", "year", name="组织生活会")
HALF = tpl("topic_study", "half_year", times=2, name="专题学习")
OTHER = tpl("other", "none", times=0, name="其他")


def fact(kind, day, status="held", org=BRANCH, quorum_met=None):
    return ActivityFact(id=next(_ids), kind=kind, org_id=org.id, day=day, status=status, quorum_met=quorum_met)


def plan(templates, year, month, today, facts=(), groups=(), committee_size=5):
    return month_plan(templates={t.kind: t for t in templates}, branch=BRANCH, groups=list(groups),
                      committee_size=committee_size, year=year, month=month, today=today, facts=facts)


def only(p, kind, unit=BRANCH):
    rows = [r for r in p.rows if r.kind == kind and r.unit == unit]
    assert len(rows) == 1, rows
    return rows[0]


# --- periods -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "month", "start", "end", "label"), [
    ("month", 11, dt.date(2026, 11, 1), dt.date(2026, 11, 30), "2026年11月"),
    ("quarter", 11, dt.date(2026, 10, 1), dt.date(2026, 12, 31), "2026年第四季度"),
    ("quarter", 2, dt.date(2026, 1, 1), dt.date(2026, 3, 31), "2026年第一季度"),
    ("half_year", 6, dt.date(2026, 1, 1), dt.date(2026, 6, 30), "2026年上半年"),
    ("half_year", 7, dt.date(2026, 7, 1), dt.date(2026, 12, 31), "2026年下半年"),
    ("year", 3, dt.date(2026, 1, 1), dt.date(2026, 12, 31), "2026年"),
])
def test_period_of(kind, month, start, end, label):
    p = period_of(kind, 2026, month)
    assert (p.start, p.end, p.label) == (start, end, label)


def test_month_helpers():
    assert period_of("month", 2028, 2).end == dt.date(2028, 2, 29)
    assert cal.shift_month(2026, 1, -1) == (2025, 12)
    assert cal.shift_month(2026, 12, 1) == (2027, 1)
    weeks = cal.month_weeks(2026, 11)
    assert weeks[0][0] == dt.date(2026, 10, 26) and weeks[0][0].weekday() == 0  # Monday first
    assert weeks[-1][-1] == dt.date(2026, 12, 6)


# --- a monthly requirement ---------------------------------------------------------------------------------

def test_monthly_met_is_green():
    p = plan([THEME_DAY], 2026, 11, dt.date(2026, 11, 20), [fact("theme_day", dt.date(2026, 11, 5))])
    r = only(p, "theme_day")
    assert (r.required, r.held, r.planned, r.colour, r.status_text) == (1, 1, 0, "green", "已完成")


def test_monthly_archived_counts_as_held():
    p = plan([THEME_DAY], 2026, 11, dt.date(2026, 11, 20), [fact("theme_day", dt.date(2026, 11, 5), "archived")])
    assert only(p, "theme_day").colour == "green"


def test_monthly_planned_is_amber_not_green():
    p = plan([THEME_DAY], 2026, 11, dt.date(2026, 11, 2), [fact("theme_day", dt.date(2026, 11, 25), "notified")])
    r = only(p, "theme_day")
    assert (r.held, r.planned, r.colour, r.status_text) == (0, 1, "amber", "已安排")


def test_monthly_current_month_with_nothing_planned_is_red():
    """Its period ends this month and nothing is planned: the last chance has come."""
    r = only(plan([THEME_DAY], 2026, 11, dt.date(2026, 11, 1)), "theme_day")
    assert (r.colour, r.status_text, r.action_label) == ("red", "须尽快安排", "安排")


def test_monthly_future_month_is_amber():
    r = only(plan([THEME_DAY], 2026, 12, dt.date(2026, 11, 20)), "theme_day")
    assert (r.colour, r.status_text) == ("amber", "待安排")


def test_monthly_past_month_missing_is_red_and_offers_late_entry():
    r = only(plan([THEME_DAY], 2026, 10, dt.date(2026, 11, 1)), "theme_day")
    assert (r.colour, r.status_text, r.action_label) == ("red", "已逾期", "补录")
    assert r.suggest_on == dt.date(2026, 10, 31)


def test_monthly_past_month_planned_but_never_held_is_red():
    p = plan([THEME_DAY], 2026, 10, dt.date(2026, 11, 1), [fact("theme_day", dt.date(2026, 10, 20), "planned")])
    r = only(p, "theme_day")
    assert (r.colour, r.planned, r.overdue) == ("red", 1, 1)
    assert "1次已过计划日期尚未记录" in r.note


def test_activities_outside_the_period_or_of_other_kinds_do_not_count():
    facts = [fact("theme_day", dt.date(2026, 10, 31)), fact("theme_day", dt.date(2026, 12, 1)),
             fact("party_lecture", dt.date(2026, 11, 5))]
    r = only(plan([THEME_DAY], 2026, 11, dt.date(2026, 11, 20), facts), "theme_day")
    assert (r.held, r.planned) == (0, 0)


def test_times_above_one_needs_that_many():
    facts = [fact("topic_study", dt.date(2026, 8, 1))]
    r = only(plan([HALF], 2026, 9, dt.date(2026, 9, 10), facts), "topic_study")
    assert (r.period.label, r.required, r.held, r.colour) == ("2026年下半年", 2, 1, "amber")
    facts.append(fact("topic_study", dt.date(2026, 12, 1)))
    assert only(plan([HALF], 2026, 9, dt.date(2026, 9, 10), facts), "topic_study").colour == "green"


# --- quorum --------------------------------------------------------------------------------------------

def test_held_meeting_that_failed_its_quorum_does_not_count():
    facts = [fact("committee_meeting", dt.date(2026, 11, 3), quorum_met=False)]
    r = only(plan([COMMITTEE], 2026, 11, dt.date(2026, 11, 20), facts), "committee_meeting")
    assert (r.held, r.failed_quorum, r.colour) == (0, 1, "red")
    assert "1次未达到到会人数要求" in r.note


def test_held_meeting_with_quorum_met_counts():
    facts = [fact("committee_meeting", dt.date(2026, 11, 3), quorum_met=False),
             fact("committee_meeting", dt.date(2026, 11, 17), quorum_met=True)]
    r = only(plan([COMMITTEE], 2026, 11, dt.date(2026, 11, 20), facts), "committee_meeting")
    assert (r.held, r.failed_quorum, r.colour) == (1, 1, "green")


def test_quorum_unknown_on_a_template_with_a_rule_does_not_count():
    facts = [fact("committee_meeting", dt.date(2026, 11, 3), quorum_met=None)]
    r = only(plan([COMMITTEE], 2026, 11, dt.date(2026, 11, 20), facts), "committee_meeting")
    assert (r.held, r.failed_quorum) == (0, 1)


def test_quorum_ignored_where_the_template_has_no_rule():
    facts = [fact("theme_day", dt.date(2026, 11, 3), quorum_met=None)]
    assert only(plan([THEME_DAY], 2026, 11, dt.date(2026, 11, 20), facts), "theme_day").colour == "green"


# --- a quarterly requirement in its first and last month ---------------------------------------------------

def test_quarterly_first_month_nothing_planned_is_amber():
    r = only(plan([ASSEMBLY], 2026, 10, dt.date(2026, 10, 15)), "branch_assembly")
    assert (r.period.label, r.colour) == ("2026年第四季度", "amber")
    assert r.suggest_on == dt.date(2026, 10, 16)  # tomorrow


def test_quarterly_last_month_nothing_planned_is_red():
    r = only(plan([ASSEMBLY], 2026, 12, dt.date(2026, 12, 1)), "branch_assembly")
    assert r.colour == "red"


def test_quarterly_last_month_planned_is_amber():
    facts = [fact("branch_assembly", dt.date(2026, 12, 18), "planned")]
    assert only(plan([ASSEMBLY], 2026, 12, dt.date(2026, 12, 1), facts), "branch_assembly").colour == "amber"


def test_quarterly_colour_does_not_depend_on_the_viewed_month():
    today = dt.date(2026, 12, 1)
    assert only(plan([ASSEMBLY], 2026, 10, today), "branch_assembly").colour == "red"
    facts = [fact("branch_assembly", dt.date(2026, 10, 9), quorum_met=True)]
    assert only(plan([ASSEMBLY], 2026, 12, today, facts), "branch_assembly").colour == "green"


def test_quarterly_ended_is_red_from_the_next_day():
    assert only(plan([ASSEMBLY], 2026, 9, dt.date(2026, 9, 30)), "branch_assembly").colour == "red"  # last month
    facts = [fact("branch_assembly", dt.date(2026, 9, 30), "notified")]
    assert only(plan([ASSEMBLY], 2026, 9, dt.date(2026, 9, 30), facts), "branch_assembly").colour == "amber"
    assert only(plan([ASSEMBLY], 2026, 9, dt.date(2026, 10, 1), facts), "branch_assembly").colour == "red"


def test_suggested_date_stays_in_the_period_and_not_before_today():
    r = only(plan([ASSEMBLY], 2026, 12, dt.date(2026, 10, 20)), "branch_assembly")  # viewing a later month
    assert r.suggest_on == dt.date(2026, 12, 1)
    r = only(plan([ASSEMBLY], 2026, 11, dt.date(2026, 11, 20)), "branch_assembly")
    assert r.suggest_on == dt.date(2026, 11, 21)
    r = only(plan([ASSEMBLY], 2026, 12, dt.date(2026, 12, 31)), "branch_assembly")  # the period's last day
    assert r.suggest_on == dt.date(2026, 12, 31)
    r = only(plan([THEME_DAY], 2026, 10, dt.date(2026, 10, 31)), "theme_day")
    assert r.suggest_on == dt.date(2026, 10, 31)


# --- the year's 组织生活会 -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("today", "facts", "colour"), [
    (dt.date(2026, 11, 30), [], "amber"),  # time remains
    (dt.date(2026, 12, 1), [], "red"),  # the last month has come and nothing is planned
    (dt.date(2026, 12, 1), [("planned", dt.date(2026, 12, 20))], "amber"),
    (dt.date(2026, 12, 31), [("planned", dt.date(2026, 12, 20))], "amber"),  # planned, overdue, year not over
    (dt.date(2027, 1, 1), [("planned", dt.date(2026, 12, 20))], "red"),  # the year ended without it
    (dt.date(2027, 1, 1), [("held", dt.date(2026, 12, 20))], "green"),
])
def test_yearly_life_meeting(today, facts, colour):
    p = plan([LIFE], 2026, 12 if today.year == 2027 else today.month, today,
             [fact("life_meeting", day, status) for status, day in facts])
    r = only(p, "life_meeting")
    assert r.period.label == "2026年"
    assert r.colour == colour


# --- who must hold what ------------------------------------------------------------------------------------

def test_group_meetings_give_one_row_per_group():
    facts = [fact("group_meeting", dt.date(2026, 11, 4), org=G1)]
    p = plan([GROUP_MEETING], 2026, 11, dt.date(2026, 11, 20), facts, groups=[G1, G2])
    assert only(p, "group_meeting", G1).colour == "green"
    assert only(p, "group_meeting", G2).colour == "red"
    assert all(r.is_group for r in p.rows)
    assert not [r for r in p.rows if r.unit == BRANCH]


def test_a_branch_meeting_of_the_group_kind_does_not_count_for_a_group():
    facts = [fact("group_meeting", dt.date(2026, 11, 4), org=BRANCH)]
    p = plan([GROUP_MEETING], 2026, 11, dt.date(2026, 11, 20), facts, groups=[G1])
    assert only(p, "group_meeting", G1).held == 0


def test_branch_without_groups_has_no_group_rows():
    p = plan([GROUP_MEETING], 2026, 11, dt.date(2026, 11, 20))
    assert p.rows == []
    assert p.skipped == ["党小组会：本支部未设党小组"]


def test_work_held_by_branch_or_group_counts_group_activities_for_the_branch():
    facts = [fact("party_lecture", dt.date(2026, 10, 9), org=G2)]
    p = plan([LECTURE], 2026, 11, dt.date(2026, 11, 20), facts, groups=[G1, G2])
    assert len(p.rows) == 1
    assert only(p, "party_lecture").colour == "green"


@pytest.mark.parametrize(("size", "required"), [(0, False), (2, False), (3, True), (7, True)])
def test_committee_meeting_only_for_a_branch_with_a_committee(size, required):
    p = plan([COMMITTEE], 2026, 11, dt.date(2026, 11, 20), committee_size=size)
    assert bool(p.rows) is required
    if not required:
        assert p.skipped == ["支部委员会：本支部委员不足3人，未设支部委员会，不要求召开"]


def test_work_without_a_period_is_not_due():
    assert plan([OTHER], 2026, 11, dt.date(2026, 11, 20)).rows == []


def test_group_may_have_its_own_template():
    quarterly = tpl("group_meeting", "quarter", holder=("group",), expected="group_members", name="党小组会")
    p = month_plan(templates={"group_meeting": GROUP_MEETING}, branch=BRANCH, groups=[G1, G2], committee_size=3,
                   year=2026, month=11, today=dt.date(2026, 11, 20), facts=[],
                   group_templates={G2.id: {"group_meeting": quarterly}})
    assert only(p, "group_meeting", G1).period.kind == "month"
    assert only(p, "group_meeting", G2).period.kind == "quarter"


def test_rows_grouped_by_period_in_order_with_totals():
    templates = [LIFE, ASSEMBLY, THEME_DAY, COMMITTEE, HALF, GROUP_MEETING]
    facts = [fact("theme_day", dt.date(2026, 11, 5))]
    p = plan(templates, 2026, 11, dt.date(2026, 11, 20), facts, groups=[G1])
    titles = [(title, period.label) for title, period, _ in p.by_period()]
    assert titles == [("本月", "2026年11月"), ("本季度", "2026年第四季度"), ("本半年", "2026年下半年"),
                      ("本年度", "2026年")]
    month_rows = p.by_period()[0][2]
    assert [r.kind for r in month_rows] == ["committee_meeting", "group_meeting", "theme_day"]
    assert p.counts() == {"green": 1, "amber": 3, "red": 2}
