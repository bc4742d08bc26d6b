"""Member points (党员积分制): the ledger of entries, members' claims, "1+N" special assessments and pack versions.

The ledger is append-only: an entry is never updated or deleted; a correction is a reversing entry
(`reverses` set, points negated) with a reason. Totals are computed from the ledger by the engine.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.orgs.models import Member, Organization


class EntrySource(models.TextChoices):
    AUTO = "auto", "自动"
    AWARDED = "awarded", "评分"
    DECLARED = "declared", "申报"


class ClaimStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "已驳回"


class SpecialAssessment(models.Model):
    """A "N" of "1+N": a campaign with its own window, rules, cap and weight, for an organization's subtree."""

    org = models.ForeignKey(Organization, verbose_name="适用组织（含下级）", on_delete=models.PROTECT,
                            related_name="point_specials")
    name = models.CharField("专项名称", max_length=100)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    weight = models.DecimalField("计入总分权重", max_digits=5, decimal_places=2)
    max_points = models.DecimalField("专项满分", max_digits=7, decimal_places=1)
    rules = models.JSONField("专项规则", default=list, blank=True)
    note = models.TextField("说明", blank=True)
    active = models.BooleanField("启用", default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "专项考核"
        verbose_name_plural = "专项考核"
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="points_special_window"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="points_special_weight"),
            models.CheckConstraint(condition=Q(max_points__gt=0), name="points_special_max"),
        ]

    def __str__(self) -> str:
        return self.name


class PointPackVersion(models.Model):
    """An organization's own point pack for its subtree, from a date (the whole pack, validated)."""

    org = models.ForeignKey(Organization, verbose_name="适用组织（含下级）", on_delete=models.CASCADE,
                            related_name="point_pack_versions")
    effective_from = models.DateField("生效日期")
    content = models.JSONField("规则包内容")
    source_text = models.TextField("规则包原文（YAML）")
    note = models.CharField("调整说明", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "积分规则版本"
        verbose_name_plural = "积分规则版本"
        ordering = ["org_id", "-effective_from", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "effective_from"], name="points_pack_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.org} · {self.effective_from}"


class PointClaim(models.Model):
    """A member's declaration of a point item, with evidence, waiting for an officer's decision."""

    member = models.ForeignKey(Member, verbose_name="党员", on_delete=models.CASCADE, related_name="point_claims")
    org = models.ForeignKey(Organization, verbose_name="所在党支部", on_delete=models.PROTECT, related_name="+")
    rule = models.CharField("规则编码", max_length=40)
    category = models.CharField("积分类别", max_length=40)
    assessment = models.ForeignKey(SpecialAssessment, verbose_name="专项考核", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="claims")
    points = models.DecimalField("申报分值", max_digits=7, decimal_places=1)
    occurred_on = models.DateField("发生日期")
    reason = models.TextField("申报事由")
    evidence = models.FileField("佐证材料", upload_to="points/claims/%Y/%m/", blank=True)
    evidence_name = models.CharField("原文件名", max_length=200, blank=True)
    evidence_type = models.CharField("文件类型", max_length=100, blank=True)
    status = models.CharField("状态", max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.PENDING,
                              db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申报人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("申报时间", auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审批人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.TextField("审批意见", blank=True)
    # RESTRICT, not PROTECT: a member's entries and claims may go together when the member is deleted.
    entry = models.ForeignKey("PointEntry", verbose_name="积分记录", null=True, blank=True,
                              on_delete=models.RESTRICT, related_name="+")

    class Meta:
        verbose_name = "积分申报"
        verbose_name_plural = "积分申报"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "status"]), models.Index(fields=["member", "status"])]
        constraints = [models.CheckConstraint(condition=Q(points__gt=0), name="points_claim_positive")]

    def __str__(self) -> str:
        return f"{self.member} · {self.rule} · {self.points}"


class PointEntry(models.Model):
    """One line of the points ledger. Never updated or deleted: corrections are reversing entries."""

    member = models.ForeignKey(Member, verbose_name="党员", on_delete=models.CASCADE, related_name="point_entries",
                               db_index=False)  # (member, year) serves it
    org = models.ForeignKey(Organization, verbose_name="所在党支部", on_delete=models.PROTECT, related_name="+",
                            db_index=False)  # (org, year) serves it
    # The top-level organization, so that the ledger can later be sharded by group (DESIGN §7).
    top_org = models.ForeignKey(Organization, verbose_name="所属集团", on_delete=models.PROTECT, related_name="+",
                                db_index=False)  # (top_org, year, member) serves it
    assessment = models.ForeignKey(SpecialAssessment, verbose_name="专项考核", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="entries", db_index=False)
    rule = models.CharField("规则编码", max_length=40)
    category = models.CharField("积分类别", max_length=40)
    points = models.DecimalField("分值", max_digits=7, decimal_places=1)
    occurred_on = models.DateField("发生日期")
    year = models.PositiveSmallIntegerField("年度")
    period = models.CharField("月份", max_length=7)  # YYYY-MM
    slot = models.CharField("评分期间", max_length=7, blank=True)  # '' or 2026-Q1 / 2026-03 (mean rules)
    source = models.CharField("来源", max_length=10, choices=EntrySource.choices)
    source_key = models.CharField("来源记录", max_length=80)
    activity = models.ForeignKey("meetings.Activity", verbose_name="活动", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    claim = models.ForeignKey(PointClaim, verbose_name="申报", null=True, blank=True, on_delete=models.RESTRICT,
                              related_name="+", db_index=False)  # the claim points to its entry
    reverses = models.OneToOneField("self", verbose_name="冲销的记录", null=True, blank=True,
                                    on_delete=models.RESTRICT, related_name="reversed_by")
    reason = models.TextField("事由", blank=True)
    # Not indexed: millions of automatic rows carry none, and nothing lists entries by who wrote them.
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="录入人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", db_index=False)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审批人", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+", db_index=False)
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "积分记录"
        verbose_name_plural = "积分记录"
        ordering = ["-occurred_on", "-id"]
        indexes = [
            # Covers the totals aggregate (year_table): rows come in group order, no table lookups.
            models.Index(fields=["top_org", "year", "member", "category", "assessment", "slot", "reverses", "points"],
                         name="points_entry_totals_cover"),
            models.Index(fields=["rule", "source_key"], name="points_entry_source"),
            models.Index(fields=["member", "year"], name="points_entry_member_year"),
            models.Index(fields=["org", "year"], name="points_entry_org_year"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} · {self.rule} · {self.points}"

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None
