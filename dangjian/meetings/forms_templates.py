"""The form an 组织管理员 uses to adjust a work template for its subtree (a TemplateVersion).

The form only parses what the user typed; the resulting whole template is checked by validate_template
in the service (template_version_create), so the rules live in one place.
"""

import copy
import re
from typing import Any

from django import forms
from django.utils import timezone

from dangjian.orgs.forms import DateInput, StyledForm

from .worktemplates import FIVE_DING, PERIODS

STEP_SPLIT = re.compile(r"[：:]")
TAG_SPLIT = re.compile(r"[、,，;；\s]+")


def steps_to_text(steps: list[dict[str, Any]]) -> str:
    """One step a line: "标题：说明" (or just the title)."""
    lines = []
    for step in steps:
        detail = (step.get("detail") or "").strip()
        lines.append(f"{step['title']}：{detail}" if detail else step["title"])
    return "\n".join(lines)


def text_to_steps(text: str) -> list[dict[str, str]]:
    """Parse the textarea: blank lines skipped; a line is "标题" or "标题：说明"."""
    steps = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        parts = STEP_SPLIT.split(line, maxsplit=1)
        title = parts[0].strip()
        detail = parts[1].strip() if len(parts) > 1 else ""
        steps.append({"title": title, "detail": detail} if detail else {"title": title})
    return steps


def text_to_tags(text: str) -> list[str]:
    seen: list[str] = []
    for tag in TAG_SPLIT.split(text or ""):
        tag = tag.strip()
        if tag.startswith("党建+"):
            tag = tag[3:]
        if tag and tag not in seen:
            seen.append(tag)
    return seen


class TemplateCustomizeForm(StyledForm):
    effective_from = forms.DateField(label="生效日期", widget=DateInput(),
                                     help_text="从这一天起，本组织及下级组织按此版本开展；不能早于今天")
    note = forms.CharField(label="调整说明", max_length=200,
                           help_text="写明为什么调整、依据哪项本单位规定，例如“按集团《三会一课实施办法》每半年1次”")
    period = forms.ChoiceField(label="频次周期", choices=list(PERIODS.items()))
    times = forms.IntegerField(label="每个周期至少（次）", help_text="“不定期”填0")
    local = forms.BooleanField(label="本单位（地方）做法，标注 ⚠", required=False)
    frequency_source = forms.CharField(label="频次依据", max_length=300, required=False)
    excellent_max_ratio = forms.FloatField(label="“优秀”等次最高比例", required=False,
                                           help_text="参评党员中评为“优秀”的比例上限，三分之一填0.3333")
    steps = forms.CharField(label="流程步骤", widget=forms.Textarea(attrs={"rows": 9}),
                            help_text="每行一个步骤，可写成“步骤名：说明”；步骤名在活动记录中作为勾选项")
    hint_time = forms.CharField(label="定时间", max_length=300, required=False)
    hint_content = forms.CharField(label="定内容", max_length=300, required=False)
    hint_agenda = forms.CharField(label="定议程", max_length=300, required=False)
    hint_standard = forms.CharField(label="定标准", max_length=300, required=False)
    hint_effect = forms.CharField(label="定效果", max_length=300, required=False)
    tags = forms.CharField(label="“党建+”标签", max_length=300, required=False,
                           help_text="用顿号或逗号分隔，如：安全、业务、志愿服务、共建")
    guide = forms.CharField(label="工作指引", widget=forms.Textarea(attrs={"rows": 6}), required=False,
                            help_text="用通俗的话说明这项工作怎么做，新任党务工作者照此可以上手")

    def __init__(self, *args, base: dict[str, Any], **kwargs):
        self.base = base
        kwargs.setdefault("initial", self.initial_from(base))
        super().__init__(*args, **kwargs)
        if self.has_ratio:
            self.fields["excellent_max_ratio"].required = True
        else:
            del self.fields["excellent_max_ratio"]

    @property
    def has_ratio(self) -> bool:
        return "excellent_max_ratio" in (self.base.get("params") or {})

    @staticmethod
    def initial_from(base: dict[str, Any]) -> dict[str, Any]:
        freq = base.get("frequency") or {}
        hints = {item["key"]: item.get("hint", "") for item in base.get("five_ding") or []}
        initial = {
            "effective_from": timezone.localdate(), "period": freq.get("period", "none"),
            "times": freq.get("times", 0), "local": bool(freq.get("local")),
            "frequency_source": freq.get("source", ""), "steps": steps_to_text(base.get("steps") or []),
            "tags": "、".join(base.get("tags") or []), "guide": (base.get("guide") or "").strip(),
            "excellent_max_ratio": (base.get("params") or {}).get("excellent_max_ratio"),
        }
        initial |= {f"hint_{key}": hints.get(key, "") for key in FIVE_DING}
        return initial

    @property
    def five_ding_fields(self):
        return [self[f"hint_{key}"] for key in FIVE_DING]

    def build_content(self) -> dict[str, Any]:
        """The whole template that results from the base and what was typed (not yet validated)."""
        data = self.cleaned_data
        content = copy.deepcopy(self.base)
        freq = {"period": data["period"], "times": data["times"], "local": data["local"]}
        if data["frequency_source"].strip():
            freq["source"] = data["frequency_source"].strip()
        content["frequency"] = freq
        content["steps"] = text_to_steps(data["steps"])
        content["five_ding"] = [{"key": key, "hint": data[f"hint_{key}"].strip()} for key in FIVE_DING]
        tags = text_to_tags(data["tags"])
        if tags:
            content["tags"] = tags
        else:
            content.pop("tags", None)
        guide = data["guide"].strip()
        content["guide"] = guide + "\n" if guide else ""
        if self.has_ratio:
            content.setdefault("params", {})["excellent_max_ratio"] = data.get("excellent_max_ratio")
        return content
