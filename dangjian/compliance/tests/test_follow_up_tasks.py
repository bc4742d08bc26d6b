"""Saving an item of a 组织生活会's 整改清单 creates its rectification task, once."""

import datetime as dt

from dangjian.compliance.models import RectificationTask, TaskSource, TaskStatus
from dangjian.meetings import records
from dangjian.meetings.models import ActivityKind, FollowUpItem

from .test_rectification import held


def test_saving_a_follow_up_item_creates_its_task_once(world):
    meeting = held(world, world.b1, ActivityKind.LIFE_MEETING, dt.date(2024, 1, 20), "SH-1")
    Item = records.FollowUpInput
    records.follow_up_save(actor=world.sec1, activity=meeting, items=[
        Item(id=None, content="批评与自我批评不够深入", owner_id=world.sec_member.pk, due_on=dt.date(2024, 3, 31))])
    item = FollowUpItem.objects.get()
    task = RectificationTask.objects.get()
    assert (task.source, task.follow_up, task.org, task.owner, task.deadline, task.status) == (
        TaskSource.FOLLOW_UP, item, world.b1, world.sec_member, dt.date(2024, 3, 31), TaskStatus.OPEN)
    # Saving the list again (an unchanged item and a new one) adds only the new item's task.
    records.follow_up_save(actor=world.sec1, activity=meeting, items=[
        Item(id=item.pk, content=item.content, owner_id=item.owner_id, due_on=item.due_on),
        Item(id=None, content="联系群众不够")])
    assert RectificationTask.objects.count() == 2
    assert set(RectificationTask.objects.values_list("follow_up__content", flat=True)) == {
        "批评与自我批评不够深入", "联系群众不够"}
