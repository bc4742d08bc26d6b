"""Assessment process records: evaluations (自评 → 审核 → 认定), item scores, veto marks, checklists (清单化),
posts (岗位KPI / 示范岗 / 先锋岗 / 责任区) and KPI indicators with their values.

The schemes themselves are data (standards/schemes/*.yaml); the scores are computed by the pure engine. These
models hold only what people enter and, once confirmed, the frozen result.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.orgs.models import Member, Organization, WorkTeam


class SubjectKind(models.TextChoices):
    BRANCH = "branch", "党支部"
    MEMBER = "member", "党员"
    TEAM = "team", "班组"
    POST = "post", "岗位"


class EvaluationStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已自评"
    REVIEWED = "reviewed", "已审核"
    CONFIRMED = "confirmed", "已认定"
    SUPERSEDED = "superseded", "已重评"


class Stage(models.TextChoices):
    SELF = "self", "自评"
    REVIEW = "review", "审核"


class PostKind(models.TextChoices):
    KPI = "kpi", "岗位KPI"
    MODEL = "model", "党员示范岗"
    VANGUARD = "vanguard", "党员先锋岗"
    ZONE = "zone", "党员责任区"


def _user_fk(label: str) -> models.ForeignKey:
    return models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=label, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")


class Post(models.Model):
    """A post of a branch: a KPI post, a 党员示范岗 / 先锋岗, or a 党员责任区."""

    org = models.ForeignKey(Organization, verbose_name="所属党支部", on_delete=models.PROTECT,
                            related_name="assessment_posts")
    name = models.CharField("岗位名称", max_length=100)
    kind = models.CharField("岗位类型", max_length=20, choices=PostKind.choices, db_index=True)
    holder = models.ForeignKey(Member, verbose_name="在岗党员", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="assessment_posts")
    active = models.BooleanField("有效", default=True)
    since = models.DateField("设立日期", null=True, blank=True)
    note = models.TextField("说明", blank=True)
    created_by = _user_fk("创建人")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "考核岗位"
        verbose_name_plural = "考核岗位"
        ordering = ["org_id", "kind", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["org", "kind", "name"], name="assessment_post_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def subject_key(self) -> str:
        return f"post:{self.pk}"


class KpiIndicator(models.Model):
    """One KPI indicator of a post, weighted by its coefficient (系数)."""

    post = models.ForeignKey(Post, verbose_name="岗位", on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField("指标编码", max_length=40)
    name = models.CharField("指标名称", max_length=100)
    unit = models.CharField("单位", max_length=20, blank=True)
    coefficient = models.DecimalField("系数", max_digits=6, decimal_places=2, default=1)
    higher_is_better = models.BooleanField("越高越好", default=True)
    from_year = models.PositiveIntegerField("起始年度")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "KPI指标"
        verbose_name_plural = "KPI指标"
        ordering = ["post_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["post", "code"], name="assessment_kpi_indicator_unique"),
            models.CheckConstraint(condition=Q(coefficient__gt=0), name="assessment_kpi_coefficient_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.post} · {self.name}"


class KpiValue(models.Model):
    """The target and the actual value of an indicator for a period (`2026`, `2026-Q2`, `2026-06`)."""

    indicator = models.ForeignKey(KpiIndicator, verbose_name="指标", on_delete=models.CASCADE, related_name="values")
    period = models.CharField("期间", max_length=10)
    year = models.PositiveIntegerField("年度", db_index=True)
    target = models.DecimalField("目标值", max_digits=16, decimal_places=4)
    actual = models.DecimalField("实际值", max_digits=16, decimal_places=4, null=True, blank=True)
    note = models.TextField("说明", blank=True)
    by = _user_fk("录入人")
    at = models.DateTimeField("录入时间", auto_now=True)

    class Meta:
        verbose_name = "KPI数值"
        verbose_name_plural = "KPI数值"
        ordering = ["indicator_id", "period"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "period"], name="assessment_kpi_value_unique"),
            models.CheckConstraint(condition=Q(target__gt=0), name="assessment_kpi_target_positive"),
            models.CheckConstraint(condition=Q(actual__isnull=True) | Q(actual__gte=0),
                                   name="assessment_kpi_actual_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.period}"


class ChecklistItem(models.Model):
    """A creation target set in advance (创建清单), for a branch or for one member of it."""

    org = models.ForeignKey(Organization, verbose_name="党支部", on_delete=models.PROTECT,
                            related_name="checklist_items")
    member = models.ForeignKey(Member, verbose_name="党员", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="checklist_items")
    year = models.PositiveIntegerField("年度", db_index=True)
    title = models.CharField("事项", max_length=200)
    target = models.TextField("目标要求", blank=True)
    feeds = models.CharField("计入考核项", max_length=80, blank=True)  # a scheme item code, e.g. "basic_role.checklist"
    due_on = models.DateField("完成时限")
    done_on = models.DateField("完成日期", null=True, blank=True)
    evidence = models.TextField("完成佐证", blank=True)
    created_by = _user_fk("创建人")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "创建清单事项"
        verbose_name_plural = "创建清单事项"
        ordering = ["org_id", "year", "due_on", "id"]
        indexes = [models.Index(fields=["org", "year"]), models.Index(fields=["member", "year"])]

    def __str__(self) -> str:
        return self.title[:60]

    @property
    def is_done(self) -> bool:
        return self.done_on is not None

    @property
    def done_in_time(self) -> bool:
        return self.done_on is not None and self.done_on <= self.due_on


class Evaluation(models.Model):
    """One version of a scheme's evaluation of one subject for one period.

    `result` is empty until confirmation (认定); then it holds the engine's result as it was, with the scheme
    version and the fingerprint of the inputs, and is never recomputed.
    """

    scheme = models.CharField("考核方案", max_length=40)
    scheme_version = models.CharField("方案版本", max_length=20, blank=True)
    subject_kind = models.CharField("考核对象类型", max_length=10, choices=SubjectKind.choices)
    subject_key = models.CharField("考核对象", max_length=40)  # "org:12" | "member:5" | "team:3" | "post:7"
    org = models.ForeignKey(Organization, verbose_name="党支部", on_delete=models.PROTECT,
                            related_name="evaluations")
    member = models.ForeignKey(Member, verbose_name="党员", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="evaluations")
    team = models.ForeignKey(WorkTeam, verbose_name="班组", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="evaluations")
    post = models.ForeignKey(Post, verbose_name="岗位", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="evaluations")
    top_org = models.ForeignKey(Organization, verbose_name="所属集团", on_delete=models.PROTECT, related_name="+")
    period = models.CharField("考核期间", max_length=10)  # "2026" | "2026-Q2" | "2026-03"
    year = models.PositiveIntegerField("年度", db_index=True)
    version = models.PositiveIntegerField("版本", default=1)
    status = models.CharField("状态", max_length=12, choices=EvaluationStatus.choices,
                              default=EvaluationStatus.DRAFT, db_index=True)
    score = models.DecimalField("得分", max_digits=7, decimal_places=2, null=True, blank=True)
    level = models.CharField("等级", max_length=20, blank=True)
    vetoed = models.BooleanField("一票否决", default=False)
    result = models.JSONField("认定结果", null=True, blank=True)
    fingerprint = models.CharField("输入指纹", max_length=64, blank=True)
    self_note = models.TextField("自评说明", blank=True)
    review_note = models.TextField("审核意见", blank=True)
    return_note = models.TextField("退回理由", blank=True)
    reevaluation_note = models.TextField("重评理由", blank=True)  # why this version replaced the previous one
    previous = models.ForeignKey("self", verbose_name="上一版本", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    submitted_by = _user_fk("自评提交人")
    submitted_at = models.DateTimeField("自评提交时间", null=True, blank=True)
    reviewed_by = _user_fk("审核人")
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    confirmed_by = _user_fk("认定人")
    confirmed_at = models.DateTimeField("认定时间", null=True, blank=True)
    returned_by = _user_fk("退回人")
    returned_at = models.DateTimeField("退回时间", null=True, blank=True)
    created_by = _user_fk("创建人")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "考核评价"
        verbose_name_plural = "考核评价"
        ordering = ["scheme", "period", "subject_key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "subject_key", "period", "version"],
                                    name="assessment_evaluation_version_unique"),
            # At most one live (not superseded) version per scheme, subject and period.
            models.UniqueConstraint(fields=["scheme", "subject_key", "period"],
                                    condition=~Q(status="superseded"), name="assessment_evaluation_one_current"),
            models.CheckConstraint(condition=Q(version__gte=1), name="assessment_evaluation_version_positive"),
        ]
        indexes = [
            models.Index(fields=["scheme", "period", "status"]),
            models.Index(fields=["org", "scheme", "period"]),
        ]

    def __str__(self) -> str:
        return f"{self.scheme} {self.subject_key} {self.period} v{self.version}"

    @property
    def is_frozen(self) -> bool:
        return self.status in (EvaluationStatus.CONFIRMED, EvaluationStatus.SUPERSEDED) and self.result is not None


class ItemScore(models.Model):
    """A person's points for one item of a scheme, at the self-assessment or the review stage."""

    evaluation = models.ForeignKey(Evaluation, verbose_name="考核评价", on_delete=models.CASCADE,
                                   related_name="item_scores")
    item = models.CharField("考核项", max_length=80)  # "dimension.item"
    stage = models.CharField("阶段", max_length=10, choices=Stage.choices)
    points = models.DecimalField("得分", max_digits=7, decimal_places=2)
    note = models.TextField("说明/理由", blank=True)
    evidence = models.TextField("佐证材料", blank=True)
    by = _user_fk("评分人")
    at = models.DateTimeField("评分时间", auto_now=True)

    class Meta:
        verbose_name = "考核项得分"
        verbose_name_plural = "考核项得分"
        ordering = ["evaluation_id", "item", "stage"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "item", "stage"], name="assessment_item_score_unique"),
            models.CheckConstraint(condition=Q(points__gte=0), name="assessment_item_score_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.get_stage_display()} {self.points}"


class VetoMark(models.Model):
    """A 一票否决 marked by a person (with the reason) on an evaluation."""

    evaluation = models.ForeignKey(Evaluation, verbose_name="考核评价", on_delete=models.CASCADE,
                                   related_name="veto_marks")
    veto = models.CharField("否决项", max_length=40)
    reason = models.TextField("理由")
    stage = models.CharField("阶段", max_length=10, choices=Stage.choices)
    by = _user_fk("标记人")
    at = models.DateTimeField("标记时间", auto_now=True)

    class Meta:
        verbose_name = "一票否决标记"
        verbose_name_plural = "一票否决标记"
        ordering = ["evaluation_id", "veto"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "veto"], name="assessment_veto_mark_unique")]

    def __str__(self) -> str:
        return f"{self.veto} ({self.evaluation})"
