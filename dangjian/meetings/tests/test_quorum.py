"""Quorum: strictly more than half of 应到 (or of those with a vote); no attendance row counts as absent."""

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.meetings import services
from dangjian.meetings.models import ActivityKind, Attendance, AttendanceStatus
from dangjian.meetings.rules import Person, compute_quorum, excellent_limit
from dangjian.meetings.selectors import activity_quorum

DAY = dt.date(2025, 9, 10)
P, L, A = AttendanceStatus.PRESENT, AttendanceStatus.LEAVE, AttendanceStatus.ABSENT
HALF = {"rule": "more_than_half", "of": "expected"}
VOTING = {"rule": "more_than_half", "of": "voting"}


def full(i: int) -> Person:
    return Person(id=i, name=f"党员{i}", category="full", admitted_on=dt.date(2000, 1, 1), full_on=dt.date(2001, 1, 1))


def probationary(i: int, admitted: dt.date = dt.date(2025, 1, 1)) -> Person:
    return Person(id=i, name=f"预备{i}", category="probationary", admitted_on=admitted, full_on=None)


@pytest.mark.parametrize(("expected", "present", "met"), [
    (4, 2, False),  # exactly half is not "more than half"
    (4, 3, True),  # half + 1
    (5, 2, False),
    (5, 3, True),
    (2, 1, False),
    (2, 2, True),
    (1, 1, True),
    (1, 0, False),
])
def test_more_than_half_of_expected(expected, present, met):
    people = [full(i) for i in range(expected)]
    statuses = dict.fromkeys(range(present), P)
    q = compute_quorum(HALF, people, statuses, DAY)
    assert q.met is met
    assert q.required == expected // 2 + 1
    assert q.base == expected and q.present == present


def test_no_one_expected_is_never_a_quorum():
    assert compute_quorum(HALF, [], {}, DAY).met is False


def test_people_without_a_row_count_as_absent_and_leave_is_not_presence():
    people = [full(i) for i in range(5)]
    q = compute_quorum(HALF, people, {0: P, 1: P, 2: L}, DAY)  # 3 and 4 have no row at all
    assert (q.attended, q.on_leave, q.absent) == (2, 1, 2)
    assert q.met is False
    assert "应到5人，实到2人，请假1人，缺席2人" in q.explanation
    assert "不符合" in q.explanation


def test_rows_of_people_not_expected_do_not_count():
    people = [full(i) for i in range(4)]
    q = compute_quorum(HALF, people, {0: P, 1: P, 98: P, 99: P}, DAY)
    assert q.present == 2 and q.met is False


def test_voting_base_excludes_probationary_members():
    people = [full(i) for i in range(4)] + [probationary(10), probationary(11)]
    # 2 full + 2 probationary present: 4 of 6 expected, but only 2 of the 4 with a vote.
    statuses = {0: P, 1: P, 10: P, 11: P}
    assert compute_quorum(HALF, people, statuses, DAY).met is True
    q = compute_quorum(VOTING, people, statuses, DAY)
    assert (q.base, q.present, q.met) == (4, 2, False)
    assert "有表决权的应到人数4人" in q.explanation
    statuses[2] = P
    assert compute_quorum(VOTING, people, statuses, DAY).met is True


def test_a_member_becomes_a_voter_on_their_full_date():
    person = Person(id=1, name="甲", category="full", admitted_on=dt.date(2024, 1, 1), full_on=dt.date(2025, 9, 11))
    assert compute_quorum(VOTING, [person], {1: P}, DAY).base == 0
    assert compute_quorum(VOTING, [person], {1: P}, DAY + dt.timedelta(days=1)).base == 1


def test_no_rule_means_no_verdict():
    q = compute_quorum(None, [full(1)], {1: P}, DAY)
    assert q.met is None
    assert q.explanation == "应到1人，实到1人，请假0人，缺席0人"


@pytest.mark.parametrize(("graded", "limit"), [(0, 0), (2, 0), (3, 1), (4, 1), (5, 1), (6, 2), (9, 3), (10, 3)])
def test_excellent_at_most_one_third(graded, limit):
    assert excellent_limit(graded, 0.3333) == limit


# --- on real records -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_branch_assembly_quorum_over_voting_members(world, branch_people, templates_ready, yesterday_3pm):
    w = branch_people
    activity = services.activity_create(actor=w.sec1, org=w.b1, kind=ActivityKind.BRANCH_ASSEMBLY,
                                        title="党员大会", starts_at=yesterday_3pm)
    # 张书记, 李党员, 赵一, 钱二 (full) and 孙预备 (probationary) are expected; rows prefilled as 缺席.
    assert Attendance.objects.filter(activity=activity, status=A).count() == 5
    q, expected = activity_quorum(activity)
    assert len(expected) == 5 and q.of == "voting" and q.base == 4 and q.met is False

    services.attendance_save(actor=w.sec1, activity=activity, marks={
        w.sec_member.pk: (P, ""), w.member.pk: (P, ""), w.probationary.pk: (P, "")})
    q, _ = activity_quorum(activity)
    assert (q.present, q.attended, q.met) == (2, 3, False)  # exactly half of the voters

    services.attendance_save(actor=w.sec1, activity=activity, marks={w.full_a.pk: (P, "")})
    q, _ = activity_quorum(activity)
    assert (q.present, q.met) == (3, True)


@pytest.mark.django_db
def test_a_deleted_row_counts_as_absent(world, branch_people, templates_ready, yesterday_3pm):
    w = branch_people
    activity = services.activity_create(actor=w.sec1, org=w.b1, kind=ActivityKind.BRANCH_ASSEMBLY,
                                        title="党员大会", starts_at=yesterday_3pm, prefill_attendance=False)
    services.attendance_save(actor=w.sec1, activity=activity, marks={
        w.sec_member.pk: (P, ""), w.member.pk: (P, ""), w.full_a.pk: (P, "")})
    q, _ = activity_quorum(activity)
    assert q.met is True and q.absent == 2
    Attendance.objects.filter(activity=activity, member=w.full_a).delete()
    q, _ = activity_quorum(activity)
    assert q.met is False and q.absent == 3


@pytest.mark.django_db
def test_quorum_partial_is_live_and_colored(world, branch_people, templates_ready, yesterday_3pm, client):
    w = branch_people
    activity = services.activity_create(actor=w.sec1, org=w.b1, kind=ActivityKind.BRANCH_ASSEMBLY,
                                        title="党员大会", starts_at=yesterday_3pm)
    client.force_login(w.sec1)
    url = reverse("activity_attendance", args=[activity.pk])
    ids = [w.sec_member.pk, w.member.pk, w.full_a.pk, w.full_b.pk, w.probationary.pk]
    marks = {"member": ids} | {f"status_{i}": "absent" for i in ids}
    marks |= {f"status_{w.sec_member.pk}": "present", f"status_{w.member.pk}": "present",
              f"status_{w.full_a.pk}": "present"}
    preview = client.post(url, marks | {"preview": "1"}, HTTP_HX_REQUEST="true")
    body = preview.content.decode()
    assert preview.status_code == 200 and "alert-success" in body and "尚未保存" in body
    assert not Attendance.objects.filter(activity=activity, status=P).exists()  # a preview saves nothing

    marks[f"status_{w.full_a.pk}"] = "absent"
    saved = client.post(url, marks, HTTP_HX_REQUEST="true")
    body = saved.content.decode()
    assert saved.status_code == 200 and "alert-danger" in body and "出勤已保存" in body
    assert "有表决权的应到人数4人，到会2人" in body
    assert Attendance.objects.filter(activity=activity, status=P).count() == 2
