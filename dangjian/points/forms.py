"""Forms of the points pages. They only shape input; the rules (ranges, reasons, permissions) are the services'."""

import datetime as dt
from decimal import Decimal

import yaml
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from dangjian.meetings.evidence import ACCEPT, ALLOWED_TEXT
from dangjian.orgs.forms import DateInput, StyledForm

POINTS_HELP = "可保留一位小数，如 2 或 1.5"


def points_field(label: str = "分值", required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=required, max_digits=7, decimal_places=1, help_text=POINTS_HELP,
                              error_messages={"invalid": "请输入数字", "max_decimal_places": "最多一位小数",
                                              "max_digits": "数值过大", "required": "请填写分值"},
                              widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}))


def rule_choices(pack: dict, kinds: tuple[str, ...], *, with_period: bool = False) -> list[tuple[str, str]]:
    """The pack's rules of the given kinds as (code, "类别 · 规则（范围）") choices."""
    categories = pack.get("categories") or {}
    out = []
    for code, rule in (pack.get("rules") or {}).items():
        if rule.get("kind") not in kinds or bool(rule.get("period")) != with_period:
            continue
        lo, hi = (list(rule.get("range") or []) + [None, None])[:2]
        span = f"{_n(lo)}～{_n(hi)}" if lo is not None else ""
        category = categories.get(rule.get("category"), {}).get("name", rule.get("category"))
        out.append((code, f"{category} · {rule.get('name', code)}（{span}分）"))
    return out


def _n(value) -> str:
    text = f"{Decimal(str(value)).quantize(Decimal('0.1')):f}"
    return text[:-2] if text.endswith(".0") else text


class ClaimForm(StyledForm):
    rule = forms.ChoiceField(label="申报事项", error_messages={"invalid_choice": "请选择可申报的事项",
                                                           "required": "请选择申报事项"})
    points = points_field("申报分值")
    occurred_on = forms.DateField(label="发生日期", widget=DateInput(),
                                  error_messages={"required": "请填写发生日期", "invalid": "日期格式应为 YYYY-MM-DD"})
    reason = forms.CharField(label="申报事由", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": "请填写申报事由"})
    evidence = forms.FileField(label="佐证材料", required=False, help_text=f"可选；{ALLOWED_TEXT}",
                               widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [("", "—— 请选择 ——"), *choices]
        self.fields["occurred_on"].initial = timezone.localdate()


class AwardForm(StyledForm):
    rule = forms.ChoiceField(label="奖励/扣分事项", error_messages={"invalid_choice": "请选择事项",
                                                              "required": "请选择事项"})
    points = points_field("分值（扣分填负数）")
    occurred_on = forms.DateField(label="发生日期", widget=DateInput(),
                                  error_messages={"required": "请填写发生日期", "invalid": "日期格式应为 YYYY-MM-DD"})
    reason = forms.CharField(label="事由", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": "请填写事由"})

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [("", "—— 请选择 ——"), *choices]
        self.fields["occurred_on"].initial = timezone.localdate()


class ReasonForm(StyledForm):
    reason = forms.CharField(label="原因", max_length=1000, error_messages={"required": "请填写原因"})


class DecideForm(StyledForm):
    decision = forms.ChoiceField(label="审批", choices=[("approve", "通过"), ("reject", "驳回")],
                                 error_messages={"invalid_choice": "请选择通过或驳回", "required": "请选择通过或驳回"})
    note = forms.CharField(label="审批意见", max_length=1000, required=False)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", "驳回须填写理由")
        return data


def parse_rules_text(text: str) -> list:
    """The rules of a special assessment as typed (YAML or JSON list); the service validates their content."""
    text = (text or "").strip()
    if not text:
        return []
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(f"规则格式错误（应为 YAML 列表）：{exc}")
    if not isinstance(data, list):
        raise ValidationError("规则应为列表，每项一条规则（以“- ”开头）")
    return data


class SpecialForm(StyledForm):
    org = forms.CharField(label="适用组织编码（含下级）", max_length=40, error_messages={"required": "请填写组织编码"})
    name = forms.CharField(label="专项名称", max_length=100, error_messages={"required": "请填写专项名称"})
    starts_on = forms.DateField(label="开始日期", widget=DateInput(),
                                error_messages={"required": "请填写开始日期", "invalid": "日期格式应为 YYYY-MM-DD"})
    ends_on = forms.DateField(label="结束日期", widget=DateInput(),
                              error_messages={"required": "请填写结束日期", "invalid": "日期格式应为 YYYY-MM-DD"})
    weight = forms.DecimalField(label="计入总分权重", max_digits=5, decimal_places=2, min_value=0,
                                help_text="如 0.10；0 表示只单列显示、不计入总分",
                                error_messages={"invalid": "请输入数字", "min_value": "权重不能为负数",
                                                "max_decimal_places": "最多两位小数", "required": "请填写权重"})
    max_points = forms.DecimalField(label="专项满分", max_digits=7, decimal_places=1,
                                    error_messages={"invalid": "请输入数字", "required": "请填写专项满分",
                                                    "max_decimal_places": "最多一位小数"})
    rules = forms.CharField(label="专项规则（YAML 列表）", required=False,
                            widget=forms.Textarea(attrs={"rows": 10, "class": "form-control font-monospace",
                                                         "spellcheck": "false"}))
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    active = forms.BooleanField(label="启用", required=False, initial=True)

    def clean_rules(self):
        return parse_rules_text(self.cleaned_data.get("rules", ""))

    def clean(self):
        data = super().clean()
        start, end = data.get("starts_on"), data.get("ends_on")
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
            self.add_error("ends_on", "结束日期不能早于开始日期")
        return data


class PackVersionForm(StyledForm):
    effective_from = forms.DateField(label="生效日期", widget=DateInput(),
                                     error_messages={"required": "请填写生效日期", "invalid": "日期格式应为 YYYY-MM-DD"})
    note = forms.CharField(label="调整说明", max_length=200, required=False)
    source_text = forms.CharField(label="规则包（YAML）", error_messages={"required": "请填写规则包内容"},
                                  widget=forms.Textarea(attrs={"rows": 24, "class": "form-control font-monospace",
                                                               "spellcheck": "false"}))
