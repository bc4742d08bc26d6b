"""Request and response schemas of the member points API (党员积分).

Points are numbers with at most one decimal place (8, 7.5, -2). Dates are ISO (YYYY-MM-DD). Write schemas
reject unknown fields, so that a typo is an error instead of being silently ignored.
"""

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from dangjian.orgs.schemas import StrictSchema

Number = int | float


def number(value: Decimal | int | float | None) -> Number | None:
    """A point value as a JSON number: 8 rather than 8.0, 7.5 as it is."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


# --- read ----------------------------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


class ActivityRef(Schema):
    id: int
    code: str
    title: str


class EntryOut(Schema):
    id: int
    member: Ref = Field(description="党员")
    org: str = Field(description="记分时所在党支部编码")
    rule: str = Field(description="规则编码")
    rule_name: str = Field(description="规则名称")
    category: str = Field(description="积分类别编码")
    category_name: str = Field(description="积分类别名称（专项考核的记录为专项名称）")
    assessment: Ref | None = Field(description="所属专项考核（“1+N”中的N）；基本积分为 null")
    points: Number = Field(description="分值（冲销记录为相反数）")
    occurred_on: dt.date = Field(description="发生日期")
    period: str = Field(description="所在月份 YYYY-MM")
    slot: str = Field(description="评分期间（按月/季评分的规则，如 2026-Q1）；其他为空")
    source: str = Field(description="来源：自动/评分/申报")
    source_key: str = Field(description="来源记录，如 attendance:123、grid:2026-Q1")
    activity: ActivityRef | None = Field(description="来自哪次活动（自动记分）")
    claim_id: int | None = Field(description="来自哪条申报（申报通过）")
    reason: str = Field(description="事由")
    created_by: str | None = Field(description="录入人")
    approved_by: str | None = Field(description="审批人（申报通过的记录）")
    created_at: dt.datetime = Field(description="记录时间")
    reverses: int | None = Field(description="本条冲销的记录 id（冲销记录）")
    reversed_by: int | None = Field(description="冲销本条的记录 id（已被冲销）")


class EntryPage(Schema):
    total: int
    limit: int
    offset: int
    items: list[EntryOut]


class ClaimOut(Schema):
    id: int
    member: Ref = Field(description="申报的党员")
    org: str = Field(description="所在党支部编码")
    rule: str = Field(description="规则编码")
    rule_name: str = Field(description="规则名称")
    category: str = Field(description="积分类别编码")
    assessment: Ref | None = Field(description="所属专项考核；基本积分为 null")
    points: Number = Field(description="申报分值")
    occurred_on: dt.date = Field(description="发生日期")
    reason: str = Field(description="申报事由")
    has_evidence: bool = Field(description="是否附有佐证材料（在网页上查看）")
    status: str = Field(description="状态编码：pending/approved/rejected")
    status_label: str = Field(description="状态：待审批/已通过/已驳回")
    created_by: str | None = Field(description="申报人")
    created_at: dt.datetime = Field(description="申报时间")
    decided_by: str | None = Field(description="审批人")
    decided_at: dt.datetime | None = Field(description="审批时间")
    decision_note: str = Field(description="审批意见")
    entry_id: int | None = Field(description="通过后记入的积分记录 id")


class ClaimPage(Schema):
    total: int
    limit: int
    offset: int
    items: list[ClaimOut]


class SpecialOut(Schema):
    id: int
    org: str = Field(description="适用组织编码（含下级）")
    org_name: str
    name: str = Field(description="专项名称")
    starts_on: dt.date
    ends_on: dt.date
    weight: Number = Field(description="计入总分的权重（0 = 只在旁边显示）")
    max_points: Number = Field(description="专项满分")
    rules: list[dict] = Field(description="专项规则（与积分规则包的规则格式相同）")
    note: str
    active: bool


class SpecialPage(Schema):
    total: int
    limit: int
    offset: int
    items: list[SpecialOut]


class CategoryOut(Schema):
    code: str
    name: str = Field(description="类别名称")
    raw: Number = Field(description="未封顶的分数（基础分 + 各条记录）")
    value: Number = Field(description="计入总分的分数（封顶、保底后）")
    cap: Number = Field(description="本类满分")
    cut: Number = Field(description="封顶截去（正数）或保底补足（负数）的分数")
    missing: str | None = Field(description="缺少数据的说明（如“本年尚未评分”）；没有则为 null")


class SpecialValueOut(Schema):
    id: int
    name: str
    result: Number = Field(description="专项得分（封顶后）")
    weight: Number
    contribution: Number = Field(description="计入年度总分的分数（得分 × 权重）")


class MonthOut(Schema):
    month: str = Field(description="月份 YYYY-MM")
    points: Number = Field(description="当月净得分（各条记录之和）")


class MemberPointsOut(Schema):
    id: int
    name: str
    id_masked: str = Field(description="身份证号（部分隐去）")
    org: str = Field(description="所在党支部编码")
    org_name: str
    year: int
    is_party_member: bool = Field(description="是否党员（正式、预备）；不是党员则没有年度积分")
    total: Number | None = Field(description="年度总分（“1”的各类之和 + 专项的计入分）")
    grade: str | None = Field(description="等次（只对整个年度给出）")
    rank_in_branch: int | None = Field(description="在本支部的名次")
    branch_size: int = Field(description="本支部参加排名的党员数")
    rank_in_group: int | None = Field(description="在本党小组的名次（不在党小组则为 null）")
    group_size: int = Field(description="本党小组参加排名的党员数")
    categories: list[CategoryOut]
    specials: list[SpecialValueOut]
    missing: list[str] = Field(description="缺少数据的说明")
    months: list[MonthOut] = Field(description="逐月净得分（基本积分，不含专项）")
    entries: EntryPage = Field(description="积分记录（最新在前，分页）")
    claims: list[ClaimOut] = Field(description="本人的申报（最新在前，最多50条）")


# --- write ---------------------------------------------------------------------------------------


class EntryAwardIn(StrictSchema):
    member_id: int = Field(description="党员 id")
    rule: str = Field(description="规则编码（手工评分类规则，如 discipline_deduct）")
    points: Decimal = Field(description="分值（扣分为负数），最多一位小数")
    occurred_on: dt.date = Field(description="发生日期")
    reason: str = Field(max_length=1000, description="事由（扣分必填）")
    assessment_id: int | None = Field(None, description="专项考核 id（记入“N”时填写）")


class ReverseIn(StrictSchema):
    reason: str = Field(max_length=1000, description="冲销原因（必填）")


class ClaimCreateIn(StrictSchema):
    member_id: int | None = Field(None, description="党员 id；不填为本人")
    rule: str = Field(description="规则编码（申报类规则，如 service_declared）")
    points: Decimal = Field(description="申报分值，最多一位小数")
    occurred_on: dt.date = Field(description="发生日期")
    reason: str = Field(max_length=1000, description="申报事由")
    assessment_id: int | None = Field(None, description="专项考核 id（申报专项积分时填写）")


class ClaimDecideIn(StrictSchema):
    approve: bool = Field(description="true 通过，false 驳回")
    note: str = Field("", max_length=1000, description="审批意见（驳回时必填）")
