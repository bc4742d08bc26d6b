"""Request and response schemas of the organizations and members API.

Choices are sent as their Chinese labels (组织类型 党支部, 人员类别 正式党员); the API also accepts the stored
values (branch, full). Dates are ISO (YYYY-MM-DD). Write schemas reject unknown fields, so a typo is an
error instead of being silently ignored.
"""

import datetime as dt

from ninja import Field, Schema
from pydantic import ConfigDict


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


# --- errors --------------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str = Field(description="错误说明")


class FieldErrorOut(Schema):
    field: str = Field(description="出错的字段，如 id_number、parent_code；整体性的错误为 __all__")
    message: str = Field(description="错误说明")


class ValidationErrorOut(Schema):
    detail: list[FieldErrorOut]


# --- organizations -------------------------------------------------------------------------------


class OrgOut(Schema):
    code: str = Field(description="组织编码")
    name: str = Field(description="组织名称")
    kind: str = Field(description="组织类型：党委/党总支/党支部/党小组")
    parent_code: str | None = Field(description="上级组织编码；最上级组织为 null")
    depth: int = Field(description="层级，最上级组织为1")
    founded_on: dt.date | None = Field(description="成立日期")
    term_started_on: dt.date | None = Field(description="本届任期开始")
    term_years: int | None = Field(description="任期年限（空则按类型默认：党委5年，其他3年）")
    term_ends_on: dt.date | None = Field(description="本届任期届满日期")


class OrgPage(Schema):
    total: int
    limit: int
    offset: int
    items: list[OrgOut]


class WarningOut(Schema):
    code: str = Field(description="规则编码，如 ORG-SIZE-MIN")
    level: str = Field(description="danger 或 warning")
    message: str


class CoverageOut(Schema):
    teams: int = Field(description="班组数")
    red_teams: int = Field(description="有党员的班组（红色班组）数")
    ratio: float | None = Field(description="覆盖率（0~1）；没有班组时为 null")
    percent: str = Field(description="覆盖率，如 87.5%；没有班组时为 —")


class OrgDetailOut(OrgOut):
    members: dict[str, int] = Field(description="本组织直属人员按人员类别计数（党支部有直属人员）")
    subtree_members: dict[str, int] = Field(description="本组织及下级组织人员按人员类别计数")
    party_members: int = Field(description="直属党员数（正式+预备）")
    subtree_party_members: int = Field(description="本组织及下级组织党员数（正式+预备）")
    committee_posts: int = Field(description="已配备的支部委员人数")
    subtree_branches: int = Field(description="本组织及下级组织中的党支部数")
    warnings: list[WarningOut] = Field(description="本组织的设置提醒（人数、委员会、换届）")
    subtree_warning_count: int = Field(description="本组织及下级组织的提醒总数")
    coverage: CoverageOut = Field(description="本组织及下级组织的红色班组覆盖情况")


class OrgCreateIn(StrictSchema):
    code: str = Field(description="组织编码（唯一）")
    name: str = Field(description="组织名称")
    kind: str = Field(description="组织类型：党委/党总支/党支部/党小组")
    parent_code: str | None = Field(None, description="上级组织编码；只有系统管理员可以新建最上级党委")
    founded_on: dt.date | None = None
    term_started_on: dt.date | None = None
    term_years: int | None = None


class OrgPatchIn(StrictSchema):
    """Only the fields sent are changed; `parent_code` moves the organization."""

    code: str | None = None
    name: str | None = None
    kind: str | None = None
    parent_code: str | None = Field(None, description="新的上级组织编码（移动组织）")
    founded_on: dt.date | None = None
    term_started_on: dt.date | None = None
    term_years: int | None = None


# --- members -------------------------------------------------------------------------------------


class MemberOut(Schema):
    id: int
    name: str = Field(description="姓名")
    gender: str = Field(description="性别（由身份证号得出）")
    birth_date: dt.date = Field(description="出生日期（由身份证号得出）")
    category: str = Field(description="人员类别：入党申请人/入党积极分子/发展对象/预备党员/正式党员")
    branch_code: str = Field(description="所在党支部编码")
    branch_name: str = Field(description="所在党支部名称")
    group_code: str | None = Field(description="党小组编码")
    team_code: str | None = Field(description="班组编码")
    posts: list[str] = Field(description="党内职务")
    admin_title: str = Field(description="行政职务")
    job_post: str = Field(description="岗位")
    education: str = Field(description="学历")
    ethnicity: str = Field(description="民族")
    work_status: str = Field(description="工作状态")
    applied_on: dt.date | None = Field(description="申请入党日期")
    activist_on: dt.date | None = Field(description="确定积极分子日期")
    candidate_on: dt.date | None = Field(description="确定发展对象日期")
    admitted_on: dt.date | None = Field(description="接收预备党员日期")
    full_on: dt.date | None = Field(description="转正日期")
    id_number: str = Field(description="身份证号（无权查看时部分隐去）")
    id_number_masked: bool = Field(description="身份证号是否已隐去")
    phone: str = Field(description="手机号码（无权查看时部分隐去）")
    phone_masked: bool = Field(description="手机号码是否已隐去")


class MemberPage(Schema):
    total: int
    limit: int
    offset: int
    items: list[MemberOut]


class MemberCreateIn(StrictSchema):
    id_number: str = Field(description="身份证号（18位）")
    name: str
    category: str = Field(description="人员类别")
    branch_code: str = Field(description="所在党支部编码")
    group_code: str | None = Field(None, description="党小组编码")
    team_code: str | None = Field(None, description="班组编码")
    posts: list[str] = Field(default_factory=list, description="党内职务，如 [\"书记\"]")
    applied_on: dt.date | None = None
    activist_on: dt.date | None = None
    candidate_on: dt.date | None = None
    admitted_on: dt.date | None = None
    full_on: dt.date | None = None
    ethnicity: str = ""
    education: str = ""
    job_post: str = ""
    admin_title: str = ""
    phone: str = ""
    work_status: str = Field("在岗", description="工作状态：在岗/退休/学生/其他")


class MemberPatchIn(StrictSchema):
    """Only the fields sent are changed; group_code/team_code null takes the member out of the group/team,
    posts null or [] clears the posts."""

    id_number: str | None = None
    name: str | None = None
    category: str | None = None
    branch_code: str | None = None
    group_code: str | None = None
    team_code: str | None = None
    posts: list[str] | None = None
    applied_on: dt.date | None = None
    activist_on: dt.date | None = None
    candidate_on: dt.date | None = None
    admitted_on: dt.date | None = None
    full_on: dt.date | None = None
    ethnicity: str | None = None
    education: str | None = None
    job_post: str | None = None
    admin_title: str | None = None
    phone: str | None = None
    work_status: str | None = None


# --- teams ---------------------------------------------------------------------------------------


class TeamOut(Schema):
    code: str = Field(description="班组编码")
    name: str = Field(description="班组名称")
    branch_code: str = Field(description="所属党支部编码")
    staff_count: int | None = Field(description="职工人数")
    party_members: int = Field(description="班组中的党员数（正式+预备）")
    is_red: bool = Field(description="是否红色班组（有党员）")
    contact_member: str | None = Field(description="联系党员姓名")


class TeamPage(Schema):
    total: int
    limit: int
    offset: int
    items: list[TeamOut]
    coverage: CoverageOut = Field(description="筛选范围内全部班组的红色班组覆盖情况")
