"""Organizations (the 党委 → 党总支 → 党支部 → 党小组 tree), work teams, members, posts, users and roles."""

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from treebeard.mp_tree import MP_Node

from dangjian.core.treepaths import subtree_q


class OrgKind(models.TextChoices):
    COMMITTEE = "committee", "党委"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"
    GROUP = "group", "党小组"


# Which kinds may sit directly under which (IMPORT_FORMAT.md, sheet 组织).
ALLOWED_PARENT_KINDS: dict[str, tuple[str, ...]] = {
    OrgKind.COMMITTEE: (OrgKind.COMMITTEE,),
    OrgKind.GENERAL_BRANCH: (OrgKind.COMMITTEE,),
    OrgKind.BRANCH: (OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH),
    OrgKind.GROUP: (OrgKind.BRANCH,),
}
# Organizations that have elected terms (a 党小组 has none).
KINDS_WITH_TERM = (OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH)


def default_term_years(kind: str) -> int:
    return 5 if kind == OrgKind.COMMITTEE else 3


class Organization(MP_Node):
    code = models.CharField("组织编码", max_length=40, unique=True)
    name = models.CharField("组织名称", max_length=100)
    kind = models.CharField("组织类型", max_length=20, choices=OrgKind.choices)
    founded_on = models.DateField("成立日期", null=True, blank=True)
    term_started_on = models.DateField("本届任期开始", null=True, blank=True)
    term_years = models.PositiveSmallIntegerField("任期年限", null=True, blank=True)

    steplen = 4

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        constraints = [
            models.CheckConstraint(
                condition=Q(term_years__isnull=True) | Q(term_years__gte=1, term_years__lte=10),
                name="org_term_years_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_branch(self) -> bool:
        return self.kind == OrgKind.BRANCH

    @property
    def effective_term_years(self) -> int:
        return self.term_years or default_term_years(self.kind)

    @property
    def term_ends_on(self) -> dt.date | None:
        if not self.term_started_on or self.kind not in KINDS_WITH_TERM:
            return None
        start = self.term_started_on
        years = self.effective_term_years
        try:
            return start.replace(year=start.year + years)
        except ValueError:  # 29 February
            return start.replace(year=start.year + years, day=28)

    def subtree_q(self, prefix: str = "") -> Q:
        """A filter for rows whose organization (reached through `prefix`) is in this subtree."""
        return subtree_q(self.path, f"{prefix}path")


class WorkTeam(models.Model):
    """A 班组 (work team) under a 党支部; a red team has at least one party member."""

    code = models.CharField("班组编码", max_length=40, unique=True)
    name = models.CharField("班组名称", max_length=100)
    branch = models.ForeignKey(
        Organization, verbose_name="所属党支部", on_delete=models.PROTECT, related_name="teams"
    )
    staff_count = models.PositiveIntegerField("职工人数", null=True, blank=True)
    contact_member = models.ForeignKey(
        "Member", verbose_name="联系党员", null=True, blank=True, on_delete=models.SET_NULL, related_name="contact_teams"
    )

    class Meta:
        verbose_name = "班组"
        verbose_name_plural = "班组"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Category(models.TextChoices):
    APPLICANT = "applicant", "入党申请人"
    ACTIVIST = "activist", "入党积极分子"
    CANDIDATE = "candidate", "发展对象"
    PROBATIONARY = "probationary", "预备党员"
    FULL = "full", "正式党员"


# The order of the categories, and the date that marks entry into each.
CATEGORY_ORDER = [Category.APPLICANT, Category.ACTIVIST, Category.CANDIDATE, Category.PROBATIONARY, Category.FULL]
CATEGORY_DATE_FIELD = {
    Category.APPLICANT: "applied_on",
    Category.ACTIVIST: "activist_on",
    Category.CANDIDATE: "candidate_on",
    Category.PROBATIONARY: "admitted_on",
    Category.FULL: "full_on",
}
PARTY_MEMBER_CATEGORIES = (Category.PROBATIONARY, Category.FULL)


class Gender(models.TextChoices):
    MALE = "男", "男"
    FEMALE = "女", "女"


class WorkStatus(models.TextChoices):
    WORKING = "在岗", "在岗"
    RETIRED = "退休", "退休"
    STUDENT = "学生", "学生"
    OTHER = "其他", "其他"


class Member(models.Model):
    """A person on the roster: an applicant, activist, candidate, probationary or full party member."""

    id_number = models.CharField("身份证号", max_length=18, unique=True)
    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=2, choices=Gender.choices)
    birth_date = models.DateField("出生日期")
    category = models.CharField("人员类别", max_length=20, choices=Category.choices, db_index=True)
    branch = models.ForeignKey(
        Organization, verbose_name="所在党支部", on_delete=models.PROTECT, related_name="members"
    )
    group = models.ForeignKey(
        Organization, verbose_name="党小组", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="group_members",
    )
    team = models.ForeignKey(
        WorkTeam, verbose_name="班组", null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    applied_on = models.DateField("申请入党日期", null=True, blank=True)
    activist_on = models.DateField("确定积极分子日期", null=True, blank=True)
    candidate_on = models.DateField("确定发展对象日期", null=True, blank=True)
    admitted_on = models.DateField("接收预备党员日期", null=True, blank=True)
    full_on = models.DateField("转正日期", null=True, blank=True)
    ethnicity = models.CharField("民族", max_length=20, blank=True)
    education = models.CharField("学历", max_length=20, blank=True)
    job_post = models.CharField("岗位", max_length=50, blank=True, db_index=True)
    admin_title = models.CharField("行政职务", max_length=50, blank=True)
    phone = models.CharField("手机号码", max_length=20, blank=True)
    work_status = models.CharField("工作状态", max_length=10, choices=WorkStatus.choices, default=WorkStatus.WORKING)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "党员"
        verbose_name_plural = "党员"
        ordering = ["branch_id", "name", "id"]
        indexes = [models.Index(fields=["branch", "category"]), models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_party_member(self) -> bool:
        return self.category in PARTY_MEMBER_CATEGORIES


class PartyPost(models.TextChoices):
    SECRETARY = "书记", "书记"
    DEPUTY_SECRETARY = "副书记", "副书记"
    ORGANIZATION = "组织委员", "组织委员"
    PUBLICITY = "宣传委员", "宣传委员"
    DISCIPLINE = "纪检委员", "纪检委员"
    YOUTH = "青年委员", "青年委员"
    COMMITTEE = "委员", "委员"
    GROUP_LEADER = "党小组长", "党小组长"


# Posts that sit on the branch committee (支部委员会); the 党小组长 does not.
COMMITTEE_POSTS = tuple(p for p in PartyPost if p != PartyPost.GROUP_LEADER)


class MemberPost(models.Model):
    """One 党内职务 held by a member: a committee post in their branch, or 党小组长 of their group."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="posts")
    post = models.CharField("党内职务", max_length=10, choices=PartyPost.choices)

    class Meta:
        verbose_name = "党内职务"
        verbose_name_plural = "党内职务"
        constraints = [models.UniqueConstraint(fields=["member", "post"], name="member_post_unique")]

    def __str__(self) -> str:
        return f"{self.member} {self.post}"


class User(AbstractUser):
    """A login. Linked to a roster member where the user is one."""

    member = models.OneToOneField(
        Member, verbose_name="对应党员", null=True, blank=True, on_delete=models.SET_NULL, related_name="user"
    )
    display_name = models.CharField("显示名称", max_length=50, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.display_name or self.username


class Role(models.TextChoices):
    ORG_ADMIN = "org_admin", "组织管理员"
    BRANCH_SECRETARY = "branch_secretary", "支部书记"
    BRANCH_COMMITTEE = "branch_committee", "支部委员"


class RoleGrant(models.Model):
    """A role over an organization: an 组织管理员 over its subtree, a 支部书记/委员 over their branch.

    系统管理员 is `User.is_superuser`; a plain 党员 needs no grant (they see themself).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    org = models.ForeignKey(Organization, verbose_name="组织", on_delete=models.CASCADE, related_name="role_grants")

    class Meta:
        verbose_name = "角色授权"
        verbose_name_plural = "角色授权"
        constraints = [models.UniqueConstraint(fields=["user", "role", "org"], name="role_grant_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.org}"


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("名称", max_length=50)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField("前缀", max_length=8)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)

    class Meta:
        verbose_name = "API令牌"
        verbose_name_plural = "API令牌"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
