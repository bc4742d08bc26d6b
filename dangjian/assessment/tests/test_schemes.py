"""Scheme packs: the built-in ones load, and every malformed pack is refused naming its file and key."""

import copy

import pytest

from dangjian.assessment import schemes
from dangjian.assessment.metrics import REGISTRY
from dangjian.standards.loader import PackError, read_pack

BUILT_IN = ("dabiao-chuangxing", "shuangbai-branch", "shuangbai-member", "post-kpi", "wuhao-banzu", "model-post")


def raw(code="dabiao-chuangxing"):
    return copy.deepcopy(read_pack(schemes.SCHEME_DIR / f"{code}.yaml"))


def refused(data, *fragments):
    with pytest.raises(PackError) as exc:
        schemes.validate_scheme(data)
    message = str(exc.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_every_built_in_scheme_loads():
    assert set(BUILT_IN) <= set(schemes.scheme_codes())
    for code in BUILT_IN:
        scheme = schemes.load_scheme(code)
        assert scheme["code"] == code
        assert sum(d["weight"] for d in scheme["dimensions"].values()) == scheme["total"]
        for item in schemes.item_codes(scheme).values():
            assert item["source"]
            assert item["metric"] or item["reviewer"]


def test_dabiao_has_the_issue_weights_bands_and_vetoes():
    s = schemes.load_scheme("dabiao-chuangxing")
    assert [(d["name"], d["weight"]) for d in s["dimensions"].values()] == [
        ("基本组织", 15), ("基本队伍", 15), ("基本活动", 25), ("基本作用", 20), ("基本制度", 10), ("基本保障", 15)]
    assert [(b["name"], b["min"], b["below"]) for b in s["levels"]] == [
        ("五星", 95, None), ("四星", 90, 95), ("三星", 80, 90), ("二星", 70, 80), ("一星", 60, 70), ("不达标", 0, 60)]
    assert s["pass_min"] == 60 and s["veto_level"] == "不达标"
    assert {"discipline_case", "safety_accident"} <= set(s["vetoes"])
    assert "种子文档003" in s["source"] and "⚠" in s["source"]
    metrics = schemes.metric_names(s)
    assert {"sanhui_completion", "committee_complete", "term_not_overdue", "red_team_coverage", "avg_member_points",
            "rectification_on_time", "checklist_completion"} <= metrics


def test_unknown_scheme_code():
    with pytest.raises(PackError, match="考核方案“nope”不存在"):
        schemes.load_scheme("nope")


def test_unknown_subject_and_period():
    data = raw()
    data["subject"] = "village"
    refused(data, "dabiao-chuangxing.yaml", "subject", "village")
    data = raw()
    data["period"] = "week"
    refused(data, "dabiao-chuangxing.yaml", "period", "week")


def test_unknown_metric_and_metric_for_another_subject():
    data = raw()
    data["dimensions"]["basic_org"]["items"]["committee"]["metric"] = "no_such_metric"
    refused(data, "dimensions.basic_org.items.committee.metric", "no_such_metric")
    data = raw()
    data["dimensions"]["basic_org"]["items"]["committee"]["metric"] = "member_points_total"
    refused(data, "dimensions.basic_org.items.committee.metric", "不适用", "党支部")


def test_unknown_scoring_type_and_bad_ratio():
    data = raw()
    data["dimensions"]["basic_activity"]["items"]["sanhui"]["scoring"] = {"type": "curve"}
    refused(data, "dimensions.basic_activity.items.sanhui.scoring.type", "curve")
    data = raw()
    data["dimensions"]["basic_activity"]["items"]["sanhui"]["scoring"] = {"type": "ratio", "full_at": 1, "zero_at": 1}
    refused(data, "dimensions.basic_activity.items.sanhui.scoring", "full_at 与 zero_at 不能相等")


def test_item_without_max_or_without_metric_and_reviewer():
    data = raw()
    del data["dimensions"]["basic_org"]["items"]["term"]["max"]
    refused(data, "dimensions.basic_org.items.term.max")
    data = raw()
    item = data["dimensions"]["basic_org"]["items"]["term"]
    del item["metric"]
    refused(data, "dimensions.basic_org.items.term", "metric", "reviewer")


def test_reviewer_item_needs_criteria_and_item_needs_source():
    data = raw()
    del data["dimensions"]["basic_org"]["items"]["integration"]["criteria"]
    refused(data, "dimensions.basic_org.items.integration.criteria")
    data = raw()
    del data["dimensions"]["basic_org"]["items"]["term"]["source"]
    refused(data, "dimensions.basic_org.items.term.source")


def test_weights_must_sum_to_total():
    data = raw()
    data["dimensions"]["basic_org"]["weight"] = 16
    refused(data, "dabiao-chuangxing.yaml: dimensions", "101", "100")


def test_bands_points_within_max():
    data = raw()
    data["dimensions"]["basic_team"]["items"]["pipeline"]["scoring"]["bands"][0]["points"] = 9
    refused(data, "dimensions.basic_team.items.pipeline.scoring.bands[0].points")


def test_levels_overlap_gap_start_and_open_top():
    data = raw()
    data["levels"][1]["below"] = 96
    refused(data, "levels", "重叠")
    data = raw()
    data["levels"][2]["below"] = 85
    refused(data, "levels", "空档")
    data = raw()
    data["levels"][-1]["min"] = 10
    refused(data, "levels", "从0分开始")
    data = raw()
    data["levels"][0]["below"] = 120
    refused(data, "levels", "不应设上限")


def test_veto_level_must_be_a_level():
    data = raw()
    data["veto_level"] = "零星"
    refused(data, "veto_level", "零星")


def test_post_kinds_only_for_post_schemes_and_known():
    data = raw()
    data["post_kinds"] = ["kpi"]
    refused(data, "post_kinds")
    data = raw("post-kpi")
    data["post_kinds"] = ["captain"]
    refused(data, "post-kpi.yaml: post_kinds")


def test_kpi_dimension_only_for_posts():
    data = raw()
    data["dimensions"]["basic_org"]["kpi"] = True
    refused(data, "dimensions.basic_org.kpi")


def test_every_registered_metric_names_its_subjects_and_needs():
    for name, metric in REGISTRY.items():
        assert metric.subjects and set(metric.subjects) <= set(schemes.SUBJECTS), name
        assert metric.label
        assert metric.needs, name


def test_unknown_keys_are_refused():
    data = raw()
    data["dimensions"]["basic_org"]["items"]["integration"]["reviwer"] = True
    refused(data, "dimensions.basic_org.items.integration.reviwer", "未知的键")
    data = raw()
    data["dimensions"]["basic_org"]["wieght"] = 15
    refused(data, "dimensions.basic_org.wieght", "未知的键")
    data = raw()
    data["levles"] = []
    refused(data, "dabiao-chuangxing.yaml: levles: 未知的键")


def test_a_veto_needs_name_and_source():
    data = raw()
    del data["vetoes"]["safety_accident"]["source"]
    refused(data, "vetoes.safety_accident.source")
