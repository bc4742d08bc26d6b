"""Home dashboard, organization tree (lazy children), organization page and the org forms."""

import datetime as dt

import pytest
from django.urls import reverse

from conftest import make_id
from dangjian.core.models import AuditEntry
from dangjian.orgs import services
from dangjian.orgs.models import Category, Organization, OrgKind
from dangjian.orgs.views import orgs as org_views


def add_branches(world, n: int, members_each: int = 2) -> None:
    for i in range(n):
        b = services.org_create(actor=None, parent=world.zz, code=f"X{i}", name=f"新增{i}党支部", kind=OrgKind.BRANCH)
        for j in range(members_each):
            services.member_create(actor=None, id_number=make_id("19900101", 100 + i * 10 + j), name=f"人{i}-{j}",
                                   category=Category.FULL, branch=b)


@pytest.mark.django_db
def test_home_dashboard_shows_scope_counts_and_warnings(world, client):
    client.force_login(world.zz_admin)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    ctx = response.context
    assert ctx["org_total"] == 3  # ZZ, B1, G1
    assert ctx["party_total"] == 2  # the two full members of B1
    assert dict(ctx["org_kinds"])["党支部"] == 1
    # B1 has 2 full members: fewer than 3
    assert [s.org.code for s in ctx["warned"]] == ["B1"]
    assert "少于3人" in response.content.decode()
    assert "echarts.min.js" in response.content.decode()


@pytest.mark.django_db
def test_home_dashboard_queries_do_not_grow_with_branches(world, client, django_assert_max_num_queries):
    client.force_login(world.admin)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("home")).status_code == 200
    add_branches(world, 12)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("home"))
    assert response.context["org_total"] == 5 + 12


@pytest.mark.django_db
def test_tree_opens_a_single_root_and_loads_children_lazily(world, client):
    client.force_login(world.orgadmin)
    page = client.get(reverse("org_tree")).content.decode()
    assert "集团党委" in page and "港务党总支" in page  # the root and its children
    assert "装卸一队党支部" not in page  # grandchildren come on demand
    assert reverse("org_children", args=["ZZ"]) in page
    part = client.get(reverse("org_children", args=["ZZ"]), headers={"HX-Request": "true"})
    html = part.content.decode()
    assert part.status_code == 200 and "装卸一队党支部" in html and "<html" not in html
    assert "2人" in html  # B1's party members


@pytest.mark.django_db
def test_tree_children_come_in_pages(world, client, monkeypatch):
    monkeypatch.setattr(org_views, "TREE_PAGE", 1)
    client.force_login(world.admin)
    first = client.get(reverse("org_children", args=["ROOT"])).content.decode()
    assert "港务党总支" in first and "机关党支部" not in first and "还有 1 个" in first
    second = client.get(reverse("org_children", args=["ROOT"]) + "?offset=1").content.decode()
    assert "机关党支部" in second and "港务党总支" not in second


@pytest.mark.django_db
def test_tree_search_stays_in_scope(world, client):
    client.force_login(world.outsider)
    page = client.get(reverse("org_tree") + "?q=党支部").content.decode()
    assert "机关党支部" in page and "装卸一队党支部" not in page
    client.force_login(world.orgadmin)
    part = client.get(reverse("org_tree") + "?q=B1", headers={"HX-Request": "true", "HX-Target": "tree-area"})
    assert "装卸一队党支部" in part.content.decode() and "<html" not in part.content.decode()


@pytest.mark.django_db
def test_org_page_shows_warnings_officers_and_buttons(world, client):
    services.member_update(actor=None, member=world.sec_member, admin_title="队长")
    client.force_login(world.orgadmin)
    response = client.get(reverse("org_detail", args=["B1"]))
    html = response.content.decode()
    assert "正式党员2人，少于3人" in html and "依据" in html and "支部工作条例" in html
    assert "张书记" in html and "队长" in html and "交叉任职" in html
    assert [c[0] for c in response.context["breadcrumbs"]][:3] == ["组织架构", "集团党委", "港务党总支"]
    assert f"{reverse('export_workbook')}?org=B1" in html
    assert reverse("org_edit", args=["B1"]) in html
    assert reverse("member_create") + "?branch=B1" in html


@pytest.mark.django_db
def test_org_page_for_branch_secretary_hides_edit_and_foreign_ancestors(world, client):
    client.force_login(world.sec1)
    response = client.get(reverse("org_detail", args=["B1"]))
    html = response.content.decode()
    assert reverse("org_edit", args=["B1"]) not in html
    assert reverse("org_create") + "?parent=B1" in html  # 党小组 may be added
    assert "集团党委" not in [c[0] for c in response.context["breadcrumbs"]]


@pytest.mark.django_db
def test_org_create_writes_audit_and_redirects(world, client):
    client.force_login(world.sec1)
    response = client.post(reverse("org_create") + "?parent=B1",
                           {"parent": "B1", "kind": OrgKind.GROUP, "code": "G2", "name": "第二党小组"})
    assert response.status_code == 302
    g2 = Organization.objects.get(code="G2")
    assert Organization.objects.get_parent(g2).code == "B1"
    entry = AuditEntry.objects.get(object_type="organization", object_id=str(g2.pk), action="create")
    assert entry.actor == world.sec1 and entry.org_path == g2.path


@pytest.mark.django_db
@pytest.mark.parametrize(("user", "data", "field", "message"), [
    ("orgadmin", {"parent": "ZZ", "kind": OrgKind.BRANCH, "code": "B1", "name": "重复"}, "code", "已存在"),
    ("orgadmin", {"parent": "ZZ", "kind": OrgKind.GROUP, "code": "GX", "name": "错位小组"}, "parent", "党小组的上级应为党支部"),
    ("orgadmin", {"parent": "ZZ", "kind": OrgKind.BRANCH, "code": "", "name": "无编码"}, "code", "组织编码不能为空"),
    ("sec1", {"parent": "B1", "kind": OrgKind.BRANCH, "code": "BX", "name": "越权"}, "parent", "您无权"),
    ("zz_admin", {"parent": "ROOT", "kind": OrgKind.BRANCH, "code": "BY", "name": "外面"}, "parent", "不在您的权限范围内"),
    ("orgadmin", {"parent": "ZZ", "kind": OrgKind.BRANCH, "code": "BZ", "name": "未来",
                  "founded_on": (dt.date.today() + dt.timedelta(days=9)).isoformat()}, "founded_on", "晚于今天"),
])
def test_org_create_rejects_bad_input_in_chinese(world, client, user, data, field, message):
    before = Organization.objects.count()
    client.force_login(getattr(world, user))
    response = client.post(reverse("org_create"), data)
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message in errors
    assert Organization.objects.count() == before


@pytest.mark.django_db
def test_org_edit_moves_and_audits(world, client):
    client.force_login(world.orgadmin)
    response = client.post(reverse("org_edit", args=["B2"]),
                           {"parent": "ZZ", "kind": OrgKind.BRANCH, "code": "B2", "name": "机关党支部（改）"})
    assert response.status_code == 302
    b2 = Organization.objects.get(code="B2")
    assert Organization.objects.get_parent(b2).code == "ZZ" and b2.name == "机关党支部（改）"
    entry = AuditEntry.objects.get(object_type="organization", object_id=str(b2.pk), action="update")
    assert entry.before["parent"] == "ROOT" and entry.after["parent"] == "ZZ"


@pytest.mark.django_db
def test_org_edit_by_subtree_admin_keeps_parent_outside_their_scope(world, client):
    client.force_login(world.zz_admin)
    response = client.post(reverse("org_edit", args=["ZZ"]),
                           {"parent": "ROOT", "kind": OrgKind.GENERAL_BRANCH, "code": "ZZ", "name": "港务党总支（新）"})
    assert response.status_code == 302
    assert Organization.objects.get(code="ZZ").name == "港务党总支（新）"
    # …but may not move it elsewhere outside their subtree
    response = client.post(reverse("org_edit", args=["B1"]),
                           {"parent": "ROOT", "kind": OrgKind.BRANCH, "code": "B1", "name": "装卸一队党支部"})
    assert response.status_code == 200 and response.context["form"].errors["parent"]
    assert Organization.objects.get_parent(Organization.objects.get(code="B1")).code == "ZZ"


@pytest.mark.django_db
def test_structure_warning_list(world, client):
    client.force_login(world.admin)
    html = client.get(reverse("org_tree") + "?warnings=1").content.decode()
    assert "装卸一队党支部" in html and "少于3人" in html and "依据" in html


@pytest.mark.django_db
def test_branch_page_links_to_its_organizational_life(login, world):
    import datetime as dt

    page = login(world.sec1).get("/orgs/B1/").content.decode()
    year = dt.date.today().year
    for url in ("/month/?org=B1", "/activities/?org=B1", f"/orgs/B1/ledger/{year}.docx", f"/orgs/B1/ledger/{year}.xlsx"):
        assert url in page
    assert "/month/?org=ZZ" not in login(world.orgadmin).get("/orgs/ZZ/").content.decode()
