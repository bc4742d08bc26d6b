"""Forms of the assessment pages. They check the shape of the input only; the services decide what is allowed
(who, which stage, points within the item's max) and answer in Chinese."""

import datetime as dt
import re

from django import forms

from dangjian.orgs.forms import StyledForm, date_field

from .models import PostKind

PERIOD_RE = re.compile(r"^(\d{4})(-Q[1-4]|-(0[1-9]|1[0-2]))?$")
NOTE_ROWS = {"rows": 2}


def textarea(rows: int = 2) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class ItemScoreForm(StyledForm):
    item = forms.CharField(widget=forms.HiddenInput, max_length=80)
    points = forms.DecimalField(label="得分", min_value=0, max_digits=7, decimal_places=2,
                                error_messages={"required": "请填写得分", "invalid": "得分应为数字",
                                                "min_value": "得分不能小于0"})
    evidence = forms.CharField(label="佐证材料", required=False, max_length=2000, widget=textarea(),
                               help_text="看了哪些材料：会议记录编号、文件名称、台账位置等")
    note = forms.CharField(label="说明/理由", required=False, max_length=2000, widget=textarea(),
                           help_text="审核时改动自评分数必须写明理由")


class NoteForm(StyledForm):
    note = forms.CharField(label="意见", required=False, max_length=2000, widget=textarea(3))


class ReasonForm(StyledForm):
    note = forms.CharField(label="理由", max_length=2000, widget=textarea(3),
                           error_messages={"required": "请填写理由"})


class VetoForm(StyledForm):
    veto = forms.ChoiceField(label="否决项", choices=())
    reason = forms.CharField(label="理由", required=False, max_length=2000, widget=textarea())
    on = forms.TypedChoiceField(label="操作", choices=[("1", "标记否决"), ("0", "撤销否决")], coerce=lambda v: v == "1",
                                initial="1")

    def __init__(self, *args, vetoes: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["veto"].choices = [(code, v.get("name", code)) for code, v in (vetoes or {}).items()]


class ChecklistItemForm(StyledForm):
    title = forms.CharField(label="事项", max_length=200, error_messages={"required": "请填写事项"})
    target = forms.CharField(label="目标要求", required=False, max_length=2000, widget=textarea())
    member = forms.ModelChoiceField(label="党员（个人清单，可不选）", queryset=None, required=False,
                                    empty_label="（支部清单）")
    feeds = forms.ChoiceField(label="计入考核项", required=False, choices=())
    due_on = forms.DateField(label="完成时限", widget=date_field("").widget,
                             error_messages={"required": "请填写完成时限", "invalid": "日期格式应为 YYYY-MM-DD"})

    def __init__(self, *args, members=None, feeds: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["feeds"].choices = [("", "（不计入）"), *(feeds or [])]


class ChecklistCompleteForm(StyledForm):
    done_on = forms.DateField(label="完成日期", widget=date_field("").widget,
                              error_messages={"required": "请填写完成日期", "invalid": "日期格式应为 YYYY-MM-DD"})
    evidence = forms.CharField(label="完成佐证", max_length=2000, widget=textarea(),
                               error_messages={"required": "请填写完成佐证"})

    def clean_done_on(self):
        day = self.cleaned_data["done_on"]
        if day > dt.date.today() + dt.timedelta(days=1):
            raise forms.ValidationError("完成日期不能晚于今天")
        return day


class PostForm(StyledForm):
    org = forms.ModelChoiceField(label="所属党支部", queryset=None, error_messages={"required": "请选择党支部"})
    name = forms.CharField(label="岗位名称", max_length=100, error_messages={"required": "请填写岗位名称"})
    kind = forms.ChoiceField(label="岗位类型", choices=PostKind.choices)
    holder = forms.ModelChoiceField(label="在岗党员", queryset=None, required=False, empty_label="（暂无）")
    since = forms.DateField(label="设立日期", required=False, widget=date_field("").widget)
    note = forms.CharField(label="说明", required=False, max_length=2000, widget=textarea())

    def __init__(self, *args, orgs=None, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs
        self.fields["holder"].queryset = members

    def clean(self):
        data = super().clean()
        holder, org = data.get("holder"), data.get("org")
        if holder is not None and org is not None and holder.branch_id != org.pk:
            self.add_error("holder", "在岗党员应属于该党支部")
        return data


class KpiIndicatorForm(StyledForm):
    post = forms.ModelChoiceField(label="岗位", queryset=None, error_messages={"required": "请选择岗位"})
    code = forms.RegexField(label="指标编码", max_length=40, regex=r"^[A-Za-z0-9_\-]+$",
                            error_messages={"required": "请填写指标编码", "invalid": "指标编码只能用字母、数字、-、_"})
    name = forms.CharField(label="指标名称", max_length=100, error_messages={"required": "请填写指标名称"})
    unit = forms.CharField(label="单位", required=False, max_length=20)
    coefficient = forms.DecimalField(label="系数", max_digits=6, decimal_places=2, initial=1,
                                     error_messages={"invalid": "系数应为数字", "required": "请填写系数"})
    higher_is_better = forms.TypedChoiceField(label="方向", choices=[("1", "越高越好"), ("0", "越低越好")],
                                              coerce=lambda v: v == "1", initial="1")
    from_year = forms.IntegerField(label="起始年度", min_value=2000, max_value=2100,
                                   error_messages={"required": "请填写起始年度", "invalid": "年度应为数字"})

    def __init__(self, *args, posts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["post"].queryset = posts

    def clean_coefficient(self):
        value = self.cleaned_data["coefficient"]
        if value <= 0:
            raise forms.ValidationError("系数应大于0")
        return value


class KpiValueForm(StyledForm):
    indicator = forms.ModelChoiceField(label="指标", queryset=None, error_messages={"required": "请选择指标"})
    period = forms.CharField(label="期间", max_length=10, help_text="如 2026、2026-Q2、2026-06",
                             error_messages={"required": "请填写期间"})
    target = forms.DecimalField(label="目标值", max_digits=16, decimal_places=4,
                                error_messages={"required": "请填写目标值", "invalid": "目标值应为数字"})
    actual = forms.DecimalField(label="实际值", required=False, max_digits=16, decimal_places=4,
                                error_messages={"invalid": "实际值应为数字"})
    note = forms.CharField(label="说明", required=False, max_length=2000)

    def __init__(self, *args, indicators=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = indicators

    def clean_period(self):
        text = self.cleaned_data["period"].strip()
        if not PERIOD_RE.match(text):
            raise forms.ValidationError("期间格式应为 2026、2026-Q2 或 2026-06")
        return text

    def clean_target(self):
        value = self.cleaned_data["target"]
        if value <= 0:
            raise forms.ValidationError("目标值应大于0")
        return value

    def clean_actual(self):
        value = self.cleaned_data.get("actual")
        if value is not None and value < 0:
            raise forms.ValidationError("实际值不能小于0")
        return value
