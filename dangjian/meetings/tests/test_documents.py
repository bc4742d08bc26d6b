"""Word meeting record and the yearly 台账 (Word and Excel): contents, access, constant queries.

Also home of the fixtures shared by test_ics.py and test_api_*.py (`templates`, `people`, `assembly`, …).
"""

import datetime as dt
import io
from urllib.parse import quote

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from docx import Document
from docx.oxml.ns import qn

from conftest import make_id
from dangjian.meetings import selectors, services, worktemplates
from dangjian.meetings.documents.facts import activity_facts
from dangjian.meetings.models import Activity, ActivityKind, ActivityStatus, AttendanceStatus, TemplateVersion
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Category

YEAR = 2025
# Stand-ins for the kinds whose YAML files are edited elsewhere (the two base files are real).
STAND_INS = {
    "group_meeting": (["group"], "group_members", None, ["host", "recorder"]),
    "party_lecture": (["branch", "group"], "party_members", None, ["lecturer", "recorder"]),
    "theme_day": (["branch"], "party_members", None, ["host"]),
    "life_meeting": (["branch"], "party_members", None, ["host", "recorder"]),
    "member_appraisal": (["branch"], "full_members", {"rule": "more_than_half", "of": "voting"}, ["host"]),
    "heart_talk": (["branch"], "none", None, ["recorder"]),
    "topic_study": (["branch", "group"], "party_members", None, ["host"]),
    "volunteer": (["branch", "group"], "none", None, ["host"]),
    "campaign": (["branch"], "party_members", None, ["host"]),
    "recruitment_meeting": (["branch"], "full_members", {"rule": "more_than_half", "of": "voting"}, ["host"]),
    "other": (["branch", "group"], "none", None, ["host"]),
}


def standard_templates() -> dict:
    data = {kind: worktemplates.load_file(worktemplates.TEMPLATE_DIR / f"{kind}.yaml")
            for kind in ("branch_assembly", "committee_meeting")}
    for kind, (holder, expected, quorum, roles) in STAND_INS.items():
        data[kind] = worktemplates.validate_template({
            "kind": kind, "name": ActivityKind(kind).label, "version": "测试", "holder": holder, "expected": expected,
            "frequency": {"period": "none", "times": 0}, "steps": [{"title": "开展活动"}], "roles": roles,
            "quorum": quorum, "tags": ["安全", "志愿服务"],
        }, f"{kind}.yaml")
    return data


@pytest.fixture
def templates(monkeypatch):
    data = standard_templates()
    monkeypatch.setattr(worktemplates, "default_templates", lambda: data)
    return data


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def people(world):
    """B1: 张书记 (书记, G1), 李党员, 赵委员 (组织委员, G1), 钱党员 and 孙预备 (a probationary member)."""

    class P:
        pass

    p = P()
    p.zhang, p.li = world.sec_member, world.member
    p.zhao = org_services.member_create(actor=None, id_number=make_id("19870101", 51), name="赵委员",
                                        category=Category.FULL, branch=world.b1, group=world.g1, posts=["组织委员"])
    p.qian = org_services.member_create(actor=None, id_number=make_id("19880101", 52), name="钱党员",
                                        category=Category.FULL, branch=world.b1)
    p.sun = org_services.member_create(actor=None, id_number=make_id("19950101", 53), name="孙预备",
                                       category=Category.PROBATIONARY, branch=world.b1,
                                       admitted_on=dt.date(2024, 7, 1))
    return p


def make(world, kind, starts, *, org=None, status=ActivityStatus.HELD, **values):
    values.setdefault("title", f"{ActivityKind(kind).label}（测试）")
    return services.activity_create(actor=world.sec1, org=org or world.b1, kind=kind, starts_at=starts,
                                    status=status, **values)


def mark(activity, present=(), leave=None, absent=()):
    marks = {m.pk: (AttendanceStatus.PRESENT, "") for m in present}
    marks |= {m.pk: (AttendanceStatus.LEAVE, reason) for m, reason in (leave or {}).items()}
    marks |= {m.pk: (AttendanceStatus.ABSENT, "") for m in absent}
    services.attendance_save(actor=None, activity=activity, marks=marks)


@pytest.fixture
def assembly(world, templates, people):
    """A held 支部党员大会 in March 2025: 3 present, 钱党员 on leave (出差), 孙预备 absent."""
    activity = make(world, ActivityKind.BRANCH_ASSEMBLY, at(dt.date(YEAR, 3, 5), 14, 30),
                    ends_at=at(dt.date(YEAR, 3, 5), 16), place="三楼会议室，东侧", host=people.zhang,
                    recorder=people.zhao, title="学习贯彻全会精神",
                    agenda="1. 传达学习全会精神\n2、讨论年度工作计划\n\n（三）其他事项",
                    minutes="张书记传达了全会精神。\n与会党员逐一发言。\n会议一致通过年度工作计划。")
    mark(activity, present=[people.zhang, people.li, people.zhao], leave={people.qian: "出差"})
    return Activity.objects.select_related("org", "host", "recorder", "lecturer").get(pk=activity.pk)


def doc_texts(content: bytes) -> list[str]:
    """Every paragraph of the document, the tables' included, in order."""
    doc = Document(io.BytesIO(content))
    out = []
    body = doc.element.body
    for p in body.iter(qn("w:p")):
        out.append("".join(t.text or "" for t in p.iter(qn("w:t"))))
    return out


def table_value(texts: list[str], label: str) -> str:
    """The paragraph following a form label (the value cell)."""
    return texts[texts.index(label) + 1]


# --- the meeting record --------------------------------------------------------------------------


def test_record_docx_has_the_usual_form(world, assembly, login, people):
    response = login(world.sec1).get(reverse("activity_record_docx", args=[assembly.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    expected_name = f"{YEAR}-03-05-装卸一队党支部-支部党员大会会议记录.docx"
    assert f"filename*=utf-8''{quote(expected_name)}" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    texts = doc_texts(content)
    assert texts[0] == "装卸一队党支部支部党员大会会议记录"
    assert table_value(texts, "主题") == "学习贯彻全会精神"
    assert table_value(texts, "时间") == f"{YEAR}年3月5日（星期三）14:30—16:00"
    assert table_value(texts, "地点") == "三楼会议室，东侧"
    assert table_value(texts, "主持人") == "张书记" and table_value(texts, "记录人") == "赵委员"
    assert table_value(texts, "应到") == "5人" and table_value(texts, "实到") == "3人"
    assert table_value(texts, "请假") == "1人：钱党员（出差）"
    assert table_value(texts, "缺席") == "1人：孙预备"
    assert set(table_value(texts, "出席人员").split("、")) == {"张书记", "李党员", "赵委员"}
    quorum, _ = selectors.activity_quorum(assembly)
    assert quorum.met is True
    assert table_value(texts, "到会情况") == quorum.explanation
    assert "有表决权的应到人数4人，到会3人" in quorum.explanation
    agenda = texts.index("议程")
    assert texts[agenda + 1: agenda + 4] == ["1. 传达学习全会精神", "2. 讨论年度工作计划", "3. 其他事项"]
    minutes = texts.index("会议记录")
    assert texts[minutes + 1: minutes + 4] == ["张书记传达了全会精神。", "与会党员逐一发言。", "会议一致通过年度工作计划。"]
    assert any("主持人签字" in t and "记录人签字" in t for t in texts)
    assert any(t.startswith("注：本记录为补录") for t in texts)  # entered long after March 2025

    doc = Document(io.BytesIO(content))
    fonts = doc.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "宋体"
    assert round(doc.sections[0].page_width.mm) == 210


def test_record_of_a_party_lecture_names_the_lecturer(world, templates, people, login):
    lecture = make(world, ActivityKind.PARTY_LECTURE, at(dt.date(YEAR, 4, 8)), lecturer=people.zhang,
                   recorder=people.li, title="党史专题党课")
    texts = doc_texts(b"".join(login(world.sec1).get(reverse("activity_record_docx", args=[lecture.pk]))
                               .streaming_content))
    assert texts[0] == "装卸一队党支部党课记录"
    assert table_value(texts, "讲课人") == "张书记"
    assert table_value(texts, "议程") == "（未填写）"


@pytest.mark.parametrize("who, status", [("admin", 200), ("orgadmin", 200), ("zz_admin", 200), ("sec1", 200),
                                         ("member1", 200), ("outsider", 404)])
def test_record_docx_is_scoped(world, assembly, login, who, status):
    response = login(getattr(world, who)).get(reverse("activity_record_docx", args=[assembly.pk]))
    assert response.status_code == status


def test_record_docx_needs_login(world, assembly, client):
    response = client.get(reverse("activity_record_docx", args=[assembly.pk]))
    assert response.status_code == 302 and "/login/" in response.url


# --- facts: the bulk loader agrees with the selectors --------------------------------------------


def test_bulk_facts_agree_with_selectors(world, templates, people):
    committee = make(world, ActivityKind.COMMITTEE_MEETING, at(dt.date(YEAR, 2, 3)))
    mark(committee, present=[people.zhang], leave={people.zhao: "病假"})
    group = make(world, ActivityKind.GROUP_MEETING, at(dt.date(YEAR, 2, 10)), org=world.g1)
    mark(group, present=[people.zhao])
    # ZZ's own version of the 支部委员会 from April: every party member is expected, quorum of voting members.
    content = dict(templates["committee_meeting"], expected="party_members",
                   quorum={"rule": "more_than_half", "of": "voting"})
    TemplateVersion.objects.create(kind=ActivityKind.COMMITTEE_MEETING, org=world.zz,
                                   effective_from=dt.date(YEAR, 4, 1), content=content)
    later = make(world, ActivityKind.COMMITTEE_MEETING, at(dt.date(YEAR, 4, 7)))
    mark(later, present=[people.zhang, people.li, people.sun])
    b2 = make(world, ActivityKind.BRANCH_ASSEMBLY, at(dt.date(YEAR, 5, 7)), org=world.b2)
    activities = list(Activity.objects.select_related("org").order_by("starts_at"))
    for facts in activity_facts(activities):
        quorum, expected = selectors.activity_quorum(facts.activity)
        assert facts.quorum == quorum
        assert [p.id for p in facts.expected] == [p.id for p in expected]
        day = selectors.local_date(facts.activity)
        assert facts.template.ref == worktemplates.effective_template(facts.activity.kind, facts.activity.org, day).ref
    by_id = {f.activity.pk: f for f in activity_facts(activities)}
    assert by_id[later.pk].quorum.base == 4 and by_id[later.pk].quorum.met is False  # 孙预备 has no vote
    assert by_id[committee.pk].quorum.expected == 2
    assert by_id[b2.pk].quorum.expected == 1


# --- the yearly 台账 -----------------------------------------------------------------------------


@pytest.fixture
def year_of_activities(world, assembly, people):
    """B1 and G1 in 2025: an assembly (March), two committee meetings, a group meeting, a planned lecture;
    plus activities that must stay out (2024, and B2's)."""
    first = make(world, ActivityKind.COMMITTEE_MEETING, at(dt.date(YEAR, 1, 6)), title="研究年度计划")
    mark(first, present=[people.zhang, people.zhao])
    second = make(world, ActivityKind.COMMITTEE_MEETING, at(dt.date(YEAR, 3, 2)), title="研究发展党员")
    mark(second, present=[people.zhang])
    group = make(world, ActivityKind.GROUP_MEETING, at(dt.date(YEAR, 2, 14)), org=world.g1, title="小组学习")
    mark(group, present=[people.zhao], leave={people.zhang: "培训"})
    lecture = make(world, ActivityKind.PARTY_LECTURE, at(dt.date(YEAR, 12, 20)), status=ActivityStatus.PLANNED,
                   title="年终党课")
    make(world, ActivityKind.COMMITTEE_MEETING, at(dt.date(YEAR - 1, 12, 31), 20), title="上一年的会")
    make(world, ActivityKind.BRANCH_ASSEMBLY, at(dt.date(YEAR, 3, 9)), org=world.b2, title="别的支部")
    return [assembly, first, second, group, lecture]


def _download(client, name, code="B1", year=YEAR):
    response = client.get(reverse(name, args=[code, year]))
    assert response.status_code == 200, response.content[:200]
    return b"".join(response.streaming_content), response


def test_ledger_docx(world, year_of_activities, login):
    content, response = _download(login(world.sec1), "ledger_docx")
    assert f"filename*=utf-8''{quote(f'{YEAR}年-装卸一队党支部-组织生活台账.docx')}" in response["Content-Disposition"]
    texts = doc_texts(content)
    body = "\n".join(texts)
    assert "装卸一队党支部" in texts and f"{YEAR}年度" in texts and "组织生活台账" in texts
    assert "一、年度概况" in texts and "二、活动记录" in texts
    assert "共记录组织生活5次，其中已召开4次" in body
    # Kinds in the 三会一课 order, each in date order.
    headings = [t for t in texts if t.startswith("（") and t.endswith("次）")]
    assert headings[:4] == ["（一）支部党员大会（1次）", "（二）支部委员会（2次）", "（三）党小组会（1次）",
                            "（四）党课（1次）"]
    assert body.index("1月6日 研究年度计划") < body.index("3月2日 研究发展党员") < body.index("小组学习")
    assert "上一年的会" not in body and "别的支部" not in body
    assert "1人：钱党员（出差）" in texts and "1人：张书记（培训）" in texts
    assert "出勤率" in body
    # The summary table: the 支部委员会 row has 1 in January and 1 in March, 2 in all.
    doc = Document(io.BytesIO(content))
    rows = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    committee = next(r for r in rows if r[0] == "支部委员会")
    assert committee[1] == "1" and committee[3] == "1" and committee[-1] == "2"
    assert rows[-1][0] == "合计" and rows[-1][-1] == "5"


def test_ledger_xlsx(world, year_of_activities, login, people):
    content, response = _download(login(world.sec1), "ledger_xlsx")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    wb = openpyxl.load_workbook(io.BytesIO(content))
    assert wb.sheetnames == ["汇总", "活动", "出勤"]
    summary, activities, attendance = wb["汇总"], wb["活动"], wb["出勤"]
    assert [c.value for c in summary[1]][:3] == ["活动类型", "1月", "2月"]
    kinds = [summary.cell(row=r, column=1).value for r in range(2, 2 + len(ActivityKind))]
    assert kinds == list(ActivityKind.labels)
    assert summary.cell(row=3, column=2).value == 1  # 支部委员会 in January
    assert summary.cell(row=2 + len(ActivityKind), column=14).value == 5  # 合计
    assert activities.max_row == 1 + 5
    header = [c.value for c in activities[1]]
    rows = [dict(zip(header, [c.value for c in row], strict=True)) for row in activities.iter_rows(min_row=2)]
    assert [r["活动类型"] for r in rows] == ["支部党员大会", "支部委员会", "支部委员会", "党小组会", "党课"]
    first = rows[0]
    assert (first["应到"], first["实到"], first["请假"], first["缺席"]) == (5, 3, 1, 1)
    assert first["到会人数要求"] == "符合" and first["补录"] == "补录" and first["状态"] == "已召开"
    assert first["请假人员"] == "钱党员（出差）" and first["缺席人员"] == "孙预备"
    assert rows[-1]["状态"] == "计划" and rows[-1]["到会人数要求"] == "—"
    # One row per person per activity: 5 at the assembly, 2 per committee meeting, 2 in G1, 5 at the lecture.
    assert attendance.max_row == 1 + 5 + 2 + 2 + 2 + 5
    assert [c.value for c in attendance[1]] == ["活动编号", "日期", "姓名", "出勤情况", "说明"]
    statuses = {(r[0].value, r[2].value): (r[3].value, r[4].value) for r in attendance.iter_rows(min_row=2)}
    assert statuses[(year_of_activities[0].code, "钱党员")] == ("请假", "出差")
    assert statuses[(year_of_activities[0].code, "孙预备")] == ("缺席", None)
    for ws in (summary, activities, attendance):
        assert ws.freeze_panes == "A2"
    assert activities.column_dimensions["H"].width == 36


@pytest.mark.parametrize("who, status", [("admin", 200), ("orgadmin", 200), ("zz_admin", 200), ("sec1", 200),
                                         ("member1", 404), ("outsider", 404)])
@pytest.mark.parametrize("name", ["ledger_docx", "ledger_xlsx"])
def test_ledger_is_for_officers_who_see_the_branch(world, assembly, login, who, status, name):
    assert login(getattr(world, who)).get(reverse(name, args=["B1", YEAR])).status_code == status


@pytest.mark.parametrize("code, year", [("G1", YEAR), ("ZZ", YEAR), ("B1", 1900), ("NOPE", YEAR)])
def test_ledger_only_for_a_branch_and_a_sensible_year(world, templates, login, code, year):
    assert login(world.admin).get(reverse("ledger_xlsx", args=[code, year])).status_code == 404


def test_ledger_of_an_empty_year(world, templates, login):
    content, _ = _download(login(world.sec1), "ledger_docx")
    assert "本年度没有组织生活记录。" in doc_texts(content)
    content, _ = _download(login(world.sec1), "ledger_xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(content))
    assert wb["活动"].max_row == 1 and wb["出勤"].max_row == 1


def _queries(client, name) -> int:
    with CaptureQueriesContext(connection) as ctx:
        _download(client, name)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["ledger_docx", "ledger_xlsx"])
def test_ledger_queries_do_not_grow_with_activities(world, assembly, people, login, name):
    client = login(world.sec1)
    before = _queries(client, name)
    for month in range(4, 10):
        a = make(world, ActivityKind.COMMITTEE_MEETING, at(dt.date(YEAR, month, 3)))
        mark(a, present=[people.zhang])
        make(world, ActivityKind.GROUP_MEETING, at(dt.date(YEAR, month, 9)), org=world.g1)
    TemplateVersion.objects.create(kind=ActivityKind.COMMITTEE_MEETING, org=world.b1,
                                   effective_from=dt.date(YEAR, 6, 1), content=worktemplates.default_templates()[
                                       ActivityKind.COMMITTEE_MEETING])
    assert _queries(client, name) == before
