"""Every metric on hand-made records (no database): its value, its text, its records, and `missing` when the
records are not there."""

import datetime as dt
from decimal import Decimal

import pytest

from dangjian.assessment import metrics as mx
from dangjian.assessment.engine import Subject

D = dt.date
BR = Subject("branch", "org:1", 1, "B1", "一支部", 1, "0001")
MEM = Subject("member", "member:5", 5, "5", "李党员", 1, "0001")
TEAM = Subject("team", "team:3", 3, "T3", "装卸班", 1, "0001")
POST = Subject("post", "post:7", 7, "7", "示范岗", 1, "0001")


def records(**kw):
    r = mx.Records(2025, "2025", D(2025, 1, 1), D(2025, 12, 31), D(2026, 1, 1))
    for k, v in kw.items():
        setattr(r, k, v)
    return r


def branch(**kw):
    return mx.BranchRecords(1, "B1", "一支部", "0001", **kw)


def run(name, subject, r):
    return mx.REGISTRY[name].fn(subject, r)


def check(kind, period, met, codes=()):
    return mx.PeriodCheck("R", kind, "B1", period, met, tuple(codes))


def act(code, kind, day, base=None, present=0):
    return mx.ActivityRecord(code, kind, day, True, base, present)


def test_sanhui_completion_counts_required_periods_met():
    checks = [check("branch_assembly", f"2025-Q{q}", q != 3, [f"A{q}"]) for q in range(1, 5)]
    checks += [check("theme_day", "2025-01", False)]
    v = run("sanhui_completion", BR, records(branches={1: branch(checks=checks)}))
    assert v.value == 0.75
    assert v.text == "应按期开展三会一课4个周期，按期完成3个；未按期：支部党员大会2025-Q3"
    assert v.records == ["A1", "A2", "A4"]
    assert run("theme_day_completion", BR, records(branches={1: branch(checks=checks)})).value == 0.0


def test_completion_without_ended_periods():
    v = run("sanhui_completion", BR, records(branches={1: branch()}, as_of=D(2025, 1, 20)))
    assert v.value is None and v.pending and v.text == "未到期：本期尚无已结束的三会一课考核周期"
    v = run("sanhui_completion", BR, records(branches={1: branch()}))  # the year is over: nothing was required
    assert v.value is None and not v.pending and v.missing == "本期没有应开展三会一课的周期"


def test_quorum_rate():
    acts = [act("A1", "branch_assembly", D(2025, 3, 1), 10, 6), act("A2", "branch_assembly", D(2025, 6, 1), 10, 5),
            act("A3", "theme_day", D(2025, 6, 1))]
    v = run("quorum_rate", BR, records(branches={1: branch(activities=acts)}))
    assert v.value == 0.5 and v.records == ["A2"] and "不足半数：A2" in v.text
    assert run("quorum_rate", BR, records(branches={1: branch()})).value is None


def test_held_once_metrics_and_volunteer_count():
    acts = [act("L1", "life_meeting", D(2025, 12, 20)), act("V1", "volunteer", D(2025, 3, 5)),
            act("V2", "volunteer", D(2025, 4, 5))]
    r = records(branches={1: branch(activities=acts)})
    assert run("life_meeting_held", BR, r).value is True
    assert run("life_meeting_held", BR, r).records == ["L1"]
    v = run("appraisal_held", BR, r)
    assert v.value is False and v.text == "本期未开展民主评议党员" and not v.pending
    assert run("volunteer_count", BR, r).value == 2.0


def test_once_a_year_items_are_not_due_before_the_year_ends():
    r = records(branches={1: branch(activities=[act("L1", "life_meeting", D(2025, 12, 20))])}, as_of=D(2025, 12, 1))
    v = run("life_meeting_held", BR, r)
    assert v.value is None and v.pending and v.text == "未到期：本期组织生活会尚未开展（应于2025-12-31前完成）"
    r.as_of = D(2025, 12, 21)
    assert run("life_meeting_held", BR, r).value is True


def finding(check_, severity="danger", message="问题"):
    return mx.FindingRecord("RULE", check_, severity, None, message)


def test_committee_complete():
    r = records(branches={1: branch(full_members=8, committee_posts=3)})
    assert run("committee_complete", BR, r).value is True
    r = records(branches={1: branch(full_members=8, committee_posts=1, findings=[finding("org_committee", message="少于3人")])})
    v = run("committee_complete", BR, r)
    assert v.value is False and v.text == "少于3人"
    r = records(branches={1: branch(full_members=4)})
    assert "不需设立" in run("committee_complete", BR, r).text


def test_term_not_overdue():
    assert run("term_not_overdue", BR, records(branches={1: branch()})).missing == "未填写本届任期开始日期"
    r = records(branches={1: branch(term_ends_on=D(2027, 1, 1))})
    assert run("term_not_overdue", BR, r).value is True
    r = records(branches={1: branch(term_ends_on=D(2024, 1, 1), findings=[finding("org_term", message="已届满")])})
    assert run("term_not_overdue", BR, r).value is False
    # only a warning (due soon) is not overdue
    r = records(branches={1: branch(term_ends_on=D(2026, 3, 1), findings=[finding("org_term", "warning")])})
    assert run("term_not_overdue", BR, r).value is True


def test_org_size_ok_and_open_findings():
    r = records(branches={1: branch(findings=[finding("org_size", message="少于3人"), finding("frequency"),
                                              finding("frequency", "warning")])})
    assert run("org_size_ok", BR, r).value is False
    assert run("org_size_ok", BR, records(branches={1: branch()})).value is True
    v = run("open_findings", BR, r)
    assert v.value == 2.0 and v.text.startswith("本年组织生活规范化检查发现问题2项")


def test_new_member_pipeline():
    v = run("new_member_pipeline", BR, records(branches={1: branch(activists=2, candidates=1)}))
    assert v.value == 3.0 and v.text == "入党积极分子2人，发展对象1人"


def test_red_team_coverage_and_team_metrics():
    teams = {3: mx.TeamRecords(3, "T3", "装卸班", 1, [5], 12), 4: mx.TeamRecords(4, "T4", "维修班", 1, [])}
    r = records(branches={1: branch(team_ids=[3, 4])}, teams=teams)
    v = run("red_team_coverage", BR, r)
    assert v.value == 0.5 and "尚无党员：维修班" in v.text and v.records == ["team:T3"]
    assert run("red_team_coverage", BR, records(branches={1: branch()})).missing == "本支部尚未登记班组"
    assert run("team_red", TEAM, r).value is True
    assert run("team_red", Subject("team", "team:4", 4, "T4", "维修班", 1, "0001"), r).value is False
    assert run("team_member_points_avg", TEAM, r).missing == "党员积分尚未计算"
    r.points = {5: Decimal("88")}
    assert run("team_member_points_avg", TEAM, r).value == 88.0


def test_avg_member_points_and_missing_points():
    r = records(branches={1: branch(member_ids=[5, 6])})
    assert run("avg_member_points", BR, r).missing == "党员积分尚未计算"
    r.points = {5: Decimal("80"), 6: Decimal("70")}
    v = run("avg_member_points", BR, r)
    assert v.value == 75.0 and "平均75分" in v.text
    assert run("avg_member_points", BR, records(branches={1: branch()}, points={})).missing == "本支部没有党员"


def member(mid=5, **kw):
    return mx.MemberRecords(mid, f"党员{mid}", 1, **kw)


def test_excellent_member_share_and_member_grade():
    r = records(branches={1: branch(member_ids=[5, 6, 7])},
                members={5: member(5, appraisal=("优秀", "P1")), 6: member(6, appraisal=("合格", "P1")), 7: member(7)})
    v = run("excellent_member_share", BR, r)
    assert v.value == 0.5 and v.records == ["P1"]
    assert run("member_appraisal_grade", MEM, r).value == "优秀"
    assert run("member_appraisal_grade", Subject("member", "member:7", 7, "7", "x", 1, "0001"), r).value is None
    r = records(branches={1: branch(member_ids=[7])}, members={7: member(7)})
    assert run("excellent_member_share", BR, r).missing == "本年未录入民主评议等次"
    r.branches[1].activities = [act("P1", "member_appraisal", D(2025, 12, 2))]
    assert run("excellent_member_share", BR, r).missing == "已开展民主评议党员，尚未录入评议等次"
    r = records(branches={1: branch(member_ids=[7])}, members={7: member(7)}, as_of=D(2025, 6, 1))
    assert run("excellent_member_share", BR, r).pending
    assert run("member_appraisal_grade", Subject("member", "member:7", 7, "7", "x", 1, "0001"), r).pending


def test_rectification_on_time():
    tasks = [mx.TaskRecord(1, "补开支委会", D(2025, 3, 1), D(2025, 2, 20)),
             mx.TaskRecord(2, "完善台账", D(2025, 5, 1), D(2025, 6, 1)),
             mx.TaskRecord(3, "整改三", D(2025, 7, 1), None),
             mx.TaskRecord(4, "未到期", D(2026, 3, 1), None)]
    v = run("rectification_on_time", BR, records(branches={1: branch(tasks=tasks)}))
    assert v.value == pytest.approx(1 / 3) and v.records == ["task:1", "task:2", "task:3"]
    assert "逾期：完善台账、整改三" in v.text
    v = run("rectification_on_time", BR, records(branches={1: branch()}))
    assert v.value == 1.0 and v.text == "本年没有已到期的整改任务"


def test_checklists():
    items = [mx.ChecklistRecord(1, "建阵地", D(2025, 6, 30), D(2025, 6, 1)),
             mx.ChecklistRecord(2, "创品牌", D(2025, 9, 30), D(2025, 10, 5)),
             mx.ChecklistRecord(3, "育骨干", D(2025, 12, 31), None)]
    v = run("checklist_completion", BR, records(branches={1: branch(checklist=items)}))
    assert v.value == pytest.approx(1 / 3) and "逾期完成1项" in v.text
    # on 1 December the third item is not due yet: left out
    v = run("checklist_completion", BR, records(branches={1: branch(checklist=items)}, as_of=D(2025, 12, 1)))
    assert v.value == 0.5 and "已到期或已完成2项" in v.text
    v = run("checklist_completion", BR, records(branches={1: branch(checklist=items[2:])}, as_of=D(2025, 12, 1)))
    assert v.pending and v.text == "未到期：创建清单事项1项，均未到完成时限"
    assert run("checklist_completion", BR, records(branches={1: branch()})).missing == "本支部尚未建立本年创建清单"
    r = records(members={5: member(checklist=items[:1])})
    assert run("member_checklist_completion", MEM, r).value == 1.0


def test_member_points_and_attendance():
    r = records(members={5: member(attendance={"present": 9, "leave": 2, "absent": 1}, attendance_codes=["A9"])})
    assert run("member_points_total", MEM, r).missing == "党员积分尚未计算"
    r.points = {5: Decimal("91.5")}
    assert run("member_points_total", MEM, r).value == 91.5
    v = run("member_attendance_rate", MEM, r)
    assert v.value == 0.9 and v.records == ["A9"] and "请假2次" in v.text
    r = records(members={5: member(attendance={"leave": 1})})
    assert run("member_attendance_rate", MEM, r).value is None


def test_post_holder_metrics():
    r = records(posts={7: mx.PostRecords(7, "示范岗", "model", 1, 5, "李党员")},
                members={5: member(attendance={"present": 2, "absent": 2})}, period="2025-03")
    assert run("post_holder_attendance_month", POST, r).value == 0.5
    assert run("post_holder_points_month", POST, r).missing == "党员积分尚未计算"
    r.month_points = {5: Decimal("6")}
    v = run("post_holder_points_month", POST, r)
    assert v.value == 6.0 and v.text == "李党员2025-03积分6分"
    r.posts[7].holder_id = None
    assert run("post_holder_attendance_month", POST, r).missing == "岗位尚无在岗党员"


def test_compute_applies_metrics_to_their_subjects_only():
    r = records(branches={1: branch(activists=1)}, members={5: member()})
    out = mx.compute(["new_member_pipeline", "member_attendance_rate"], [BR, MEM], r)
    assert set(out) == {("org:1", "new_member_pipeline"), ("member:5", "member_attendance_rate")}
    assert mx.needs_of(["sanhui_completion", "avg_member_points"]) == {"compliance", "points", "members"}
