"""Request and response schemas of the organizational-life API (templates and activities).

Choices are sent as their Chinese labels (活动类型 支部委员会, 状态 已召开, 出勤情况 请假) with the stored value
beside them (kind_value, status_value); requests accept either. Times are ISO 8601; a time without a zone
is read as Beijing time (Asia/Shanghai), and answers give local time with its offset (+08:00).
"""

import datetime as dt
from typing import Any

from ninja import Field, Schema

from dangjian.orgs.schemas import StrictSchema

# --- templates -----------------------------------------------------------------------------------


class ChoiceOut(Schema):
    key: str
    label: str


class FrequencyOut(Schema):
    period: str = Field(description="month/quarter/half_year/year/none")
    period_label: str = Field(description="每月/每季度/每半年/每年/不定期")
    times: int = Field(description="每个周期的次数")
    local: bool = Field(description="是否为本地做法（⚠ 可按本单位规定调整的参数）")
    source: str = Field(description="依据")
    text: str = Field(description="如：每季度1次")


class QuorumRuleOut(Schema):
    rule: str = Field(description="more_than_half：超过半数")
    of: str = Field(description="expected（应到人数）或 voting（有表决权的应到人数）")
    text: str = Field(description="规则说明")


class FiveDingOut(Schema):
    key: str = Field(description="time/content/agenda/standard/effect")
    label: str = Field(description="定时间/定内容/定议程/定标准/定效果")
    hint: str


class StepOut(Schema):
    title: str
    detail: str


class TemplateOut(Schema):
    kind: str = Field(description="活动类型（中文）")
    kind_value: str = Field(description="活动类型代码，如 committee_meeting")
    name: str
    version: str = Field(description="模板版本")
    ref: str = Field(description="在用的模板：标准模板或本单位版本")
    version_id: int | None = Field(description="本单位版本的编号；标准模板为 null")
    holder: list[ChoiceOut] = Field(description="由谁开展：党支部/党小组")
    expected: ChoiceOut = Field(description="应到人员")
    frequency: FrequencyOut
    five_ding: list[FiveDingOut] = Field(description="五定")
    steps: list[StepOut] = Field(description="流程")
    roles: list[ChoiceOut] = Field(description="须明确的角色：主持人/记录人/讲课人")
    quorum: QuorumRuleOut | None = Field(description="到会人数要求；无要求为 null")
    evidence: list[ChoiceOut] = Field(description="须留存的佐证材料")
    follow_up: ChoiceOut | None = Field(description="后续工作：整改清单或评定等次")
    params: dict[str, Any]
    tags: list[str] = Field(description="可选的“党建+”标签")
    six_you: list[str] = Field(description="“六有”要求（党员主题实践活动）")
    guide: str = Field(description="通俗说明")
    source: str = Field(description="依据")


class TemplateListOut(Schema):
    org_code: str | None = Field(description="按哪个组织取在用模板；未指定时为标准模板")
    date: dt.date
    items: list[TemplateOut]


# --- activities ----------------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    name: str


class AttendanceCountsOut(Schema):
    present: int = Field(description="出席（已登记）")
    leave: int = Field(description="请假（已登记）")
    absent: int = Field(description="缺席（已登记，或应到而未登记）")


class QuorumOut(Schema):
    rule: str | None = Field(description="more_than_half 或 null（无到会人数要求）")
    of: str
    met: bool | None = Field(description="是否符合到会人数要求；无要求为 null")
    base: int = Field(description="计算基数：应到人数或有表决权的应到人数")
    present: int = Field(description="基数中到会的人数")
    required: int = Field(description="至少须到会人数")
    expected: int = Field(description="应到")
    attended: int = Field(description="实到")
    on_leave: int = Field(description="请假")
    absent: int = Field(description="缺席")
    explanation: str


class ActivityOut(Schema):
    id: int
    code: str = Field(description="活动编号")
    org_code: str
    org_name: str
    kind: str = Field(description="活动类型（中文）")
    kind_value: str
    title: str = Field(description="主题")
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    place: str
    online: bool
    host: PersonOut | None = Field(description="主持人")
    recorder: PersonOut | None = Field(description="记录人")
    lecturer: PersonOut | None = Field(description="讲课人")
    status: str = Field(description="计划/已通知/已召开/已归档")
    status_value: str
    late_entry: bool = Field(description="补录")
    template_ref: str = Field(description="所用模板")
    tags: list[str] = Field(description="“党建+”标签")
    attendance_counts: AttendanceCountsOut
    quorum: QuorumOut


class ActivityPage(Schema):
    total: int
    limit: int
    offset: int
    items: list[ActivityOut]


class AttendanceOut(Schema):
    member_id: int
    name: str
    status: str = Field(description="出席/请假/缺席")
    status_value: str
    reason: str = Field(description="说明（请假原因）")
    expected: bool = Field(description="是否应到")
    recorded: bool = Field(description="是否已登记；应到而未登记的按缺席计")
    requested_by_member: bool = Field(description="本人请假")


class ActivityDetailOut(ActivityOut):
    agenda: str
    minutes: str = Field(description="会议记录")
    five_ding: dict[str, str]
    steps_done: list[str]
    recorded_at: dt.datetime | None
    attendance: list[AttendanceOut] = Field(description="出勤名单（党员本人只能看到自己的一行）")


class ActivityCreateIn(StrictSchema):
    org_code: str = Field(description="开展活动的党支部或党小组编码")
    kind: str = Field(description="活动类型：中文名（支部委员会）或代码（committee_meeting）")
    title: str = Field(description="主题")
    starts_at: dt.datetime = Field(description="开始时间，如 2025-03-05T14:30:00+08:00（不带时区按北京时间）")
    ends_at: dt.datetime | None = None
    code: str = Field("", description="活动编号；留空自动生成")
    status: str = Field("计划", description="计划/已通知/已召开（补录已开过的活动时用已召开）")
    place: str = ""
    online: bool = False
    host_id: int | None = Field(None, description="主持人（人员id）")
    recorder_id: int | None = Field(None, description="记录人（人员id）")
    lecturer_id: int | None = Field(None, description="讲课人（人员id）")
    agenda: str = Field("", description="议程，每行一项")
    minutes: str = Field("", description="会议记录")
    five_ding: dict[str, str] = Field(default_factory=dict, description="五定：time/content/agenda/standard/effect")
    steps_done: list[str] = Field(default_factory=list, description="已完成的步骤（模板中的步骤标题）")
    tags: list[str] = Field(default_factory=list, description="“党建+”标签")
    prefill_attendance: bool = Field(True, description="按应到人员预置出勤名单（均为缺席）")


class ActivityPatchIn(StrictSchema):
    """Only the fields sent are changed; `advance_to` then moves the status one step (计划→已通知→已召开→已归档)."""

    title: str | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    place: str | None = None
    online: bool | None = None
    host_id: int | None = None
    recorder_id: int | None = None
    lecturer_id: int | None = None
    agenda: str | None = None
    minutes: str | None = None
    five_ding: dict[str, str] | None = None
    steps_done: list[str] | None = None
    tags: list[str] | None = None
    advance_to: str | None = Field(None, description="变更状态：已通知/已召开/已归档（或 notified/held/archived）")


class AttendanceIn(StrictSchema):
    member_id: int | None = Field(None, description="人员id（与身份证号二选一）")
    id_number: str | None = Field(None, description="身份证号（与人员id二选一）")
    status: str = Field(description="出席/请假/缺席（或 present/leave/absent）")
    reason: str = Field("", description="说明；请假须填写原因")
