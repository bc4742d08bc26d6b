"""Reads: the year's table (ranks, filters, packs, specials, JSON), a member's year, scoped querysets and the
access helpers (404 outside scope), and the constant number of queries of the table."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from conftest import make_id
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Category
from dangjian.points import selectors
from dangjian.points.models import EntrySource, PointClaim, PointEntry, PointPackVersion, SpecialAssessment
from dangjian.points.pack import DEFAULT_PACK, parse_pack_text
from dangjian.standards.loader import PACK_DIR

from .test_services import YEAR

D = Decimal


def add(w, member, rule, category, points, day=None, *, slot="", assessment=None, reverses=None):
    day = day or dt.date(YEAR, 3, 15)
    return PointEntry.objects.create(
        member=member, org=member.branch, top_org=w.root, rule=rule, category=category, points=D(str(points)),
        occurred_on=day, year=day.year, period=f"{day:%Y-%m}", slot=slot, source=EntrySource.AWARDED,
        source_key=f"award:{uuid.uuid4().hex}", reason="测试", assessment=assessment, reverses=reverses)


@pytest.fixture
def ledger(world):
    """李党员: activity 22 (capped at 20), duty Q1 12 / Q2 15; 张书记: activity 5; 王机关 (B2): activity 3."""
    w = world
    for month in range(1, 12):
        add(w, w.member, "attend_present", "activity", 2, dt.date(YEAR, month, 10))
    add(w, w.member, "duty_score", "duty", 12, dt.date(YEAR, 3, 31), slot=f"{YEAR}-Q1")
    add(w, w.member, "duty_score", "duty", 15, dt.date(YEAR, 6, 30), slot=f"{YEAR}-Q2")
    add(w, w.sec_member, "attend_present", "activity", 5, dt.date(YEAR, 2, 10))
    add(w, w.b2_member, "attend_present", "activity", 3, dt.date(YEAR, 2, 10))
    add(w, w.b2_member, "attend_present", "activity", 1, dt.date(YEAR - 1, 2, 10))  # another year
    return w


def test_year_table_values_ranks_and_grade_counts(ledger):
    w = ledger
    table = selectors.year_table(w.root, YEAR)
    assert [(r.name, r.total) for r in table.rows] == [("李党员", D("43.5")), ("张书记", D("15")), ("王机关", D("13"))]
    me = table.by_member[w.member.pk]
    assert (me.categories["activity"].raw, me.categories["activity"].value, me.categories["activity"].cut) == (
        D("22"), D("20"), D("2"))
    assert me.categories["duty"].value == D("13.5")
    assert me.total == D("43.5") and me.grade == "不合格" and me.rank == 1  # 20 + 13.5 + 10 discipline
    assert table.by_member[w.b2_member.pk].total == D("13")
    assert table.grade_counts == {"优秀": 0, "合格": 0, "不合格": 3}
    assert me.org_code == "B1" and me.id_masked.startswith(w.member.id_number[:4]) and "*" in me.id_masked


def test_subtree_tables_and_category_filter(ledger):
    w = ledger
    assert [r.name for r in selectors.year_table(w.b1, YEAR).rows] == ["李党员", "张书记"]
    assert [r.name for r in selectors.year_table(w.b2, YEAR).rows] == ["王机关"]
    by_activity = selectors.year_table(w.root, YEAR, category="参加组织活动")
    assert by_activity.category == "activity"
    assert [(r.name, r.rank) for r in by_activity.rows] == [("李党员", 1), ("张书记", 2), ("王机关", 3)]
    with pytest.raises(ValueError, match="积分类别“趣味”不存在"):
        selectors.year_table(w.root, YEAR, category="趣味")


def test_period_filter_restricts_entries_keeps_caps_and_gives_no_grade(ledger):
    w = ledger
    march = selectors.year_table(w.root, YEAR, period=f"{YEAR}-03")
    me = march.by_member[w.member.pk]
    assert me.categories["activity"].value == 2 and me.categories["duty"].value == 12
    assert me.grade is None and march.grade_counts == {}
    q2 = selectors.year_table(w.root, YEAR, period=f"{YEAR}-Q2").by_member[w.member.pk]
    assert q2.categories["activity"].value == 6 and q2.categories["duty"].value == 15
    assert selectors.year_table(w.root, YEAR, period=str(YEAR)).period is None
    with pytest.raises(ValueError, match="期间“1999-03”无效"):
        selectors.year_table(w.root, YEAR, period="1999-03")


def test_reversed_pairs_cancel_and_a_cleared_slot_is_not_scored(ledger):
    w = ledger
    q1 = PointEntry.objects.get(member=w.member, slot=f"{YEAR}-Q1")
    add(w, w.member, "duty_score", "duty", -12, q1.occurred_on, slot=f"{YEAR}-Q1", reverses=q1)
    me = selectors.year_table(w.root, YEAR).by_member[w.member.pk]
    assert me.categories["duty"].value == 15  # only Q2 is scored now


def test_members_without_entries_and_non_party_members(world):
    org_services.member_create(actor=None, id_number=make_id("20000101", 66), name="积极分子",
                               category=Category.ACTIVIST, branch=world.b1)
    table = selectors.year_table(world.b1, YEAR)
    assert sorted(r.name for r in table.rows) == ["张书记", "李党员"]
    row = table.rows[0]
    assert row.total == 10 and row.categories["discipline"].value == 10 and len(row.missing) == 5


def test_totals_use_the_pack_in_force_at_the_end_of_the_period(ledger):
    w = ledger
    text = (PACK_DIR / DEFAULT_PACK).read_text(encoding="utf-8").replace("max: 20", "max: 25")
    PointPackVersion.objects.create(org=w.zz, effective_from=dt.date(YEAR, 7, 1), content=parse_pack_text(text, "v"),
                                    source_text=text)
    year = selectors.year_table(w.root, YEAR, as_of=dt.date(YEAR, 12, 31))
    assert year.by_member[w.member.pk].categories["activity"].value == 22  # ZZ's pack: cap 25
    assert year.by_member[w.b2_member.pk].categories["activity"].cap == 20  # B2 keeps the default
    assert year.pack["categories"]["activity"]["max"] == 20  # the root's pack
    march = selectors.year_table(w.root, YEAR, period=f"{YEAR}-03")
    assert march.by_member[w.member.pk].categories["activity"].cap == 20


def test_specials_in_the_table_and_json(ledger):
    w = ledger
    special = SpecialAssessment.objects.create(org=w.root, name="安全生产月", starts_on=dt.date(YEAR, 6, 1),
                                               ends_on=dt.date(YEAR, 6, 30), weight=D("0.5"), max_points=D("20"),
                                               rules=[])
    add(w, w.sec_member, "task", "special", 30, dt.date(YEAR, 6, 5), assessment=special)
    SpecialAssessment.objects.create(org=w.b2, name="B2专项", starts_on=dt.date(YEAR, 1, 1),
                                     ends_on=dt.date(YEAR, 1, 31), weight=1, max_points=10, rules=[])
    table = selectors.year_table(w.b1, YEAR)
    assert [s.name for s in table.specials] == ["安全生产月"] and table.specials[0].members == 1
    sec = table.by_member[w.sec_member.pk]
    assert sec.specials[special.pk].result == 20 and sec.total == D("25")  # 5 + 10 + 20 × 0.5
    data = selectors.to_json(table)
    assert data["org"] == {"code": "B1", "name": "装卸一队党支部"} and data["year"] == YEAR
    assert data["pack"] == {"code": "points-default", "version": "2026.1", "name": "党员积分制（默认）"}
    first = data["members"][0]
    assert first["name"] == "李党员" and first["total"] == 43.5 and first["rank"] == 1 and first["grade"] == "不合格"
    assert first["categories"]["参加组织活动"] == 20 and list(first["categories"])[0] == "参加组织活动"
    assert data["members"][1]["specials"] == {"安全生产月": 10}
    assert isinstance(data["members"][1]["total"], int)


def test_year_table_query_count_is_constant(ledger):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            selectors.year_table(ledger.root, YEAR)
        return len(ctx.captured_queries)

    small = count()
    for i in range(8):
        m = org_services.member_create(actor=None, id_number=make_id("19900303", 300 + i), name=f"新党员{i}",
                                       category=Category.FULL, branch=ledger.b1 if i % 2 else ledger.b2)
        add(ledger, m, "attend_present", "activity", 1)
        add(ledger, m, "duty_score", "duty", 9, dt.date(YEAR, 3, 31), slot=f"{YEAR}-Q1")
    SpecialAssessment.objects.create(org=ledger.root, name="专项", starts_on=dt.date(YEAR, 1, 1),
                                     ends_on=dt.date(YEAR, 2, 1), weight=0, max_points=10, rules=[])
    assert count() == small <= 5


def test_member_points(ledger):
    w = ledger
    w.member.group = w.g1
    w.member.save()
    mp = selectors.member_points(w.member, YEAR)
    assert mp.result.total == D("43.5") and mp.rank_branch == 1 and mp.branch_size == 2
    assert (mp.rank_group, mp.group_size) == (1, 2)  # 张书记 and 李党员 are both in G1
    more = org_services.member_create(actor=None, id_number=make_id("19900404", 77), name="小组外", category=Category.FULL,
                                      branch=w.b1)
    add(w, more, "attend_present", "activity", 20)
    add(w, more, "duty_score", "duty", 15, dt.date(YEAR, 3, 31), slot=f"{YEAR}-Q1")
    mp = selectors.member_points(w.member, YEAR)
    assert (mp.rank_branch, mp.result.rank, mp.rank_group, mp.branch_size) == (2, 2, 1, 3)
    months = dict(mp.months)
    assert len(mp.months) == 12 and months[f"{YEAR}-03"] == D("14") and months[f"{YEAR}-12"] == 0
    assert [e.occurred_on for e in mp.entries][:2] == [dt.date(YEAR, 11, 10), dt.date(YEAR, 10, 10)]
    assert mp.rule_name("attend_present") == "出席组织生活" and mp.rule_name("unknown") == "unknown"
    assert list(mp.claims) == []


def test_year_totals_for_assessment(ledger):
    totals = selectors.year_totals(ledger.root, YEAR)
    assert totals[ledger.member.pk].total == D("43.5") and totals[ledger.b2_member.pk].grade == "不合格"


# --- scoping ------------------------------------------------------------------------------------------

def test_entries_and_claims_scoping(ledger):
    w = ledger
    mine = {e.member_id for e in selectors.entries_for(w.member1)}
    assert mine == {w.member.pk}
    assert {e.member_id for e in selectors.entries_for(w.sec1)} == {w.member.pk, w.sec_member.pk}
    assert {e.member_id for e in selectors.entries_for(w.outsider)} == {w.b2_member.pk}
    assert selectors.entries_for(w.orgadmin).count() == PointEntry.objects.count()
    b2_entry = PointEntry.objects.filter(member=w.b2_member).first()
    with pytest.raises(Http404):
        selectors.get_entry_for_user(w.sec1, b2_entry.pk)
    with pytest.raises(Http404):
        selectors.get_entry_for_user(w.member1, "x")
    assert selectors.get_entry_for_user(w.outsider, b2_entry.pk) == b2_entry
    claim = PointClaim.objects.create(member=w.member, org=w.b1, rule="service_declared", category="service",
                                      points=2, occurred_on=dt.date(YEAR, 3, 1), reason="义务劳动",
                                      created_by=w.member1)
    assert selectors.get_claim_for_user(w.member1, claim.pk) == claim
    with pytest.raises(Http404):
        selectors.get_claim_for_user(w.outsider, claim.pk)
    assert list(selectors.pending_claims_for(w.sec1)) == [claim]
    assert list(selectors.pending_claims_for(w.member1)) == []
    assert list(selectors.pending_claims_for(w.outsider)) == []


def test_specials_scoping(world):
    root_special = SpecialAssessment.objects.create(org=world.root, name="集团专项", starts_on=dt.date(YEAR, 1, 1),
                                                    ends_on=dt.date(YEAR, 2, 1), weight=0, max_points=10, rules=[])
    b2_special = SpecialAssessment.objects.create(org=world.b2, name="B2专项", starts_on=dt.date(YEAR, 1, 1),
                                                  ends_on=dt.date(YEAR, 2, 1), weight=0, max_points=10, rules=[])
    assert set(selectors.specials_for(world.member1)) == {root_special}
    assert set(selectors.specials_for(world.outsider)) == {root_special, b2_special}
    assert set(selectors.specials_for(world.orgadmin)) == {root_special, b2_special}
    with pytest.raises(Http404):
        selectors.get_special_for_user(world.sec1, b2_special.pk)
    assert selectors.get_special_for_user(world.member1, root_special.pk) == root_special


def test_rule_labels(world):
    pack = selectors.pack_for(world.b1, dt.date(YEAR, 1, 1))
    assert selectors.rule_label(pack, "volunteer") == "参加志愿服务"
    assert selectors.category_names(pack)[0] == "参加组织活动"
    assert set(selectors.rules_for(world.member, kind="declared")) == {"service_declared"}
