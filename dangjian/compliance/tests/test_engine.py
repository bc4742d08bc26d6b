"""The engine on hand-made facts (no database): every rule at its boundaries."""

import datetime as dt

import pytest

from dangjian.compliance.engine import ActivityFact, AttendanceFact, Facts, MemberFact, OrgFact, check
from dangjian.compliance.pack import load_pack

D = dt.date
PACK = load_pack()
BRANCH = OrgFact(1, "B1", "一支部", "branch", "00010001", founded_on=D(2010, 1, 1), committee_posts=3)
GROUP = OrgFact(2, "G1", "一小组", "group", "000100010001", founded_on=D(2010, 1, 1))
ROOT = OrgFact(9, "ROOT", "党委", "committee", "0001", founded_on=D(2000, 1, 1))
END = D(2025, 1, 1)


def full(i, name=None, full_on=None, branch=1):
    return MemberFact(i, name or f"党员{i}", branch, "full", full_on=full_on)


def act(i, kind, day, status="held", base=None, present=0, org=1):
    return ActivityFact(i, f"A{i}", org, kind, day, status, quorum_base=base, quorum_present=present)


def run(activities=(), members=(), attendance=(), orgs=(BRANCH,), as_of=END, overrides=None, year=2024):
    facts = Facts(orgs=list(orgs), members=list(members), activities=list(activities), attendance=list(attendance))
    return check(facts, PACK, year, as_of, overrides)


def codes(result, rule):
    return [(f.org, f.period) for f in result.findings if f.rule == rule]


def every_month(kind, org=1, start=100):
    return [act(start + m, kind, D(2024, m, 10), org=org) for m in range(1, 13)]


def test_assembly_each_quarter_last_day_counts():
    acts = [act(1, "branch_assembly", D(2024, 3, 31), base=4, present=3),
            act(2, "branch_assembly", D(2024, 6, 30), base=4, present=3),
            act(3, "branch_assembly", D(2024, 9, 30), base=4, present=3)]
    r = run(acts)
    assert codes(r, "ZB-DYDH-QUARTERLY") == [("B1", "2024-Q4")]


def test_exactly_half_present_fails_quorum_and_does_not_count():
    acts = [act(1, "branch_assembly", D(2024, 2, 1), base=4, present=2)]
    r = run(acts)
    quorum = [f for f in r.findings if f.rule == "ZB-DYDH-QUORUM"]
    assert [(f.period, f.activity, f.evidence) for f in quorum] == [("2024-02", "A1", (1,))]
    assert "未超过半数" in quorum[0].message
    assert ("B1", "2024-Q1") in codes(r, "ZB-DYDH-QUARTERLY")
    r = run([act(1, "branch_assembly", D(2024, 2, 1), base=5, present=3)])
    assert codes(r, "ZB-DYDH-QUORUM") == []
    assert ("B1", "2024-Q1") not in codes(r, "ZB-DYDH-QUARTERLY")


def test_committee_quorum_exactly_half():
    members = [full(i) for i in range(1, 8)]
    acts = [act(1, "committee_meeting", D(2024, 1, 5), base=4, present=2)]
    r = run(acts, members)
    assert codes(r, "ZB-ZWH-QUORUM") == [("B1", "2024-01")]
    assert ("B1", "2024-01") in codes(r, "ZB-ZWH-MONTHLY")


def test_planned_and_notified_do_not_count():
    acts = [act(1, "theme_day", D(2024, 1, 5), status="planned"),
            act(2, "theme_day", D(2024, 2, 5), status="notified"),
            act(3, "theme_day", D(2024, 3, 5), status="archived")]
    r = run(acts, as_of=D(2024, 4, 1))
    assert codes(r, "ZB-ZTDR-MONTHLY") == [("B1", "2024-01"), ("B1", "2024-02")]


def test_committee_monthly_only_when_seven_full_members_at_month_end():
    # Six full members all year; a seventh becomes full on 2024-06-30 (counted for June).
    members = [full(i) for i in range(1, 7)] + [full(7, full_on=D(2024, 6, 30))]
    r = run([], members, as_of=D(2024, 9, 1))
    assert [p for _, p in codes(r, "ZB-ZWH-MONTHLY")] == ["2024-06", "2024-07", "2024-08"]


def test_group_meeting_monthly_for_groups_only():
    r = run(every_month("group_meeting", org=2)[:11], orgs=(BRANCH, GROUP))
    assert codes(r, "ZB-DXZ-MONTHLY") == [("G1", "2024-12")]


def test_as_of_mid_month_current_period_amber_not_finding():
    acts = [act(1, "theme_day", D(2024, 1, 31)), act(2, "theme_day", D(2024, 2, 29))]
    r = run(acts, as_of=D(2024, 3, 15))
    assert codes(r, "ZB-ZTDR-MONTHLY") == []
    colours = {(s.org, s.period): s.colour for s in r.status}
    assert colours[("B1", "2024-03")] == "amber"
    assert colours[("B1", "2024-01")] == "green"
    assert ("B1", "2024-04") not in colours
    # Met already this month: green.
    r = run([*acts, act(3, "theme_day", D(2024, 3, 10))], as_of=D(2024, 3, 15))
    assert {(s.org, s.period): s.colour for s in r.status}[("B1", "2024-03")] == "green"


def test_as_of_on_last_day_of_period_is_still_current():
    r = run([], as_of=D(2024, 3, 31))
    assert ("B1", "2024-Q1") not in codes(r, "ZB-DYDH-QUARTERLY")
    r = run([], as_of=D(2024, 4, 1))
    assert ("B1", "2024-Q1") in codes(r, "ZB-DYDH-QUARTERLY")


def test_org_founded_mid_year_judges_only_periods_after():
    branch = OrgFact(1, "B1", "新支部", "branch", "00010001", founded_on=D(2024, 5, 15))
    r = run([], orgs=(branch,))
    assert [p for _, p in codes(r, "ZB-ZTDR-MONTHLY")] == [f"2024-{m:02d}" for m in range(6, 13)]
    assert [p for _, p in codes(r, "ZB-DYDH-QUARTERLY")] == ["2024-Q3", "2024-Q4"]
    assert codes(r, "ZB-ZZSHH-YEARLY") == []  # the year began before it was founded
    assert codes(r, "ZB-MZPY-YEARLY") == []


def test_yearly_rules_and_party_lecture():
    acts = [act(1, "life_meeting", D(2024, 12, 31)), act(2, "party_lecture", D(2024, 1, 1))]
    r = run(acts)
    assert codes(r, "ZB-ZZSHH-YEARLY") == []
    assert codes(r, "ZB-MZPY-YEARLY") == [("B1", "2024")]
    assert [p for _, p in codes(r, "ZB-DK-QUARTERLY")] == ["2024-Q2", "2024-Q3", "2024-Q4"]
    assert {f.severity for f in r.findings if f.rule == "ZB-DK-QUARTERLY"} == {"warning"}


def absence_case(statuses_by_month, member=1):
    """One held theme day per month (id = month); the member's status at it, or no row (None)."""
    acts = [act(m, "theme_day", D(2024, m, 10)) for m in range(1, 13)]
    rows = [AttendanceFact(m, member, s) for m, s in statuses_by_month.items() if s is not None]
    return acts, rows


def test_absence_six_months_one_finding_in_sixth_month():
    acts, rows = absence_case(dict.fromkeys(range(1, 9), "absent"))
    r = run(acts, [full(1, "李四")], rows)
    found = [f for f in r.findings if f.rule == "ZB-MEMBER-ABSENT-6M"]
    assert [(f.period, f.member, f.evidence) for f in found] == [("2024-06", "李四", (1, 2, 3, 4, 5, 6))]


def test_absence_five_months_no_finding_and_leave_breaks():
    acts, rows = absence_case({**dict.fromkeys(range(1, 6), "absent"), 6: "leave",
                               **dict.fromkeys(range(7, 12), "absent")})
    assert codes(run(acts, [full(1)], rows), "ZB-MEMBER-ABSENT-6M") == []


def test_absence_run_broken_by_month_with_no_expected_activity():
    acts, rows = absence_case({**dict.fromkeys(range(1, 4), "absent"), 4: None, **dict.fromkeys(range(5, 10), "absent")})
    assert codes(run(acts, [full(1)], rows), "ZB-MEMBER-ABSENT-6M") == []
    acts, rows = absence_case({**dict.fromkeys(range(1, 4), "absent"), 4: None, **dict.fromkeys(range(5, 11), "absent")})
    assert codes(run(acts, [full(1)], rows), "ZB-MEMBER-ABSENT-6M") == [("B1", "2024-10")]


def test_absence_present_at_one_of_two_breaks_and_planned_ignored():
    acts, rows = absence_case(dict.fromkeys(range(1, 7), "absent"))
    acts.append(act(50, "party_lecture", D(2024, 3, 20)))
    rows.append(AttendanceFact(50, 1, "present"))
    assert codes(run(acts, [full(1)], rows), "ZB-MEMBER-ABSENT-6M") == []
    acts, rows = absence_case(dict.fromkeys(range(1, 7), "absent"))
    acts.append(act(50, "party_lecture", D(2024, 3, 20), status="planned"))
    rows.append(AttendanceFact(50, 1, "present"))
    assert codes(run(acts, [full(1)], rows), "ZB-MEMBER-ABSENT-6M") == [("B1", "2024-06")]


def test_absence_sixth_month_must_have_ended():
    acts, rows = absence_case(dict.fromkeys(range(1, 7), "absent"))
    assert codes(run(acts, [full(1)], rows, as_of=D(2024, 6, 30)), "ZB-MEMBER-ABSENT-6M") == []
    assert codes(run(acts, [full(1)], rows, as_of=D(2024, 7, 1)), "ZB-MEMBER-ABSENT-6M") == [("B1", "2024-06")]


def test_absence_run_from_previous_year():
    acts = [act(100 + m, "theme_day", D(2023, m, 10)) for m in range(9, 13)] + [
        act(m, "theme_day", D(2024, m, 10)) for m in (1, 2)]
    rows = [AttendanceFact(a.id, 1, "absent") for a in acts]
    assert codes(run(acts, [full(1)], rows), "ZB-MEMBER-ABSENT-6M") == [("B1", "2024-02")]
    # A run whose sixth month fell in the year before is not this year's finding.
    acts = [act(100 + m, "theme_day", D(2023, m, 10)) for m in range(6, 13)] + [act(1, "theme_day", D(2024, 1, 10))]
    rows = [AttendanceFact(a.id, 1, "absent") for a in acts]
    assert codes(run(acts, [full(1)], rows), "ZB-MEMBER-ABSENT-6M") == []


@pytest.mark.parametrize(("n_full", "posts", "expected"), [(6, 0, []), (7, 2, [("B1", None)]), (7, 3, [])])
def test_org_committee(n_full, posts, expected):
    branch = OrgFact(1, "B1", "一支部", "branch", "00010001", committee_posts=posts)
    r = run([], [full(i) for i in range(1, n_full + 1)], orgs=(branch,))
    assert codes(r, "ZB-ORG-COMMITTEE") == expected


def test_org_size_boundaries():
    assert codes(run([], [full(i) for i in range(1, 4)]), "ZB-ORG-SIZE") == []
    assert codes(run([], [full(i) for i in range(1, 3)]), "ZB-ORG-SIZE") == [("B1", None)]
    probationary = [MemberFact(100 + i, f"预备{i}", 1, "probationary") for i in range(47)]
    assert codes(run([], [full(i) for i in range(1, 4)] + probationary), "ZB-ORG-SIZE") == []
    probationary.append(MemberFact(200, "预备X", 1, "probationary"))
    assert "超过50人" in [f for f in run([], [full(i) for i in range(1, 4)] + probationary).findings
                         if f.rule == "ZB-ORG-SIZE"][0].message
    # A member full only after the as-of date is not yet a full member.
    assert codes(run([], [full(1), full(2), full(3, full_on=D(2025, 2, 1))]), "ZB-ORG-SIZE") == [("B1", None)]


def test_org_term_overdue_and_warning():
    def term(ends):
        return [(f.severity, f.message) for f in run(
            [], orgs=(OrgFact(1, "B1", "一支部", "branch", "00010001", term_ends_on=ends),)).findings
            if f.rule == "ZB-ORG-TERM"]
    assert term(D(2024, 12, 31))[0][0] == "danger"
    assert term(END) and term(END)[0][0] == "warning"
    assert term(D(2025, 7, 1))[0][0] == "warning"
    assert term(D(2025, 7, 2)) == []


def test_override_disables_rule_for_subtree_only():
    other = OrgFact(3, "B2", "二支部", "branch", "00010002", founded_on=D(2010, 1, 1))
    overrides = {"00010001": {"ZB-ZTDR-MONTHLY": {"enabled": False}}}
    r = run([], orgs=(ROOT, BRANCH, other), overrides=overrides)
    assert {o for o, _ in codes(r, "ZB-ZTDR-MONTHLY")} == {"B2"}


def test_override_reparameterizes_from_an_ancestor_and_deeper_wins():
    other = OrgFact(3, "B2", "二支部", "branch", "00010002", founded_on=D(2010, 1, 1))
    acts = [act(i, "party_lecture", D(2024, m, 1)) for i, m in ((1, 2), (2, 8))]
    acts += [act(10 + i, "party_lecture", D(2024, m, 1), org=3) for i, m in ((1, 2), (2, 8))]
    overrides = {"0001": {"ZB-DK-QUARTERLY": {"params": {"period": "year", "times": 2}}},
                 "00010002": {"ZB-DK-QUARTERLY": {"params": {"times": 3}}}}
    r = run(acts, orgs=(ROOT, BRANCH, other), overrides=overrides)
    assert codes(r, "ZB-DK-QUARTERLY") == [("B2", "2024")]
    assert "至少3次" in [f for f in r.findings if f.rule == "ZB-DK-QUARTERLY"][0].message


def test_override_of_absence_months():
    acts, rows = absence_case(dict.fromkeys(range(1, 4), "absent"))
    overrides = {"0001": {"ZB-MEMBER-ABSENT-6M": {"params": {"months": 3}}}}
    r = run(acts, [full(1)], rows, orgs=(ROOT, BRANCH), overrides=overrides)
    assert codes(r, "ZB-MEMBER-ABSENT-6M") == [("B1", "2024-03")]


def test_finding_shape():
    r = run([], as_of=D(2024, 2, 1))
    f = [f for f in r.findings if f.rule == "ZB-ZTDR-MONTHLY"][0].as_dict()
    assert set(f) >= {"rule", "org", "period", "activity", "member", "severity", "message", "evidence"}
    assert f["message"].startswith("一支部2024-01应召开主题党日至少1次")


def test_warning_finding_colours_amber_danger_red():
    r = run([act(1, "theme_day", D(2024, 2, 5)), act(2, "branch_assembly", D(2024, 2, 6), base=3, present=2)],
            as_of=D(2024, 4, 1))
    colours = {(s.org, s.period): s.colour for s in r.status}
    assert colours[("B1", "2024-Q1")] == "amber"  # no 党课: a warning (local practice)
    assert colours[("B1", "2024-01")] == "red"  # no 主题党日
    assert colours[("B1", "2024-02")] == "green"


def test_lookback_follows_absence_months():
    from dangjian.compliance.engine import lookback_months

    assert lookback_months(PACK) == 6
