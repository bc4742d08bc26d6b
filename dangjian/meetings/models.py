"""Work templates (the "1+13") and the activity records kept from them: meetings, attendance, evidence."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.orgs.models import Member, Organization


class ActivityKind(models.TextChoices):
    """The kinds of work, one template each. Labels are the 活动类型 of the standard workbook."""

    BRANCH_ASSEMBLY = "branch_assembly", "支部党员大会"
    COMMITTEE_MEETING = "committee_meeting", "支部委员会"
    GROUP_MEETING = "group_meeting", "党小组会"
    PARTY_LECTURE = "party_lecture", "党课"
    THEME_DAY = "theme_day", "主题党日"
    LIFE_MEETING = "life_meeting", "组织生活会"
    MEMBER_APPRAISAL = "member_appraisal", "民主评议党员"
    HEART_TALK = "heart_talk", "谈心谈话"
    TOPIC_STUDY = "topic_study", "专题学习"
    VOLUNTEER = "volunteer", "志愿服务"
    CAMPAIGN = "campaign", "党员主题实践活动"
    RECRUITMENT_MEETING = "recruitment_meeting", "发展党员会议"
    OTHER = "other", "其他"


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", "计划"
    NOTIFIED = "notified", "已通知"
    HELD = "held", "已召开"
    ARCHIVED = "archived", "已归档"


# The lifecycle moves forward one step at a time (an archived record is final).
NEXT_STATUS = {
    ActivityStatus.PLANNED: ActivityStatus.NOTIFIED,
    ActivityStatus.NOTIFIED: ActivityStatus.HELD,
    ActivityStatus.HELD: ActivityStatus.ARCHIVED,
}


class TemplateVersion(models.Model):
    """A group's or branch's own version of a work template, for its subtree, from a date.

    The system's default templates are the YAML files in standards/templates/; a version here holds a
    whole template (the same keys), so that what a branch saw on a date can always be shown again.
    """

    kind = models.CharField("模板", max_length=30, choices=ActivityKind.choices)
    org = models.ForeignKey(Organization, verbose_name="适用组织（含下级）", on_delete=models.CASCADE,
                            related_name="template_versions")
    effective_from = models.DateField("生效日期")
    content = models.JSONField("模板内容")
    note = models.CharField("调整说明", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True,
                                   on_delete=models.SET_NULL)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "模板版本"
        verbose_name_plural = "模板版本"
        ordering = ["kind", "org_id", "-effective_from", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "org", "effective_from"], name="template_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.org} · {self.effective_from}"


class Activity(models.Model):
    """One activity (a meeting, a lecture, a theme day …) held by a 党支部 or 党小组."""

    code = models.CharField("活动编号", max_length=40, unique=True)
    org = models.ForeignKey(Organization, verbose_name="组织", on_delete=models.PROTECT, related_name="activities")
    # The top-level organization, so that records can later be sharded or replicated by group (DESIGN §7).
    top_org = models.ForeignKey(Organization, verbose_name="所属集团", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("活动类型", max_length=30, choices=ActivityKind.choices, db_index=True)
    template_ref = models.CharField("所用模板版本", max_length=40, blank=True)
    title = models.CharField("主题", max_length=200)
    starts_at = models.DateTimeField("开始时间", db_index=True)
    ends_at = models.DateTimeField("结束时间", null=True, blank=True)
    place = models.CharField("地点", max_length=100, blank=True)
    online = models.BooleanField("线上开展", default=False)
    host = models.ForeignKey(Member, verbose_name="主持人", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    recorder = models.ForeignKey(Member, verbose_name="记录人", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    lecturer = models.ForeignKey(Member, verbose_name="讲课人", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    agenda = models.TextField("议程", blank=True)
    minutes = models.TextField("会议记录", blank=True)
    status = models.CharField("状态", max_length=10, choices=ActivityStatus.choices, default=ActivityStatus.PLANNED,
                              db_index=True)
    five_ding = models.JSONField("五定", default=dict, blank=True)
    steps_done = models.JSONField("已完成步骤", default=list, blank=True)
    tags = models.JSONField("党建+标签", default=list, blank=True)
    late_entry = models.BooleanField("补录", default=False)
    recorded_at = models.DateTimeField("记录时间", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "组织生活记录"
        verbose_name_plural = "组织生活记录"
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["org", "starts_at"]),
            models.Index(fields=["top_org", "kind", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__isnull=True) | Q(ends_at__gte=models.F("starts_at")),
                                   name="activity_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.get_kind_display()}）"


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "出席"
    LEAVE = "leave", "请假"
    ABSENT = "absent", "缺席"


class Attendance(models.Model):
    """Whether one expected member attended. An expected member with no row counts as 缺席."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(Member, verbose_name="人员", on_delete=models.CASCADE, related_name="attendance")
    status = models.CharField("出勤情况", max_length=10, choices=AttendanceStatus.choices)
    reason = models.CharField("说明", max_length=200, blank=True)
    requested_by_member = models.BooleanField("本人请假", default=False)

    class Meta:
        verbose_name = "出勤"
        verbose_name_plural = "出勤"
        constraints = [models.UniqueConstraint(fields=["activity", "member"], name="attendance_unique")]
        indexes = [models.Index(fields=["member", "activity"])]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_status_display()}"


class EvidenceKind(models.TextChoices):
    SIGNIN = "signin", "签到表"
    MINUTES = "minutes", "会议记录"
    PHOTO = "photo", "现场照片"
    MATERIAL = "material", "学习材料"
    OTHER = "other", "其他"


class Evidence(models.Model):
    """An uploaded file (image, PDF, Word) backing an activity. Served only through an access-checked view."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField("类型", max_length=10, choices=EvidenceKind.choices, default=EvidenceKind.OTHER)
    file = models.FileField("文件", upload_to="evidence/%Y/%m/")
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("文件类型", max_length=100)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class AppraisalGrade(models.TextChoices):
    EXCELLENT = "优秀", "优秀"
    QUALIFIED = "合格", "合格"
    BASIC = "基本合格", "基本合格"
    UNQUALIFIED = "不合格", "不合格"


class Appraisal(models.Model):
    """A member's grade in a 民主评议党员."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="appraisals")
    member = models.ForeignKey(Member, verbose_name="党员", on_delete=models.CASCADE, related_name="appraisals")
    grade = models.CharField("评议等次", max_length=10, choices=AppraisalGrade.choices)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "民主评议等次"
        verbose_name_plural = "民主评议等次"
        constraints = [models.UniqueConstraint(fields=["activity", "member"], name="appraisal_unique")]

    def __str__(self) -> str:
        return f"{self.member} · {self.grade}"


class FollowUpItem(models.Model):
    """An item of the rectification list (整改清单) that a 组织生活会 produces."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="follow_ups")
    content = models.TextField("问题与整改措施")
    owner = models.ForeignKey(Member, verbose_name="责任人", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    due_on = models.DateField("整改时限", null=True, blank=True)
    done = models.BooleanField("已完成", default=False)

    class Meta:
        verbose_name = "整改事项"
        verbose_name_plural = "整改事项"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.content[:40]
