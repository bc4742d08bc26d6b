"""The points rule pack: the default file loads; every malformed pack raises PackError naming file and key;
the pack in force is chosen by date and depth."""

import copy
import datetime as dt
from decimal import Decimal

import pytest
import yaml

from dangjian.points import pack as packs
from dangjian.standards.loader import PACK_DIR, PackError


def raw_default() -> dict:
    data = yaml.safe_load((PACK_DIR / packs.DEFAULT_PACK).read_text(encoding="utf-8"))
    data["_file"] = "default.yaml"
    return data


def test_default_pack_has_the_eight_categories_and_the_issue_values():
    pack = packs.load_pack()
    assert packs.category_names(pack) == ["参加组织活动", "履行岗位职责", "完成指标任务", "工作（产品）质量", "创先争优绩效",
                                          "服务职工群众", "遵守道德纪律", "群众评议意见"]
    caps = {c: float(v["max"]) for c, v in pack["categories"].items()}
    assert caps == {"activity": 20, "duty": 15, "target": 15, "quality": 10, "excellence": 10, "service": 10,
                    "discipline": 10, "opinion": 10}
    assert pack["categories"]["discipline"]["base"] == 10
    rules = pack["rules"]
    assert rules["attend_present"]["points"] == 1 and rules["attend_absent"]["points"] == -2
    assert rules["volunteer"]["points"] == 2
    assert rules["appraisal_grade"]["grades"] == {"优秀": 10, "合格": 8, "基本合格": 5, "不合格": 0}
    assert all(r["source"] for r in rules.values())
    assert [g["name"] for g in pack["grades"]] == ["优秀", "合格", "不合格"]


@pytest.mark.parametrize("total, grade", [("90", "优秀"), ("100", "优秀"), ("89.9", "合格"), ("60", "合格"),
                                          ("59.9", "不合格"), ("0", "不合格")])
def test_grade_boundaries(total, grade):
    assert packs.grade_for(packs.default_pack(), Decimal(total)) == grade


def broken(change) -> str:
    data = raw_default()
    change(data)
    with pytest.raises(PackError) as exc:
        packs.validate_pack(data)
    return str(exc.value)


def set_rule(code, **values):
    def change(data):
        data["rules"][code].update(values)
    return change


def drop_rule_key(code, key):
    def change(data):
        del data["rules"][code][key]
    return change


@pytest.mark.parametrize("change, expected", [
    (set_rule("attend_present", category="fun"), "default.yaml: rules.attend_present.category: 未知的积分类别“fun”"),
    (drop_rule_key("duty_score", "range"), "default.yaml: rules.duty_score.range: 缺少或格式错误"),
    (set_rule("duty_score", range=[15, 0]), "default.yaml: rules.duty_score.range: 最低值15.0大于最高值0.0"),
    (set_rule("attend_present", points=3), "default.yaml: rules.attend_present.points: 分值3.0超出本规则范围[1, 1]"),
    (set_rule("attend_present", kind="magic"), "default.yaml: rules.attend_present.kind: 未知的规则方式“magic”"),
    (set_rule("attend_present", metric="weather"), "default.yaml: rules.attend_present.metric: 未知的取数方式"),
    (set_rule("attend_present", status="late"), "default.yaml: rules.attend_present.status: 未知的出勤情况“late”"),
    (set_rule("volunteer", activity="party"), "default.yaml: rules.volunteer.activity: 未知的活动类型“party”"),
    (set_rule("appraisal_grade", grades={"优秀": 10, "很好": 9}),
     "default.yaml: rules.appraisal_grade.grades.很好: 未知的评议等次"),
    (set_rule("appraisal_grade", grades={"优秀": 12}), "default.yaml: rules.appraisal_grade.grades.优秀: 分值12.0超出"),
    (drop_rule_key("duty_score", "period"), "default.yaml: categories.duty.combine: 取平均值的类别"),
    (set_rule("duty_score", period="week"), "default.yaml: rules.duty_score.period: 应为 month 或 quarter"),
    (set_rule("service_declared", range=[0, 5]), "default.yaml: rules.service_declared.range: 申报类规则的分值应为正数"),
    (set_rule("duty_score", bonus=1), "default.yaml: rules.duty_score: 未知的键“bonus”"),
    (set_rule("discipline_deduct", range=[-10, -0.25]), "default.yaml: rules.discipline_deduct.range: 最多保留一位小数"),
    (drop_rule_key("attend_absent", "source"), "default.yaml: rules.attend_absent.source: 缺少或为空"),
    (set_rule("attend_absent", status="present"), "default.yaml: rules.attend_absent: 与规则“attend_present”取自同一类记录"),
])
def test_rule_errors_name_file_and_key(change, expected):
    assert expected in broken(change)


def set_category(code, **values):
    def change(data):
        data["categories"][code].update(values)
    return change


@pytest.mark.parametrize("change, expected", [
    (set_category("activity", max=0), "default.yaml: categories.activity.max: 上限应为正数"),
    (set_category("activity", max="many"), "default.yaml: categories.activity.max: 应为数字"),
    (set_category("discipline", base=12), "default.yaml: categories.discipline.base: 基础分应在0到上限"),
    (set_category("activity", combine="max"), "default.yaml: categories.activity.combine: 应为 sum 或 mean"),
    (set_category("service", combine="mean"), "default.yaml: categories.service.combine: 取平均值的类别"),
])
def test_category_errors(change, expected):
    assert expected in broken(change)


def set_grades(grades):
    def change(data):
        data["grades"] = grades
    return change


@pytest.mark.parametrize("grades, expected", [
    ([{"name": "优秀", "min": 85}, {"name": "合格", "min": 60, "below": 90}, {"name": "不合格", "min": 0, "below": 60}],
     "default.yaml: grades[0].min: 与等次“合格”重叠"),
    ([{"name": "优秀", "min": 90}, {"name": "合格", "min": 60, "below": 80}, {"name": "不合格", "min": 0, "below": 60}],
     "default.yaml: grades[0].min: 与等次“合格”之间有空档（80至90）"),
    ([{"name": "优秀", "min": 90}, {"name": "合格", "min": 10, "below": 90}],
     "default.yaml: grades[1].min: 等次须从0分起评"),
    ([{"name": "优秀", "min": 90, "below": 100}, {"name": "不合格", "min": 0, "below": 90}],
     "default.yaml: grades[0].below: 最高等次不应设上限"),
    ([], "default.yaml: grades: 缺少或为空"),
    ([{"name": "合格", "min": 60}, {"name": "合格", "min": 0, "below": 60}], "default.yaml: grades: 等次名称不能重复"),
])
def test_grade_errors(grades, expected):
    assert expected in broken(set_grades(grades))


def test_missing_rules_and_categories():
    assert "default.yaml: rules: 缺少或为空" in broken(lambda d: d.pop("rules"))
    assert "default.yaml: categories: 缺少或为空" in broken(lambda d: d.pop("categories"))


def test_a_file_that_does_not_exist_or_is_not_yaml(tmp_path):
    with pytest.raises(PackError, match="nope.yaml: 文件不存在"):
        packs.load_pack(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("code: [", encoding="utf-8")
    with pytest.raises(PackError, match="bad.yaml: YAML格式错误"):
        packs.load_pack(bad)


def test_parse_pack_text_returns_json_able_content_and_names_the_source():
    text = (PACK_DIR / packs.DEFAULT_PACK).read_text(encoding="utf-8").replace("max: 20", "max: 25")
    content = packs.parse_pack_text(text, "ROOT的积分规则")
    assert content["categories"]["activity"]["max"] == 25
    assert packs.pack_from_content(content, "x")["categories"]["activity"]["max"] == 25
    with pytest.raises(PackError, match="ROOT的积分规则: rules.attend_present.category"):
        packs.parse_pack_text(text.replace("category: activity", "category: nothing", 1), "ROOT的积分规则")
    with pytest.raises(PackError, match="ROOT的积分规则: 顶层应为键值映射"):
        packs.parse_pack_text("- a", "ROOT的积分规则")


def test_special_rules_validation():
    good = [{"code": "safety", "name": "安全生产任务", "kind": "manual", "range": [0, 50]},
            {"code": "tagged", "name": "参加安全主题活动", "kind": "auto", "metric": "attendance_tagged", "tag": "安全",
             "points": 5, "range": [5, 5]},
            {"code": "idea", "name": "合理化建议", "kind": "declared", "range": [1, 10]}]
    rules = packs.validate_special_rules(good, "安全生产月")
    assert [r["category"] for r in rules] == ["special"] * 3
    assert rules[1]["status"] == "present"
    bad = copy.deepcopy(good)
    bad[1].pop("tag")
    with pytest.raises(PackError, match=r"安全生产月: rules\[1\].tag: 须指定"):
        packs.validate_special_rules(bad, "安全生产月")
    with pytest.raises(PackError, match=r"安全生产月: rules\[1\].code: 规则编码“safety”重复"):
        packs.validate_special_rules([good[0], {**good[2], "code": "safety"}], "安全生产月")
    with pytest.raises(PackError, match=r"安全生产月: rules\[0\].metric: 未知的取数方式"):
        packs.validate_special_rules([{**good[1], "metric": "attendance"}], "安全生产月")
    with pytest.raises(PackError, match=r"安全生产月: rules\[0\].range"):
        packs.validate_special_rules([{"code": "x", "name": "x", "kind": "manual"}], "安全生产月")


def test_slots_and_periods():
    assert packs.slot_kind("2026-Q1") == "quarter" and packs.slot_kind("2026-03") == "month"
    assert packs.slot_kind("2026-Q5") is None and packs.slot_kind("2026-13") is None and packs.slot_kind("x") is None
    assert packs.slot_bounds("2026-Q4") == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert packs.slot_bounds("2024-02") == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert packs.period_months("2026-Q2") == ["2026-04", "2026-05", "2026-06"]
    assert len(packs.period_months("2026")) == 12


def test_chooser_takes_the_deepest_version_in_force_on_the_date():
    default = packs.default_pack()
    group, branch = {"name": "group"}, {"name": "branch"}
    group_2027 = {"name": "group 2027"}
    chooser = packs.PackChooser([("0001", dt.date(2026, 1, 1), group), ("0001", dt.date(2027, 1, 1), group_2027),
                                 ("000100010001", dt.date(2026, 7, 1), branch)], default)
    assert chooser.pack_for("00010002", dt.date(2025, 12, 31)) is default
    assert chooser.pack_for("00010002", dt.date(2026, 1, 1)) is group
    assert chooser.pack_for("00010002", dt.date(2027, 3, 1)) is group_2027
    assert chooser.pack_for("000100010001", dt.date(2026, 6, 30)) is group  # the branch's own not yet in force
    assert chooser.pack_for("000100010001", dt.date(2026, 7, 1)) is branch
    assert chooser.pack_for("000100010001", dt.date(2027, 7, 1)) is branch  # deeper wins over later
    assert chooser.pack_for("0002", dt.date(2027, 7, 1)) is default
    assert packs.PackChooser([], default).trivial
