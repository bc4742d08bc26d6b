"""Deleting an organization, a team or a member that points or assessment records refer to is refused with a
Chinese message and changes nothing (the ledger and the evaluations are records to keep)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dangjian.assessment import services as assessment
from dangjian.assessment.models import ChecklistItem
from dangjian.core.models import AuditEntry
from dangjian.orgs import services
from dangjian.orgs.models import Member, Organization
from dangjian.points import services as points


def test_member_with_points_is_not_deleted(world):
    points.entry_award(actor=world.admin, member=world.member, rule="discipline_deduct", points=Decimal("-1"),
                       occurred_on=dt.date.today(), reason="迟到早退")
    audits = AuditEntry.objects.count()
    with pytest.raises(ValidationError, match="已有积分记录"):
        services.member_delete(actor=world.admin, member=world.member)
    assert Member.objects.filter(pk=world.member.pk).exists()
    assert world.member.point_entries.count() == 1
    assert AuditEntry.objects.count() == audits


def test_member_delete_page_explains_the_refusal(world, client):
    points.entry_award(actor=world.admin, member=world.member, rule="discipline_deduct", points=Decimal("-1"),
                       occurred_on=dt.date.today(), reason="迟到早退")
    client.force_login(world.admin)
    response = client.post(f"/members/{world.member.pk}/delete/", follow=True)
    assert response.status_code == 200
    assert "已有积分记录，不能删除" in response.content.decode()
    assert Member.objects.filter(pk=world.member.pk).exists()


def test_branch_with_a_checklist_is_not_deleted(world):
    empty = services.org_create(actor=None, parent=world.root, code="B9", name="新建党支部", kind="branch")
    empty = Organization.objects.get(pk=empty.pk)
    assessment.checklist_item_create(actor=world.admin, org=empty, year=dt.date.today().year, title="创建示范岗",
                                     target="年内建成1个党员示范岗", due_on=dt.date(dt.date.today().year, 12, 31))
    with pytest.raises(ValidationError, match="不能删除"):
        services.org_delete(actor=world.admin, org=empty)
    assert Organization.objects.filter(pk=empty.pk).exists()
    assert ChecklistItem.objects.filter(org=empty).count() == 1
