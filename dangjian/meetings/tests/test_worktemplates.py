"""The "1+13" templates as data: every standard template loads, a malformed file is refused with a message
naming the file and the key, and the version in force is chosen by organization and date."""

import datetime as dt
import textwrap

import pytest
import yaml

from dangjian.meetings.models import ActivityKind, TemplateVersion
from dangjian.meetings.rules import excellent_limit
from dangjian.meetings.worktemplates import (
    FIVE_DING,
    TEMPLATE_DIR,
    TemplateError,
    default_templates,
    describe_error,
    effective_template,
    effective_templates,
    error_field,
    frequency_text,
    load_dir,
    quorum_text,
    version_history,
    version_ref,
)
from dangjian.standards.loader import PackError

# --- the standard templates -------------------------------------------------------------------------------


def test_all_thirteen_templates_load():
    templates = default_templates()
    assert set(templates) == set(ActivityKind.values)
    assert len(templates) == 13
    for kind, t in templates.items():
        assert t["name"] == ActivityKind(kind).label, kind
        assert t["version"] == "2018.1"
        assert {item["key"] for item in t["five_ding"]} == set(FIVE_DING), kind
        assert all(item["hint"].strip() for item in t["five_ding"]), kind
        assert 4 <= len(t["steps"]) <= 8, kind
        assert t["guide"].count("。") >= 3, kind
        assert t["source"].strip(), kind
        assert t["frequency"]["period"] == "none" or t["frequency"].get("source"), kind


def test_load_dir_reads_the_standard_directory():
    assert load_dir(TEMPLATE_DIR) == default_templates()


@pytest.mark.parametrize(("kind", "text"), [
    ("branch_assembly", "每季度1次"), ("committee_meeting", "每月1次"), ("group_meeting", "每月1次"),
    ("party_lecture", "每季度1次"), ("theme_day", "每月1次"), ("life_meeting", "每年1次"),
    ("member_appraisal", "每年1次"), ("heart_talk", "每年1次"), ("topic_study", "不定期"),
    ("volunteer", "不定期"), ("campaign", "不定期"), ("recruitment_meeting", "不定期"), ("other", "不定期"),
])
def test_frequencies_follow_the_rules(kind, text):
    assert frequency_text(default_templates()[kind]) == text


def test_local_practice_is_marked_and_says_so():
    templates = default_templates()
    local = {k for k, t in templates.items() if t["frequency"].get("local")}
    assert local == {"party_lecture"}  # 党课 quarterly is local practice (DOMAIN.md §1 ⚠)
    assert "地方做法" in templates["party_lecture"]["frequency"]["source"]


def test_holders_expected_and_quorum_of_each_template():
    t = default_templates()
    assert t["group_meeting"]["holder"] == ["group"] and t["group_meeting"]["expected"] == "group_members"
    assert t["group_meeting"]["quorum"] is None
    assert t["committee_meeting"]["quorum"] == {"rule": "more_than_half", "of": "expected"}
    for kind in ("branch_assembly", "member_appraisal", "recruitment_meeting"):
        assert t[kind]["quorum"] == {"rule": "more_than_half", "of": "voting"}, kind
        assert quorum_text(t[kind]) == "有表决权的党员到会须超过半数"
    assert quorum_text(t["committee_meeting"]) == "应到的支部委员到会须超过半数"
    assert t["heart_talk"]["expected"] == "none"
    assert "lecturer" in t["party_lecture"]["roles"]


def test_follow_ups_params_tags_and_six_you():
    t = default_templates()
    assert t["life_meeting"]["follow_up"] == "rectification"
    assert t["member_appraisal"]["follow_up"] == "appraisal"
    ratio = t["member_appraisal"]["params"]["excellent_max_ratio"]
    assert excellent_limit(9, ratio) == 3 and excellent_limit(10, ratio) == 3
    assert {"安全", "业务", "志愿服务", "共建"} <= set(t["theme_day"]["tags"])
    assert t["campaign"]["six_you"] == ["有方案", "有措施", "有要求", "有检查", "有考核", "有实效"]
    steps = [s["title"] for s in t["member_appraisal"]["steps"]]
    assert steps.index("个人自评") < steps.index("党员互评") < steps.index("民主测评") < steps.index("评定等次")
    life = " ".join(s["title"] for s in t["life_meeting"]["steps"])
    assert "谈心谈话" in life and "征求意见" in life and "批评和自我批评" in life and "整改清单" in life
    recruit = " ".join(s["title"] + s.get("detail", "") for s in t["recruitment_meeting"]["steps"])
    assert "预备党员转正" in recruit and "一个一个" in recruit and "无记名投票" in recruit


# --- malformed files --------------------------------------------------------------------------------------


def _valid(**changes) -> dict:
    data = yaml.safe_load((TEMPLATE_DIR / "committee_meeting.yaml").read_text(encoding="utf-8"))
    data.update(changes)
    return data


def _write(tmp_path, name: str, data) -> None:
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
    (tmp_path / name).write_text(text, encoding="utf-8")


def _error(tmp_path) -> str:
    with pytest.raises(PackError) as info:
        load_dir(tmp_path)
    return str(info.value)


def _without(key: str) -> dict:
    data = _valid()
    del data[key]
    return data


@pytest.mark.parametrize(("data", "key", "words"), [
    (_without("kind"), "kind", "缺少此项"),
    (_valid(kind="tea_party"), "kind", "“tea_party”无效"),
    (_valid(frequency={"period": "weekly", "times": 1}), "frequency.period", "“weekly”无效"),
    (_valid(frequency={"times": 1}), "frequency.period", "缺少此项"),
    (_valid(frequency={"period": "month", "times": 0}), "frequency.times", "至少1次"),
    (_valid(frequency={"period": "month"}), "frequency.times", "不小于0的整数"),
    (_valid(frequency={"period": "none", "times": 2}), "frequency.times", "应为0"),
    (_valid(steps=[{"title": "确定议题"}, {"detail": "没有标题"}]), "steps[1].title", "须有标题"),
    (_valid(steps=[{"title": "  "}]), "steps[0].title", "须有标题"),
    (_valid(steps=[]), "steps", "至少须有一个步骤"),
    (_valid(quorum={"rule": "more_than_half", "of": "present"}), "quorum.of", "“present”无效"),
    (_valid(quorum={"rule": "two_thirds", "of": "expected"}), "quorum.rule", "无效"),
    (_valid(roles=["host", "cook"]), "roles[1]", "“cook”无效"),
    (_valid(params={"excellent_max_ratio": 1.5}), "params.excellent_max_ratio", "不超过1"),
    (_valid(params={"excellent_max_ratio": 0}), "params.excellent_max_ratio", "大于0"),
    (_valid(five_ding=[{"key": "place", "hint": "x"}]), "five_ding[0].key", "“place”无效"),
    (_valid(holder=["committee"]), "holder[0]", "无效"),
    (_valid(expected="everyone"), "expected", "无效"),
    (_valid(evidence=["video"]), "evidence[0]", "无效"),
    (_valid(follow_up="party"), "follow_up", "无效"),
    (_valid(tags="安全"), "tags", "类型错误"),
])
def test_malformed_template_names_file_and_key(tmp_path, data, key, words):
    _write(tmp_path, "broken.yaml", data)
    message = _error(tmp_path)
    assert message.startswith(f"broken.yaml: {key}: "), message
    assert words in message


def test_duplicate_kind_across_files_names_both(tmp_path):
    _write(tmp_path, "a_committee.yaml", _valid())
    _write(tmp_path, "b_committee_copy.yaml", _valid())
    message = _error(tmp_path)
    assert message.startswith("b_committee_copy.yaml: kind: ")
    assert "a_committee.yaml" in message and "committee_meeting" in message


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    _write(tmp_path, "bad_syntax.yaml", textwrap.dedent("""\
        kind: committee_meeting
        name: 支部委员会
        steps: [{title: 确定议题
        roles: [host]
        """))
    message = _error(tmp_path)
    assert message.startswith("bad_syntax.yaml: YAML格式错误")
    assert "行" in message


def test_top_level_not_a_mapping(tmp_path):
    _write(tmp_path, "list.yaml", "- kind: committee_meeting\n- name: 支部委员会\n")
    assert _error(tmp_path).startswith("list.yaml: 顶层应为键值映射")


def test_missing_kinds_are_listed(tmp_path):
    _write(tmp_path, "committee.yaml", _valid())
    message = _error(tmp_path)
    assert "缺少模板" in message and "支部党员大会" in message and "支部委员会" not in message.split("：", 1)[1]
    assert load_dir(tmp_path, require_all=False).keys() == {"committee_meeting"}


def test_template_error_keeps_key_for_forms():
    error = TemplateError("模板内容", "steps[2].title", "每个步骤须有标题")
    assert error_field(error.key) == "steps"
    assert describe_error(error) == "流程步骤第3项：每个步骤须有标题"
    assert error_field("frequency.times") == "times"
    assert error_field("params.excellent_max_ratio") == "excellent_max_ratio"
    assert describe_error(TemplateError("x", "frequency.times", "定期开展的工作至少1次")) == \
        "每个周期次数：定期开展的工作至少1次"


# --- which version is in force ---------------------------------------------------------------------------


def _version(org, kind="party_lecture", day=dt.date(2025, 1, 1), times=2, period="quarter"):
    content = dict(default_templates()[kind])
    content["frequency"] = {**content["frequency"], "period": period, "times": times}
    return TemplateVersion.objects.create(kind=kind, org=org, effective_from=day, content=content)


def test_standard_when_no_version(world):
    t = effective_template("party_lecture", world.b1, dt.date(2025, 6, 1))
    assert t.is_standard and t.version_id is None
    assert t.ref == "标准模板 2018.1"
    assert t.content is default_templates()["party_lecture"]


def test_committee_version_applies_below_from_its_date(world):
    v = _version(world.root, day=dt.date(2025, 1, 1), times=2)
    on = effective_template("party_lecture", world.b1, dt.date(2025, 6, 1))
    assert on.version_id == v.pk and on.frequency["times"] == 2
    assert on.ref == "集团党委版本（2025-01-01起）"
    assert on.effective_from == dt.date(2025, 1, 1) and on.org_name == "集团党委"
    assert effective_template("party_lecture", world.b1, dt.date(2025, 1, 1)).version_id == v.pk
    assert effective_template("party_lecture", world.b1, dt.date(2024, 12, 31)).is_standard
    # the group below the branch too
    assert effective_template("party_lecture", world.g1, dt.date(2025, 6, 1)).version_id == v.pk


def test_deeper_version_wins_over_the_committee(world):
    root_v = _version(world.root, day=dt.date(2025, 3, 1), times=2)
    zz_v = _version(world.zz, day=dt.date(2025, 1, 1), times=3)
    on = dt.date(2025, 6, 1)
    assert effective_template("party_lecture", world.b1, on).version_id == zz_v.pk
    b1_v = _version(world.b1, day=dt.date(2024, 6, 1), times=4)
    assert effective_template("party_lecture", world.b1, on).version_id == b1_v.pk
    assert effective_template("party_lecture", world.zz, on).version_id == zz_v.pk
    assert effective_template("party_lecture", world.b2, on).version_id == root_v.pk


def test_latest_effective_from_up_to_the_date_wins(world):
    first = _version(world.root, day=dt.date(2025, 1, 1), times=2)
    second = _version(world.root, day=dt.date(2025, 7, 1), times=3)
    assert effective_template("party_lecture", world.b1, dt.date(2025, 6, 30)).version_id == first.pk
    assert effective_template("party_lecture", world.b1, dt.date(2025, 7, 1)).version_id == second.pk
    assert effective_template("party_lecture", world.b1, dt.date(2026, 1, 1)).version_id == second.pk


def test_version_of_another_subtree_does_not_apply(world):
    _version(world.b2, day=dt.date(2025, 1, 1))
    _version(world.zz, kind="theme_day", day=dt.date(2025, 1, 1), period="month", times=2)
    assert effective_template("party_lecture", world.b1, dt.date(2025, 6, 1)).is_standard
    assert effective_template("theme_day", world.b2, dt.date(2025, 6, 1)).is_standard
    # and a version of another kind does not stand in for this one
    assert effective_template("party_lecture", world.zz, dt.date(2025, 6, 1)).is_standard


def test_effective_templates_agree_with_effective_template(world, django_assert_num_queries):
    _version(world.root, day=dt.date(2025, 1, 1), times=2)
    _version(world.b1, day=dt.date(2025, 2, 1), times=3)
    _version(world.zz, kind="theme_day", day=dt.date(2025, 1, 1), period="month", times=2)
    _version(world.b2, kind="life_meeting", day=dt.date(2025, 1, 1), period="year", times=2)
    on = dt.date(2025, 6, 1)
    with django_assert_num_queries(1):
        all_of_b1 = effective_templates(world.b1, on)
    assert set(all_of_b1) == set(ActivityKind.values)
    for kind in ActivityKind.values:
        assert all_of_b1[kind].version_id == effective_template(kind, world.b1, on).version_id, kind
    assert all_of_b1["party_lecture"].frequency["times"] == 3
    assert all_of_b1["life_meeting"].is_standard


def test_version_history_states(world):
    today = dt.date(2025, 6, 1)
    old = _version(world.root, day=dt.date(2025, 1, 1))
    current = _version(world.root, day=dt.date(2025, 3, 1))
    future = _version(world.root, day=dt.date(2025, 9, 1))
    _version(world.b2, day=dt.date(2025, 2, 1))  # another subtree: not listed
    states = {r.version.pk: r.state for r in version_history("party_lecture", world.b1, today)}
    assert states == {old.pk: "replaced", current.pk: "current", future.pk: "future"}
    own = _version(world.b1, day=dt.date(2025, 4, 1))
    rows = version_history("party_lecture", world.b1, today)
    states = {r.version.pk: r.state for r in rows}
    assert states[own.pk] == "current" and states[current.pk] == "replaced"
    assert states[future.pk] == "shadowed"  # the branch's own version keeps winning after 9-1
    assert rows[0].version.pk == future.pk  # newest first


def test_version_ref_fits_the_record_field():
    ref = version_ref("某某集团有限公司某某港务分公司某某装卸作业区第一装卸队联合党支部", dt.date(2025, 1, 1))
    assert len(ref) <= 40 and ref.endswith("版本（2025-01-01起）")
