"""`python manage.py points`: the readable table and grade counts, --json (the API's JSON), --accrue (idempotent),
--period / --category, and clear Chinese errors (exit code 1) that change nothing."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.meetings import services as meetings
from dangjian.meetings.models import ActivityKind, ActivityStatus, Attendance, AttendanceStatus
from dangjian.orgs import services as org_services
from dangjian.orgs.models import OrgKind
from dangjian.points.models import PointEntry

from .test_api import YEAR, at, ledger_fixture  # noqa: F401 — the shared fixture `ledger`


def run(*args: str) -> str:
    out = StringIO()
    call_command("points", *args, stdout=out)
    return out.getvalue()


def test_readable_table(ledger):
    text = run("--org", "ROOT", "--year", str(YEAR))
    lines = text.splitlines()
    assert lines[0] == f"党员积分：集团党委（ROOT） {YEAR}年度，规则包 党员积分制（默认）（2026.1）"
    assert lines[1].split() == ["名次", "姓名", "所在组织", "总分", "等次"]
    assert [line.split() for line in lines[2:5]] == [["1", "李党员", "装卸一队党支部", "31", "不合格"],
                                                    ["2", "王机关", "机关党支部", "25", "不合格"],
                                                    ["3", "张书记", "装卸一队党支部", "21", "不合格"]]
    assert lines[5:] == ["共3人。", "等次：优秀 0人，合格 0人，不合格 3人"]


def test_json_is_the_api(ledger, client):
    data = json.loads(run("--org", "B1", "--year", str(YEAR), "--json"))
    client.force_login(ledger.admin)
    assert data == client.get("/api/points", {"org": "B1", "year": YEAR}).json()
    assert [(m["name"], m["total"], m["rank"]) for m in data["members"]] == [("李党员", 31, 1), ("张书记", 21, 2)]
    filtered = json.loads(run("--org", "B1", "--year", str(YEAR), "--json", "--category", "参加组织活动",
                              "--period", f"{YEAR}-Q1"))
    assert filtered == client.get("/api/points", {"org": "B1", "year": YEAR, "category": "参加组织活动",
                                                  "period": f"{YEAR}-Q1"}).json()
    assert [m["name"] for m in filtered["members"]] == ["张书记", "李党员"]


def test_period_and_category(ledger):
    text = run("--org", "B1", "--year", str(YEAR), "--period", f"{YEAR}-03", "--category", "参加组织活动")
    assert f"{YEAR}-03，按“参加组织活动”排名" in text
    lines = text.splitlines()
    assert lines[2].split()[:2] == ["1", "张书记"] and lines[2].split()[3] == "1"  # the category's value
    assert "等次只按全年总分评定，本期不评等次。" in text and "—" in lines[3]


def test_accrue_writes_once(ledger):
    activity = meetings.activity_create(actor=ledger.admin, org=ledger.b2, kind=ActivityKind.THEME_DAY, code="ZT-B2",
                                        title="主题党日", starts_at=at(dt.date(YEAR, 5, 8)),
                                        status=ActivityStatus.HELD, prefill_attendance=False)
    # A record written without the services' hook (as a bulk load would): only the accrual picks it up.
    Attendance.objects.create(activity=activity, member=ledger.b2_member, status=AttendanceStatus.PRESENT)
    text = run("--org", "ROOT", "--year", str(YEAR), "--accrue")
    assert text.splitlines()[0] == "自动积分：新增1条，冲销0条（记录变更），涉及1人。"
    assert "王机关" in text and "26" in text  # 25 + 出席 1
    again = run("--org", "ROOT", "--year", str(YEAR), "--accrue")
    assert again.splitlines()[0].startswith("自动积分已是最新") and "未写入新记录" in again
    data = json.loads(run("--org", "B2", "--year", str(YEAR), "--accrue", "--json"))
    assert data["accrual"] == {"created": 0, "reversed": 0, "members": 0}
    assert data["members"][0]["total"] == 26


def test_empty_subtree(ledger):
    org_services.org_create(actor=None, parent=ledger.root, code="B3", name="新建党支部", kind=OrgKind.BRANCH)
    text = run("--org", "B3", "--year", str(YEAR))
    assert "该组织及其下级没有党员。" in text
    assert json.loads(run("--org", "B3", "--year", str(YEAR), "--json"))["members"] == []


@pytest.mark.parametrize("args, message", [
    (["--org", "NOPE", "--year", "2025"], "组织编码“NOPE”不存在"),
    (["--org", "B1", "--year", "1800"], "年度“1800”无效"),
    (["--org", "B1", "--year", "2025", "--period", "2025-13"], "期间“2025-13”无效"),
    (["--org", "B1", "--year", "2025", "--period", "2024-Q1"], "期间“2024-Q1”无效"),
    (["--org", "B1", "--year", "2025", "--category", "唱歌"], "积分类别“唱歌”不存在"),
])
def test_bad_arguments(ledger, args, message):
    before = PointEntry.objects.count()
    with pytest.raises(CommandError, match=message):
        run(*args, "--accrue")
    assert PointEntry.objects.count() == before  # nothing accrued before the error
