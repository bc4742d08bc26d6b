"""Request bodies of the assessment API (django-ninja). Answers are plain dicts shaped in api.py: the results
JSON is the engine's own (`selectors.to_json` / `engine.result_json`), shared with the CLI and the exports."""

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema


class EvaluationOpenIn(Schema):
    scheme: str = Field(..., max_length=40, description="考核方案编码，如 dabiao-chuangxing")
    period: str = Field(..., max_length=10, description="考核期间：年度 2026、季度 2026-Q2 或月份 2026-03（依方案而定）")
    org: str | None = Field(None, max_length=40, description="考核对象为党支部时：党支部编码")
    member_id: int | None = Field(None, description="考核对象为党员时：党员 id")
    team: str | None = Field(None, max_length=40, description="考核对象为班组时：班组编码")
    post_id: int | None = Field(None, description="考核对象为岗位时：岗位 id")


class ItemScoreIn(Schema):
    item: str = Field(..., max_length=80, description="考核项编码“维度.考核项”，如 basic_org.integration")
    points: Decimal = Field(..., description="得分（0 至该项满分，最多两位小数）")
    note: str = Field("", max_length=2000, description="说明；审核调整自评分时必填理由")
    evidence: str = Field("", max_length=4000, description="佐证材料（查看了什么）")
    stage: str | None = Field(None, description="阶段 self（自评）或 review（审核）；不填按当前状态")


class VetoIn(Schema):
    veto: str = Field(..., max_length=40, description="否决项编码，如 safety_accident")
    reason: str = Field("", max_length=2000, description="理由（标记时必填）")
    on: bool = Field(True, description="true 标记一票否决，false 取消")


class NoteIn(Schema):
    note: str = Field("", max_length=4000, description="说明（退回、重评时必填）")


class ChecklistCreateIn(Schema):
    org: str = Field(..., max_length=40, description="党支部编码")
    year: int = Field(..., ge=2000, le=2100, description="年度")
    title: str = Field(..., max_length=200, description="事项")
    due_on: dt.date = Field(..., description="完成时限 YYYY-MM-DD（当年内）")
    target: str = Field("", max_length=4000, description="目标要求")
    feeds: str = Field("", max_length=80, description="计入考核项，如 basic_support.checklist（可不填）")
    member_id: int | None = Field(None, description="党员个人清单时：党员 id")


class ChecklistCompleteIn(Schema):
    done_on: dt.date = Field(..., description="完成日期 YYYY-MM-DD")
    evidence: str = Field(..., max_length=4000, description="完成佐证")


class PostCreateIn(Schema):
    org: str = Field(..., max_length=40, description="党支部编码")
    name: str = Field(..., max_length=100, description="岗位名称")
    kind: str = Field(..., max_length=20, description="岗位类型：kpi 岗位KPI / model 党员示范岗 / vanguard 党员先锋岗 / zone 党员责任区")
    holder_id: int | None = Field(None, description="在岗党员 id")
    since: dt.date | None = Field(None, description="设立日期 YYYY-MM-DD")
    note: str = Field("", max_length=2000, description="说明")


class IndicatorCreateIn(Schema):
    code: str = Field(..., max_length=40, description="指标编码（字母、数字、下划线、连字符）")
    name: str = Field(..., max_length=100, description="指标名称")
    from_year: int = Field(..., ge=2000, le=2100, description="起始年度")
    unit: str = Field("", max_length=20, description="单位")
    coefficient: Decimal = Field(Decimal(1), description="系数（大于0，不超过100）")
    higher_is_better: bool = Field(True, description="true 越高越好，false 越低越好")


class KpiValueIn(Schema):
    period: str = Field(..., max_length=10, description="期间：2026、2026-Q2 或 2026-06")
    target: Decimal = Field(..., description="目标值（大于0）")
    actual: Decimal | None = Field(None, description="实际值（未填报为 null）")
    note: str = Field("", max_length=2000, description="说明")
