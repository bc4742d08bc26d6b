"""Rectification tasks (整改): sync from findings, auto-close, overdue, review by the level above, follow-up
items, stored rule overrides, and the pages' scoping."""

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from dangjian.compliance import services
from dangjian.compliance.engine import check, lookback_months
from dangjian.compliance.facts import load_facts
from dangjian.compliance.models import RectificationTask, RuleOverride, TaskSource, TaskStatus
from dangjian.compliance.pack import load_pack
from dangjian.core.models import AuditEntry
from dangjian.meetings import services as meeting_services
from dangjian.meetings.models import ActivityKind, ActivityStatus, AttendanceStatus, FollowUpItem

YEAR, AS_OF = 2024, dt.date(2024, 4, 15)


def at(day: dt.date, hour: int = 15) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)), timezone.get_current_timezone())


def held(w, org, kind, day, code, present=()):
    activity = meeting_services.activity_create(actor=w.admin, org=org, kind=kind, code=code, title=f"{code}会议",
                                                starts_at=at(day), status=ActivityStatus.HELD)
    if present:
        meeting_services.attendance_save(actor=w.admin, activity=activity,
                                         marks={m.pk: (AttendanceStatus.PRESENT, "") for m in present})
    return activity


def findings(root, year=YEAR, as_of=AS_OF):
    pack = load_pack()
    return check(load_facts(root, year, lookback_months(pack)), pack, year, as_of,
                 services.overrides_for(root.path)).findings


def sync(w, root, year=YEAR, as_of=AS_OF):
    return services.task_sync_from_findings(actor=w.admin, root=root, findings=findings(root, year, as_of),
                                            as_of=as_of, year=year)


def assembly_task(org_code="B1", period="2024-Q1"):
    return RectificationTask.objects.get(rule="ZB-DYDH-QUARTERLY", org__code=org_code, period=period)


def test_sync_is_idempotent(world):
    created, closed = sync(world, world.root)
    assert created > 0 and closed == 0
    before = sorted(RectificationTask.objects.values_list("fingerprint", flat=True))
    assert len(before) == len(set(before)) == created
    assert sync(world, world.root) == (0, 0)
    assert sorted(RectificationTask.objects.values_list("fingerprint", flat=True)) == before
    task = assembly_task()
    assert task.source == TaskSource.FINDING and task.status == TaskStatus.OPEN and task.year == 2024
    assert task.fingerprint == "ZB-DYDH-QUARTERLY|B1|2024-Q1||"
    assert "支部党员大会" in task.description and task.top_org == world.root
    assert task.deadline == AS_OF + dt.timedelta(days=services.DEFAULT_DAYS)
    assert AuditEntry.objects.filter(object_type="rectificationtask").count() == created


def test_sync_of_a_subtree_keeps_other_tasks(world):
    sync(world, world.root)
    n = RectificationTask.objects.count()
    assert sync(world, world.b1) == (0, 0)  # B2's tasks are outside the subtree: untouched
    assert RectificationTask.objects.open().count() == n


def test_auto_close_when_the_finding_disappears(world):
    sync(world, world.root)
    task = assembly_task()
    # A 补录 of the missing assembly of Q1, with both members present.
    held(world, world.b1, ActivityKind.BRANCH_ASSEMBLY, dt.date(2024, 3, 28), "DY-BL",
         [world.sec_member, world.member])
    created, closed = sync(world, world.root)
    task.refresh_from_db()
    assert task.status == TaskStatus.AUTO_CLOSED and task.closed_at is not None
    assert "复查时问题已不存在" in task.auto_close_note and "自动销号" in task.auto_close_note
    assert closed >= 1 and created == 0
    assert assembly_task("B2").status == TaskStatus.OPEN  # B2 still has no assembly
    # Re-running neither reopens nor duplicates.
    assert sync(world, world.root) == (0, 0)


def test_member_finding_fingerprint_uses_member_id(world):
    months = [(2023, m) for m in range(8, 13)] + [(2024, 1), (2024, 2)]
    for i, (y, m) in enumerate(months):
        held(world, world.b1, ActivityKind.THEME_DAY, dt.date(y, m, 5), f"ZT-{i}", [world.sec_member])
    sync(world, world.b1)
    task = RectificationTask.objects.get(rule="ZB-MEMBER-ABSENT-6M")
    assert task.member == world.member and task.fingerprint.endswith(f"|{world.member.pk}")


def test_quorum_finding_links_its_activity(world):
    bad = held(world, world.b1, ActivityKind.BRANCH_ASSEMBLY, dt.date(2024, 2, 20), "DY-1", [world.sec_member])
    sync(world, world.b1)
    task = RectificationTask.objects.get(rule="ZB-DYDH-QUORUM")
    assert task.activity == bad and task.fingerprint == "ZB-DYDH-QUORUM|B1|2024-02|DY-1|"


def manual(w, **kw):
    return services.task_create_manual(actor=w.sec1, org=w.b1, title="台账不全", description="记录缺页", **kw)


def test_overdue(world):
    today = timezone.localdate()
    late = manual(world, deadline=today - dt.timedelta(days=1))
    due = manual(world, deadline=today)
    none = manual(world)
    done = manual(world, deadline=today - dt.timedelta(days=5))
    RectificationTask.objects.filter(pk=done.pk).update(status=TaskStatus.CLOSED)
    done.refresh_from_db()
    assert late.is_overdue and not due.is_overdue and not none.is_overdue and not done.is_overdue
    assert list(RectificationTask.objects.overdue()) == [late]


def submitted(w):
    task = manual(w)
    services.task_update(actor=w.sec1, task=task, measures="补齐记录", evidence="见档案", owner=w.sec_member)
    assert task.status == TaskStatus.IN_PROGRESS
    return services.task_submit(actor=w.sec1, task=task)


def test_review_only_by_the_level_above(world):
    task = submitted(world)
    assert task.status == TaskStatus.SUBMITTED
    with pytest.raises(PermissionDenied):
        services.task_review(actor=world.sec1, task=task, approve=True)
    with pytest.raises(ValidationError):
        services.task_update(actor=world.sec1, task=task, measures="改")  # frozen while under review
    with pytest.raises(ValidationError):
        services.task_review(actor=world.zz_admin, task=task, approve=False)  # a reason is required
    services.task_review(actor=world.zz_admin, task=task, approve=False, note="佐证不足")
    assert task.status == TaskStatus.IN_PROGRESS and task.review_note == "佐证不足"
    services.task_submit(actor=world.sec1, task=task)
    services.task_review(actor=world.zz_admin, task=task, approve=True, note="同意")
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSED and task.reviewer == world.zz_admin and task.closed_at


def test_submit_needs_measures(world):
    task = manual(world)
    with pytest.raises(ValidationError):
        services.task_submit(actor=world.sec1, task=task)


def test_review_pages(world, client):
    task = submitted(world)
    url = reverse("rectification_detail", args=[task.pk])
    client.force_login(world.sec1)
    page = client.get(url)
    assert page.status_code == 200 and "上级审核" not in page.content.decode()
    assert client.post(url, {"action": "review", "decision": "approve"}).status_code == 403
    client.force_login(world.zz_admin)
    assert "上级审核" in client.get(url).content.decode()
    assert client.post(url, {"action": "review", "decision": "approve", "note": "好"}).status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSED


def test_edit_and_submit_pages(world, client):
    task = manual(world)
    url = reverse("rectification_detail", args=[task.pk])
    client.force_login(world.sec1)
    response = client.post(url, {"action": "save", "owner": world.member.pk, "deadline": "2030-01-31",
                                 "measures": "补开会议", "evidence": "DY-9"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.owner, task.deadline, task.status) == (world.member, dt.date(2030, 1, 31), TaskStatus.IN_PROGRESS)
    assert client.post(url, {"action": "submit"}).status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.SUBMITTED


def test_follow_up_item_becomes_one_task(world):
    meeting = held(world, world.b1, ActivityKind.LIFE_MEETING, dt.date(2024, 1, 20), "SH-1")
    item = FollowUpItem.objects.create(activity=meeting, content="批评与自我批评不够深入", owner=world.sec_member,
                                       due_on=dt.date(2024, 3, 31))
    first = services.task_from_follow_up(actor=world.sec1, item=item)
    again = services.task_from_follow_up(actor=world.sec1, item=item)
    assert first.pk == again.pk and RectificationTask.objects.count() == 1
    assert (first.source, first.org, first.owner, first.deadline, first.activity) == (
        TaskSource.FOLLOW_UP, world.b1, world.sec_member, dt.date(2024, 3, 31), meeting)
    # Follow-up tasks are not closed by the sync of findings.
    sync(world, world.root)
    first.refresh_from_db()
    assert first.status == TaskStatus.OPEN


def rules_of(fs, rule):
    return {(f.org, f.period) for f in fs if f.rule == rule}


def test_override_disables_a_rule_for_a_subtree(world):
    assert ("B1", "2024-Q1") in rules_of(findings(world.root), "ZB-DYDH-QUARTERLY")
    RuleOverride.objects.create(org=world.zz, rule="ZB-DYDH-QUARTERLY", enabled=False, note="试点")
    got = rules_of(findings(world.root), "ZB-DYDH-QUARTERLY")
    assert {org for org, _ in got} == {"B2"}
    assert services.overrides_for(world.b1.path) == {world.zz.path: {"ZB-DYDH-QUARTERLY": {
        "enabled": False, "params": {}}}}
    # A sync after the rule was switched off closes B1's task of that rule.
    RuleOverride.objects.all().delete()
    sync(world, world.root)
    RuleOverride.objects.create(org=world.zz, rule="ZB-DYDH-QUARTERLY", enabled=False)
    sync(world, world.root)
    assert assembly_task().status == TaskStatus.AUTO_CLOSED and assembly_task("B2").status == TaskStatus.OPEN


def test_override_changes_a_parameter(world):
    assert ("B1", None) in rules_of(findings(world.root), "ZB-ORG-SIZE")  # 2 full members < 3
    RuleOverride.objects.create(org=world.b1, rule="ZB-ORG-SIZE", params={"min_full_members": 2})
    assert ("B1", None) not in rules_of(findings(world.root), "ZB-ORG-SIZE")
    assert ("B2", None) in rules_of(findings(world.root), "ZB-ORG-SIZE")
    # The CLI reads the stored overrides too.
    out = StringIO()
    call_command("check_compliance", "--org", "B1", "--year", "2024", "--as-of", "2024-04-15", stdout=out)
    assert "ZB-ORG-SIZE" not in out.getvalue()


def test_cli_sync(world):
    out = StringIO()
    call_command("check_compliance", "--org", "ROOT", "--year", "2024", "--as-of", "2024-04-15", "--sync",
                 stdout=out)
    n = RectificationTask.objects.count()
    assert n > 0 and f"整改任务：新建{n}项，自动销号0项。" in out.getvalue()
    out = StringIO()
    call_command("check_compliance", "--org", "ROOT", "--year", "2024", "--as-of", "2024-04-15", "--sync",
                 stdout=out)
    assert "整改任务：新建0项，自动销号0项。" in out.getvalue() and RectificationTask.objects.count() == n


def test_pages_scoped_per_role(world, client):
    sync(world, world.root)
    b1_task, b2_task = assembly_task("B1"), assembly_task("B2")
    list_url = reverse("rectification_list")
    client.force_login(world.sec1)
    text = client.get(list_url).content.decode()
    assert b1_task.title in text and b2_task.title not in text
    assert client.get(reverse("rectification_detail", args=[b2_task.pk])).status_code == 404
    client.force_login(world.outsider)  # B2's secretary
    assert client.get(reverse("rectification_detail", args=[b1_task.pk])).status_code == 404
    assert client.get(reverse("rectification_detail", args=[b2_task.pk])).status_code == 200
    client.force_login(world.member1)  # a plain member: only tasks they own
    assert client.get(reverse("rectification_detail", args=[b1_task.pk])).status_code == 404
    assert client.get(reverse("rectification_create")).status_code == 403
    client.force_login(world.orgadmin)
    text = client.get(list_url, {"org": "B2"}).content.decode()
    assert b2_task.title in text and b1_task.title not in text


def test_list_filters_and_queries(world, client, django_assert_max_num_queries):
    sync(world, world.root)
    late = manual(world, deadline=timezone.localdate() - dt.timedelta(days=3))
    client.force_login(world.orgadmin)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("rectification_list"))
    assert page.status_code == 200
    on_time = manual(world, deadline=timezone.localdate() + dt.timedelta(days=3))
    on_time.title = "按期任务"
    on_time.save()
    RectificationTask.objects.filter(source=TaskSource.FINDING).update(status=TaskStatus.CLOSED)
    text = client.get(reverse("rectification_list"), {"overdue": "1"}).content.decode()
    assert "台账不全" in text and "已逾期" in text and "table-danger" in text
    assert "支部党员大会" not in text and "按期任务" not in text  # closed ones and those not yet due
    text = client.get(reverse("rectification_list"), {"status": "auto_closed"}).content.decode()
    assert "没有符合条件的整改任务" in text
    assert late.title in client.get(reverse("rectification_list"), {"org": "ZZ"}).content.decode()


def test_create_page(world, client):
    client.force_login(world.sec1)
    url = reverse("rectification_create")
    assert client.get(url).status_code == 200
    response = client.post(url, {"org": world.b1.pk, "title": "学习笔记不全", "description": "", "deadline": ""})
    assert response.status_code == 302
    task = RectificationTask.objects.get(title="学习笔记不全")
    assert task.source == TaskSource.MANUAL and task.org == world.b1
    # An organization outside the scope is not a choice.
    response = client.post(url, {"org": world.b2.pk, "title": "越权"})
    assert response.status_code == 200 and not RectificationTask.objects.filter(title="越权").exists()


def test_override_service_validates_and_is_for_org_admins(world):
    with pytest.raises(PermissionDenied):
        services.override_set(actor=world.sec1, org=world.b1, rule="ZB-ORG-SIZE", params={"min_full_members": 2})
    with pytest.raises(ValidationError, match="不存在"):
        services.override_set(actor=world.zz_admin, org=world.b1, rule="ZB-NOPE", enabled=False)
    with pytest.raises(ValidationError, match="非负整数"):
        services.override_set(actor=world.zz_admin, org=world.b1, rule="ZB-ORG-SIZE", params={"min_full_members": -1})
    with pytest.raises(PermissionDenied):
        services.override_set(actor=world.zz_admin, org=world.b2, rule="ZB-ORG-SIZE", enabled=False)
    assert not RuleOverride.objects.exists()
    o = services.override_set(actor=world.zz_admin, org=world.b1, rule="ZB-ORG-SIZE", params={"min_full_members": 2})
    again = services.override_set(actor=world.zz_admin, org=world.b1, rule="ZB-ORG-SIZE", enabled=False)
    assert o.pk == again.pk and RuleOverride.objects.count() == 1 and again.params == {}
    assert AuditEntry.objects.filter(object_type="ruleoverride").count() == 2
    services.override_delete(actor=world.zz_admin, override=again)
    assert not RuleOverride.objects.exists()


def test_finding_evidence_activities_on_the_page(world, client):
    bad = held(world, world.b1, ActivityKind.BRANCH_ASSEMBLY, dt.date(2024, 2, 20), "DY-1", [world.sec_member])
    sync(world, world.b1)
    task = assembly_task()  # Q1: the only assembly failed its quorum; it is the evidence
    assert task.evidence_ids == [bad.pk]
    client.force_login(world.sec1)
    text = client.get(reverse("rectification_detail", args=[task.pk])).content.decode()
    assert reverse("activity_detail", args=[bad.pk]) in text and "DY-1" in text


def test_admin_pages(world, client):
    client.force_login(world.admin)
    assert client.get(reverse("admin:compliance_ruleoverride_changelist")).status_code == 200
    response = client.post(reverse("admin:compliance_ruleoverride_add"), {
        "org": world.b1.pk, "rule": "ZB-ORG-SIZE", "enabled": "on", "params": '{"min_full_members": -3}', "note": ""})
    assert response.status_code == 200 and not RuleOverride.objects.exists()
    response = client.post(reverse("admin:compliance_ruleoverride_add"), {
        "org": world.b1.pk, "rule": "ZB-ORG-SIZE", "enabled": "on", "params": '{"min_full_members": 2}', "note": "试点"})
    assert response.status_code == 302
    assert RuleOverride.objects.get().params == {"min_full_members": 2}
    assert AuditEntry.objects.filter(object_type="ruleoverride", source="admin").count() == 1


def test_an_earlier_as_of_does_not_close_later_periods(world):
    sync(world, world.root)
    assert sync(world, world.root, as_of=dt.date(2024, 2, 1)) == (0, 0)  # Q1 is not judged on 1 February
    assert assembly_task().status == TaskStatus.OPEN
    assert [services.period_end(p) for p in ("2024-02", "2024-Q2", "2024", "", "x")] == [
        dt.date(2024, 2, 29), dt.date(2024, 6, 30), dt.date(2024, 12, 31), None, None]
