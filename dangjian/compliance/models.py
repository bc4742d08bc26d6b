"""Stored rule overrides (规则调整) and rectification tasks (整改任务)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from dangjian.orgs.models import Member, Organization


class RuleOverride(models.Model):
    """A group's or organization's change to a rule of the pack for its whole subtree."""

    org = models.ForeignKey(Organization, verbose_name="组织", on_delete=models.CASCADE, related_name="+")
    rule = models.CharField("规则编码", max_length=40)
    enabled = models.BooleanField("启用", default=True)
    params = models.JSONField("参数", default=dict, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "规则调整"
        verbose_name_plural = "规则调整"
        constraints = [models.UniqueConstraint(fields=["org", "rule"], name="compliance_override_org_rule")]

    def __str__(self) -> str:
        return f"{self.rule}@{self.org_id}"


class TaskSource(models.TextChoices):
    FINDING = "finding", "检查发现"
    FOLLOW_UP = "follow_up", "组织生活会整改事项"
    MANUAL = "manual", "手工录入"


class TaskStatus(models.TextChoices):
    OPEN = "open", "待整改"
    IN_PROGRESS = "in_progress", "整改中"
    SUBMITTED = "submitted", "待审核"
    CLOSED = "closed", "已销号"
    AUTO_CLOSED = "auto_closed", "已自动关闭"


CLOSED_STATUSES = (TaskStatus.CLOSED, TaskStatus.AUTO_CLOSED)


class TaskQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status__in=CLOSED_STATUSES)

    def overdue(self, today=None):
        return self.open().filter(deadline__lt=today or timezone.localdate())


class RectificationTask(models.Model):
    source = models.CharField("来源", max_length=20, choices=TaskSource.choices)
    fingerprint = models.CharField("指纹", max_length=200, unique=True)
    rule = models.CharField("规则编码", max_length=40, blank=True, db_index=True)
    org = models.ForeignKey(Organization, verbose_name="组织", on_delete=models.PROTECT, related_name="+")
    top_org = models.ForeignKey(Organization, verbose_name="所属集团", on_delete=models.PROTECT, related_name="+")
    period = models.CharField("期间", max_length=20, blank=True)
    year = models.PositiveIntegerField("年度", null=True, blank=True, db_index=True)
    activity = models.ForeignKey("meetings.Activity", verbose_name="活动", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    member = models.ForeignKey(Member, verbose_name="党员", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    follow_up = models.ForeignKey("meetings.FollowUpItem", verbose_name="整改事项", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    evidence_ids = models.JSONField("相关活动", default=list, blank=True)  # the finding's evidence (activity ids)
    title = models.CharField("标题", max_length=200)
    description = models.TextField("问题描述", blank=True)
    owner = models.ForeignKey(Member, verbose_name="责任人", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="负责用户", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    deadline = models.DateField("整改时限", null=True, blank=True)
    measures = models.TextField("整改措施", blank=True)
    evidence = models.TextField("整改佐证", blank=True)
    status = models.CharField("状态", max_length=20, choices=TaskStatus.choices, default=TaskStatus.OPEN,
                              db_index=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_note = models.TextField("审核意见", blank=True)
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)
    auto_close_note = models.TextField("自动关闭说明", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = "整改任务"
        verbose_name_plural = "整改任务"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title[:60]

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def is_overdue(self) -> bool:
        return not self.is_closed and self.deadline is not None and self.deadline < timezone.localdate()
