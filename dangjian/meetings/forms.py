"""Forms of the activity pages. They shape input; the rules live in services.py and records.py, whose
ValidationErrors `apply_errors` puts back on the fields."""

import datetime as dt
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from dangjian.orgs.forms import DateInput, OrgChoiceField, StyledForm
from dangjian.orgs.models import PARTY_MEMBER_CATEGORIES, Member, Organization

from .evidence import ACCEPT, ALLOWED_TEXT
from .models import Activity, ActivityKind, ActivityStatus, EvidenceKind
from .selectors import branch_of
from .worktemplates import FIVE_DING, ROLES, WorkTemplate

# Where a service's error keys land on these forms.
FIELD_OF_ERROR = {"starts_at": "day", "ends_at": "end_time", "status": "record_as"}


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            field: str | None = FIELD_OF_ERROR.get(key, key)
            if key.startswith("five_ding"):
                field = None
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


class MemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Member) -> str:
        return f"{obj.name}（{obj.get_category_display()}）"


def role_queryset(org: Organization, current: list[int]) -> QuerySet[Member]:
    """Party members of the holding branch, and whoever holds a role now."""
    branch = branch_of(org)
    return (Member.objects.filter(Q(branch=branch, category__in=PARTY_MEMBER_CATEGORIES) | Q(pk__in=current))
            .order_by("name", "id"))


def aware(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time), timezone.get_current_timezone())


class ActivityBasicsForm(StyledForm):
    """Title, time, place, roles, tags: what the edit page changes and the create page starts with."""

    title = forms.CharField(label="主题", max_length=200)
    day = forms.DateField(label="日期", widget=DateInput())
    start_time = forms.TimeField(label="开始时间", widget=TimeInput())
    end_time = forms.TimeField(label="结束时间", required=False, widget=TimeInput(),
                               help_text="可不填；须晚于开始时间")
    place = forms.CharField(label="地点", max_length=100, required=False)
    online = forms.BooleanField(label="线上开展（视频会议等）", required=False)
    host = MemberChoice(label=ROLES["host"], queryset=Member.objects.none(), required=False,
                        empty_label="（暂不指定）")
    recorder = MemberChoice(label=ROLES["recorder"], queryset=Member.objects.none(), required=False,
                            empty_label="（暂不指定）")
    lecturer = MemberChoice(label=ROLES["lecturer"], queryset=Member.objects.none(), required=False,
                            empty_label="（暂不指定）")
    tags = forms.MultipleChoiceField(label="“党建+”标签", required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, template: WorkTemplate, org: Organization, activity: Activity | None = None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.template, self.org, self.activity = template, org, activity
        roles = list(template.get("roles") or [])
        current = [getattr(activity, f"{r}_id") for r in ROLES if activity and getattr(activity, f"{r}_id")]
        people = role_queryset(org, current)
        for role in ROLES:
            held = activity is not None and getattr(activity, f"{role}_id")
            if role in roles or held:
                cast(forms.ModelChoiceField, self.fields[role]).queryset = people
                if role in roles:
                    self.fields[role].help_text = f"{template.name}需要{ROLES[role]}"
            else:
                del self.fields[role]
        offered = list(template.get("tags") or [])
        if activity is not None:
            offered += [t for t in activity.tags if t not in offered]
        if offered:
            cast(forms.ChoiceField, self.fields["tags"]).choices = [(t, t) for t in offered]
        else:
            del self.fields["tags"]

    def clean(self):
        data = super().clean()
        day, start, end = data.get("day"), data.get("start_time"), data.get("end_time")
        if day and start:
            data["starts_at"] = aware(day, start)
            data["ends_at"] = aware(day, end) if end else None
            if end and end < start:
                self.add_error("end_time", "结束时间早于开始时间")
        return data

    def service_values(self) -> dict:
        d = self.cleaned_data
        values = {"title": d["title"].strip(), "starts_at": d["starts_at"], "ends_at": d["ends_at"],
                  "place": d["place"].strip(), "online": d["online"]}
        for role in ROLES:
            if role in self.fields:
                values[role] = d.get(role)
        if "tags" in self.fields:
            values["tags"] = list(d.get("tags") or [])
        return values


RECORD_AS = [(ActivityStatus.PLANNED.value, "计划（尚未召开）"),
             (ActivityStatus.HELD.value, "已召开（事后补记）")]


class ActivityCreateForm(ActivityBasicsForm):
    """Plan an activity (or record one already held) from its template."""

    agenda = forms.CharField(label="议程", required=False, widget=forms.Textarea(attrs={"rows": 5}),
                             help_text="已按模板步骤列出，可修改")
    record_as = forms.ChoiceField(label="状态", choices=RECORD_AS, initial=ActivityStatus.PLANNED,
                                  widget=forms.RadioSelect,
                                  help_text="已经开过的会可直接记为“已召开”；活动结束超过规定天数才录入的标为“补录”")

    field_order = ["title", "day", "start_time", "end_time", "place", "online", "host", "recorder", "lecturer",
                   "tags", "agenda"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for item in self.template.get("five_ding") or []:
            key = item["key"]
            self.fields[f"five_{key}"] = forms.CharField(
                label=FIVE_DING[key], required=False, max_length=500,
                widget=forms.Textarea(attrs={"rows": 2, "placeholder": item.get("hint", ""), "class": "form-control"}))

    def five_fields(self) -> list:
        return [self[name] for name in self.fields if name.startswith("five_")]

    def clean(self):
        data = super().clean()
        if data.get("record_as") == ActivityStatus.HELD and data.get("starts_at") and data["starts_at"] > timezone.now():
            self.add_error("record_as", "活动时间在将来，不能记为已召开")
        return data

    def service_values(self) -> dict:
        values = super().service_values()
        d = self.cleaned_data
        values["agenda"] = d.get("agenda", "").strip()
        values["five_ding"] = {name[5:]: d[name].strip() for name in self.fields
                               if name.startswith("five_") and d.get(name, "").strip()}
        values["status"] = d.get("record_as") or ActivityStatus.PLANNED
        return values


class ChooseForm(StyledForm):
    """Step one of planning: which kind of work, which organization, which date."""

    kind = forms.ChoiceField(label="活动类型", choices=[("", "—— 请选择 ——"), *ActivityKind.choices])
    date = forms.DateField(label="日期", required=False, widget=DateInput())

    def __init__(self, *args, orgs: QuerySet[Organization], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"] = OrgChoiceField(queryset=orgs, label="开展活动的组织（党支部或党小组）", required=False)
        self.style(self.fields["org"])
        self.order_fields(["kind", "org", "date"])


class RecordForm(StyledForm):
    """What happened: the 五定 as carried out, the steps ticked off, the agenda and the minutes."""

    agenda = forms.CharField(label="议程", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    minutes = forms.CharField(label="会议记录", required=False, widget=forms.Textarea(attrs={"rows": 10}),
                              help_text="如实记录讨论情况和形成的决议；归档前必须填写")
    steps_done = forms.MultipleChoiceField(label="流程", required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, template: WorkTemplate, **kwargs):
        super().__init__(*args, **kwargs)
        self.template = template
        self.steps = list(template.get("steps") or [])
        cast(forms.ChoiceField, self.fields["steps_done"]).choices = [(s["title"], s["title"]) for s in self.steps]
        self.hints = {}
        for item in template.get("five_ding") or []:
            key = item["key"]
            self.hints[key] = item.get("hint", "")
            self.fields[f"five_{key}"] = forms.CharField(
                label=FIVE_DING[key], required=False, max_length=500,
                widget=forms.Textarea(attrs={"rows": 2, "placeholder": item.get("hint", ""), "class": "form-control"}))

    def five_fields(self) -> list:
        return [(self[name], self.hints.get(name[5:], "")) for name in self.fields if name.startswith("five_")]

    def step_rows(self) -> list[dict]:
        ticked = set(self["steps_done"].value() or [])
        return [{"title": s["title"], "detail": s.get("detail", ""), "done": s["title"] in ticked,
                 "id": f"step-{i}"} for i, s in enumerate(self.steps)]

    def service_values(self, activity: Activity) -> dict:
        d = self.cleaned_data
        five = {k: v for k, v in (activity.five_ding or {}).items() if f"five_{k}" not in self.fields}
        five |= {name[5:]: d[name].strip() for name in self.fields if name.startswith("five_") and d[name].strip()}
        ticked = set(d["steps_done"])
        return {"agenda": d["agenda"].strip(), "minutes": d["minutes"].strip(), "five_ding": five,
                "steps_done": [s["title"] for s in self.steps if s["title"] in ticked]}


def record_initial(activity: Activity) -> dict:
    initial = {"agenda": activity.agenda, "minutes": activity.minutes, "steps_done": list(activity.steps_done)}
    initial |= {f"five_{k}": v for k, v in (activity.five_ding or {}).items()}
    return initial


class EvidenceForm(StyledForm):
    kind = forms.ChoiceField(label="材料类型", choices=EvidenceKind.choices, initial=EvidenceKind.PHOTO)
    file = forms.FileField(label="文件", help_text=f"允许：{ALLOWED_TEXT}", required=False,
                           widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))
