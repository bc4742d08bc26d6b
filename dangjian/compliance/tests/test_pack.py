"""The rule pack: the codes of the issue, validation errors naming file and key, overrides."""

import pytest
import yaml

from dangjian.compliance.pack import effective_rules, load_pack
from dangjian.orgs.structure import StructureParams
from dangjian.standards.loader import PackError

CODES = {"ZB-DYDH-QUARTERLY", "ZB-ZWH-MONTHLY", "ZB-DXZ-MONTHLY", "ZB-DK-QUARTERLY", "ZB-ZTDR-MONTHLY",
         "ZB-ZZSHH-YEARLY", "ZB-MZPY-YEARLY", "ZB-DYDH-QUORUM", "ZB-ZWH-QUORUM", "ZB-MEMBER-ABSENT-6M",
         "ZB-ORG-COMMITTEE", "ZB-ORG-SIZE", "ZB-ORG-TERM"}


def test_pack_has_every_rule_with_name_severity_source():
    pack = load_pack()
    assert pack["code"] == "zhibu-2018"
    assert set(pack["rules"]) == CODES
    for rule in pack["rules"].values():
        assert rule["name"] and rule["source"] and rule["severity"] in ("danger", "warning")
        assert rule["enabled"] is True


def test_structure_numbers_agree_with_orgs_pack():
    rules, s = load_pack()["rules"], StructureParams.load()
    assert rules["ZB-ORG-COMMITTEE"]["params"] == {"committee_threshold": s.committee_threshold,
                                                   "min_committee_posts": s.min_committee_posts}
    assert rules["ZB-ORG-SIZE"]["params"] == {"min_full_members": s.min_full_members, "max_members": s.max_members}
    assert rules["ZB-ORG-TERM"]["params"]["warning_months"] == s.term_warning_months
    assert rules["ZB-ZWH-MONTHLY"]["params"]["min_full_members"] == s.committee_threshold


def write(tmp_path, rules):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"code": "x", "version": "1", "name": "测试", "rules": rules},
                                   allow_unicode=True), encoding="utf-8")
    return path


GOOD = {"name": "主题党日", "check": "frequency", "activity": "theme_day", "holder": "branch",
        "params": {"period": "month", "times": 1}, "severity": "danger", "source": "条例"}


@pytest.mark.parametrize(("change", "key"), [
    ({"severity": "high"}, "rules.R1.severity"),
    ({"check": "nope"}, "rules.R1.check"),
    ({"activity": "party"}, "rules.R1.activity"),
    ({"source": ""}, "rules.R1.source"),
    ({"params": {"period": "week", "times": 1}}, "rules.R1.params.period"),
    ({"params": {"period": "month"}}, "rules.R1.params.times"),
    ({"params": {"period": "month", "times": -1}}, "rules.R1.params.times"),
])
def test_validation_errors_name_file_and_key(tmp_path, change, key):
    with pytest.raises(PackError) as exc:
        load_pack(write(tmp_path, {"R1": {**GOOD, **change}}))
    assert str(exc.value).startswith(f"bad.yaml: {key}")


def test_missing_rules(tmp_path):
    with pytest.raises(PackError, match="bad.yaml: 缺少键“rules”"):
        load_pack(write(tmp_path, {}))


def test_good_pack_loads(tmp_path):
    assert load_pack(write(tmp_path, {"R1": GOOD}))["rules"]["R1"]["params"]["times"] == 1


def test_effective_rules_merge_top_down_without_changing_pack():
    pack = load_pack()
    overrides = {"0001": {"ZB-DK-QUARTERLY": {"enabled": False, "params": {"times": 2}}},
                 "00010001": {"ZB-DK-QUARTERLY": {"enabled": True}}}
    assert effective_rules(pack, "0001", overrides)["ZB-DK-QUARTERLY"]["enabled"] is False
    deeper = effective_rules(pack, "000100010001", overrides)["ZB-DK-QUARTERLY"]
    assert deeper["enabled"] is True and deeper["params"] == {"period": "quarter", "times": 2}
    assert effective_rules(pack, "0002", overrides) is pack["rules"]
    assert pack["rules"]["ZB-DK-QUARTERLY"]["params"]["times"] == 1


def test_bad_override_is_refused():
    pack = load_pack()
    with pytest.raises(PackError, match="ZB-NOPE"):
        effective_rules(pack, "0001", {"0001": {"ZB-NOPE": {"enabled": False}}})
    with pytest.raises(PackError, match="params.times"):
        effective_rules(pack, "0001", {"0001": {"ZB-DK-QUARTERLY": {"params": {"times": "两次"}}}})
