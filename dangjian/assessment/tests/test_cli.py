"""The `evaluate` command: the JSON (the selectors' to_json, frozen results where confirmed), the Chinese table,
and exit code 1 with a Chinese message on bad arguments."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.assessment import selectors, services
from dangjian.assessment.management.commands.evaluate import Command
from dangjian.assessment.models import PostKind

SCHEME = "dabiao-chuangxing"
YEAR = 2025


def run_cli(*args: str) -> str:
    out = StringIO()
    call_command("evaluate", *args, stdout=out)
    return out.getvalue()


def cli_json(org: str = "ROOT", scheme: str = SCHEME, *extra: str) -> dict:
    return json.loads(run_cli("--scheme", scheme, "--org", org, "--year", str(YEAR), "--json", *extra))


def by_subject(data: dict) -> dict[str, dict]:
    return {r["subject"]: r for r in data["results"]}


@pytest.fixture
def scored(world):
    """B1 has self-assessed two reviewer items of 达标创星 for 2025; B2 has no evaluation (live, unscored)."""
    w = world
    w.ev = services.evaluation_open(actor=w.sec1, scheme=SCHEME, subject=w.b1, period=str(YEAR))
    services.item_score_set(actor=w.sec1, evaluation=w.ev, item="basic_org.integration", points=3, evidence="任职文件")
    services.item_score_set(actor=w.sec1, evaluation=w.ev, item="basic_support.brand", points="4.5",
                            evidence="品牌材料")
    return w


def confirm(w, ev):
    services.evaluation_submit(actor=w.sec1, evaluation=ev, note="自评完成")
    services.evaluation_review(actor=w.orgadmin, evaluation=ev, note="同意")
    return services.evaluation_confirm(actor=w.orgadmin, evaluation=ev)


def test_json_is_the_selectors_json(scored):
    data = cli_json()
    root = scored.root
    assert data == json.loads(json.dumps(selectors.to_json(SCHEME, root, YEAR, selectors.results(SCHEME, root,
                                                                                                  str(YEAR)))))
    assert (data["scheme"], data["org"], data["year"]) == (SCHEME, "ROOT", YEAR)
    rows = by_subject(data)
    assert set(rows) == {"B1", "B2"}  # the branches of the subtree, not the 党委, 党总支 or 党小组
    b1 = rows["B1"]
    assert list(b1["dimensions"]) == ["基本组织", "基本队伍", "基本活动", "基本作用", "基本制度", "基本保障"]
    items = {i["code"]: i for i in b1["items"]}
    assert items["basic_org.integration"]["points"] == 3
    assert items["basic_org.integration"]["reviewer"]["stage"] == "self"
    assert items["basic_support.brand"]["points"] == 4.5
    assert b1["live"] is True and b1["status"] == "draft"
    assert rows["B2"]["status"] == "" and rows["B2"]["version"] is None
    assert any(m.startswith("待评审") for m in rows["B2"]["missing"])


def test_json_of_one_branch(scored):
    data = cli_json("B1")
    assert [r["subject"] for r in data["results"]] == ["B1"]


def test_confirmed_result_is_frozen(scored):
    w = scored
    ev = confirm(w, w.ev)
    before = by_subject(cli_json())["B1"]
    assert before["live"] is False and before["status"] == "confirmed" and before["version"] == 1
    assert before["score"] == float(ev.score) and before["level"] == ev.level
    # records change after the confirmation: the live result moves, the confirmed one does not
    services.checklist_item_create(actor=w.sec1, org=w.b1, year=YEAR, title="打造党建品牌",
                                   due_on=dt.date(YEAR, 6, 30), feeds="basic_support.checklist")
    after = by_subject(cli_json())["B1"]
    assert after == before
    live = selectors.evaluate_subject(ev)
    assert [i for i in live.items if i.code == "basic_support.checklist"][0].text != \
        [i for i in after["items"] if i["code"] == "basic_support.checklist"][0]["text"]
    text = run_cli("--scheme", SCHEME, "--org", "ROOT", "--year", str(YEAR))
    assert "已认定（第1版）" in text


def test_reevaluation_shows_the_new_version(scored):
    w = scored
    ev = confirm(w, w.ev)
    new = services.evaluation_reevaluate(actor=w.orgadmin, evaluation=ev, note="补充材料")
    row = by_subject(cli_json())["B1"]
    assert (row["live"], row["status"], row["version"]) == (True, "draft", 2)
    assert new.version == 2


def test_table_in_chinese(scored):
    text = run_cli("--scheme", SCHEME, "--org", "ROOT", "--year", str(YEAR))
    lines = text.splitlines()
    assert lines[0].startswith("党支部达标创星（dabiao-chuangxing") and "集团党委（ROOT），2025年度" in lines[0]
    assert lines[1].split("\t") == ["排名", "考核对象", "基本组织", "基本队伍", "基本活动", "基本作用", "基本制度",
                                    "基本保障", "总分", "等级", "一票否决", "结果", "缺少数据"]
    rows = by_subject(cli_json())
    b1 = next(line.split("\t") for line in lines if "装卸一队党支部（B1）" in line)
    assert b1[8] == f"{rows['B1']['score']:g}" and b1[9] == rows["B1"]["level"] and b1[11] == "实时计算"
    assert any(line.startswith("等级分布：") for line in lines)
    assert any("待评审" in line for line in lines)  # the missing notes are listed, not hidden


def test_veto_in_table_and_json(scored):
    w = scored
    services.veto_set(actor=w.sec1, evaluation=w.ev, veto="safety_accident", reason="3月发生重大安全生产事故")
    row = by_subject(cli_json())["B1"]
    assert row["vetoed"] is True and row["level"] == "不达标" and row["passed"] is False
    text = run_cli("--scheme", SCHEME, "--org", "B1", "--year", str(YEAR))
    assert "3月发生重大安全生产事故" in text and "不达标" in text


def test_month_scheme_needs_a_period(world):
    w = world
    post = services.post_create(actor=w.sec1, org=w.b1, name="装卸党员示范岗", kind=PostKind.MODEL, holder=w.member)
    data = cli_json("B1", "model-post", "--period", "2025-03")
    assert data["period"] == "2025-03" and data["year"] == YEAR
    assert [r["subject_key"] for r in data["results"]] == [f"post:{post.pk}"]
    with pytest.raises(CommandError, match="按月份评价，请指定月份"):
        run_cli("--scheme", "model-post", "--org", "B1", "--year", str(YEAR))


@pytest.mark.parametrize(("args", "message"), [
    (["--scheme", "nope", "--org", "ROOT", "--year", "2025"], "考核方案“nope”不存在，可选："),
    (["--scheme", SCHEME, "--org", "NOPE", "--year", "2025"], "组织编码“NOPE”不存在"),
    (["--scheme", SCHEME, "--org", "ROOT", "--year", "20x5"], "年度“20x5”无效"),
    (["--scheme", SCHEME, "--org", "ROOT", "--year", "1999"], "年度“1999”无效"),
    (["--scheme", "model-post", "--org", "ROOT", "--year", "2025", "--period", "2025-13"], "期间格式错误"),
    (["--scheme", "model-post", "--org", "ROOT", "--year", "2025", "--period", "2024-12"], "不在2025年度内"),
    (["--scheme", SCHEME, "--org", "ROOT", "--year", "2025", "--period", "2025-03"], "期间格式错误"),
])
def test_bad_arguments(world, args, message):
    with pytest.raises(CommandError, match=message):
        run_cli(*args)


def test_bad_argument_exits_with_code_1(world, capsys):
    with pytest.raises(SystemExit) as exc:
        Command().run_from_argv(["manage.py", "evaluate", "--scheme", "nope", "--org", "ROOT", "--year", "2025"])
    assert exc.value.code == 1
    assert "考核方案“nope”不存在" in capsys.readouterr().err


def test_empty_subtree(world):
    text = run_cli("--scheme", "wuhao-banzu", "--org", "B2", "--year", "2025")
    assert "没有考核对象" in text
    assert cli_json("B2", "wuhao-banzu")["results"] == []
