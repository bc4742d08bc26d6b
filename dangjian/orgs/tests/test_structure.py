import datetime as dt

from dangjian.orgs.structure import OrgFacts, StructureParams, add_months, structure_warnings

PARAMS = StructureParams(min_full_members=3, committee_threshold=7, min_committee_posts=3, max_members=50,
                         term_warning_months=6)
TODAY = dt.date(2026, 11, 21)


def codes(**kw):
    facts = OrgFacts(**({"kind": "branch", "full_members": 10, "party_members": 10, "committee_posts": 3,
                         "term_ends_on": None} | kw))
    return [w.code for w in structure_warnings(facts, PARAMS, TODAY)]


def test_healthy_branch_has_no_warning():
    assert codes() == []


def test_fewer_than_three_full_members():
    assert codes(full_members=2, party_members=3, committee_posts=1) == ["ORG-SIZE-MIN"]
    assert codes(full_members=3, party_members=3, committee_posts=1) == []


def test_seven_full_members_need_a_committee():
    assert codes(full_members=7, party_members=7, committee_posts=2) == ["ORG-COMMITTEE"]
    assert codes(full_members=6, party_members=6, committee_posts=1) == []


def test_more_than_fifty_members():
    assert codes(full_members=45, party_members=51) == ["ORG-SIZE-MAX"]
    assert codes(full_members=45, party_members=50) == []


def test_term_overdue_and_due_within_six_months():
    assert codes(term_ends_on=dt.date(2026, 11, 20)) == ["ORG-TERM-OVERDUE"]
    assert codes(term_ends_on=TODAY) == ["ORG-TERM-DUE"]
    assert codes(term_ends_on=dt.date(2027, 5, 21)) == ["ORG-TERM-DUE"]
    assert codes(term_ends_on=dt.date(2027, 5, 22)) == []


def test_size_rules_apply_to_branches_only():
    assert codes(kind="general_branch", full_members=0, party_members=0, committee_posts=0) == []


def test_params_come_from_the_pack():
    assert StructureParams.load() == PARAMS


def test_add_months_clamps_to_month_end():
    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
