"""The roster pages: masking by role, filters, constant queries, the member forms, delete and 'me'."""

import datetime as dt

import pytest
from django.urls import reverse

from conftest import make_id
from dangjian.core.masking import mask_id_number
from dangjian.core.models import AuditEntry
from dangjian.orgs import services
from dangjian.orgs.models import Category, Member


def valid_post(world, **overrides) -> dict:
    data = {"id_number": make_id("19950505", 41), "name": "赵六", "category": Category.ACTIVIST, "branch": "B1",
            "group": "G1", "applied_on": "2024-01-01", "activist_on": "2024-06-01", "phone": "13611112222",
            "work_status": "在岗", "job_post": "装卸工"}
    return data | overrides


@pytest.mark.django_db
def test_branch_secretary_sees_phones_but_masked_id_numbers(world, client):
    client.force_login(world.sec1)
    html = client.get(reverse("member_list")).content.decode()
    assert "李党员" in html and "13900000002" in html
    assert world.member.id_number not in html and mask_id_number(world.member.id_number) in html
    assert "王机关" not in html  # B2 is not theirs


@pytest.mark.django_db
def test_org_admin_sees_full_id_numbers(world, client):
    client.force_login(world.orgadmin)
    html = client.get(reverse("member_list")).content.decode()
    assert world.member.id_number in html and world.b2_member.id_number in html


@pytest.mark.django_db
def test_member_detail_masks_for_secretary_and_not_for_self(world, client):
    client.force_login(world.sec1)
    html = client.get(reverse("member_detail", args=[world.member.pk])).content.decode()
    assert world.member.id_number not in html and "13900000002" in html
    client.force_login(world.member1)
    html = client.get(reverse("me")).content.decode()
    assert world.member.id_number in html and "13900000002" in html and "装卸一队党支部" in html


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "present", "absent"), [
    ("?org=G1", ["张书记"], ["李党员"]),
    ("?org=ZZ", ["张书记", "李党员"], ["王机关"]),
    ("?party_post=书记", ["张书记", "王机关"], ["李党员"]),
    ("?q=0002", ["李党员"], ["张书记"]),
    ("?category=activist", [], ["李党员"]),
    ("?org=NOPE", [], ["李党员"]),
])
def test_member_list_filters(world, client, query, present, absent):
    client.force_login(world.orgadmin)
    html = client.get(reverse("member_list") + query).content.decode()
    for name in present:
        assert name in html
    for name in absent:
        assert name not in html


@pytest.mark.django_db
def test_member_list_empty_state_and_htmx_partial(world, client):
    client.force_login(world.orgadmin)
    response = client.get(reverse("member_list") + "?q=没有这个人",
                          headers={"HX-Request": "true", "HX-Target": "member-results"})
    html = response.content.decode()
    assert "没有符合条件的人员" in html and "<html" not in html


@pytest.mark.django_db
def test_member_list_query_count_does_not_grow(world, client, django_assert_max_num_queries):
    client.force_login(world.orgadmin)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("member_list")).context["page"].paginator.count == 3
    for i in range(57):
        m = services.member_create(actor=None, id_number=make_id("19880808", 100 + i), name=f"成员{i}",
                                   category=Category.FULL, branch=world.b1, group=world.g1 if i % 2 else None)
        if i < 3:
            services.member_update(actor=None, member=m, posts=["委员"])
    with django_assert_max_num_queries(8):
        response = client.get(reverse("member_list"))
    assert response.context["page"].paginator.count == 60
    with django_assert_max_num_queries(8):
        client.get(reverse("member_list") + "?org=ZZ&party_post=委员&q=成员")


@pytest.mark.django_db
def test_member_create_writes_audit(world, client):
    client.force_login(world.sec1)
    response = client.post(reverse("member_create"), valid_post(world))
    assert response.status_code == 302
    m = Member.objects.get(name="赵六")
    assert m.group == world.g1 and m.gender == "男" and m.birth_date == dt.date(1995, 5, 5)
    entry = AuditEntry.objects.get(object_type="member", object_id=str(m.pk), action="create")
    assert entry.actor == world.sec1 and entry.after["group"] == "G1"


@pytest.mark.django_db
@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"id_number": "110105194912310021"}, "id_number", "校验位错误"),
    ({"name": ""}, "name", "姓名不能为空"),
    ({"activist_on": "2023-06-01"}, "activist_on", "日期应按入党程序先后排列"),
    ({"full_on": "2024-08-01"}, "full_on", "不应填写转正日期"),
    ({"posts": ["书记"]}, "posts", "须为正式党员"),
    ({"phone": "abc"}, "phone", "手机号码格式不正确"),
    ({"branch": "B2"}, "branch", "不在您的权限范围内"),
])
def test_member_create_rejects_bad_input(world, client, overrides, field, message):
    before = Member.objects.count()
    client.force_login(world.sec1)
    response = client.post(reverse("member_create"), valid_post(world, **overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors.get(field, []))
    assert "未能保存" in response.content.decode()
    assert Member.objects.count() == before


@pytest.mark.django_db
def test_secretary_edits_member_but_cannot_change_the_id_number(world, client):
    client.force_login(world.sec1)
    page = client.get(reverse("member_edit", args=[world.member.pk])).content.decode()
    assert world.member.id_number not in page  # the field shows nothing they may not see
    data = valid_post(world, id_number=make_id("19700101", 77), name="李党员", category=Category.FULL,
                      applied_on="", activist_on="", phone="13900000009", group="")
    response = client.post(reverse("member_edit", args=[world.member.pk]), data)
    assert response.status_code == 302
    world.member.refresh_from_db()
    assert world.member.phone == "13900000009" and world.member.id_number == make_id("19920315", 22)
    entry = AuditEntry.objects.get(object_type="member", object_id=str(world.member.pk), action="update")
    assert entry.after["phone"] == "13900000009"


@pytest.mark.django_db
def test_member_form_offers_the_chosen_branchs_groups(world, client):
    client.force_login(world.orgadmin)
    html = client.get(reverse("branch_fields") + "?form=member&branch=B1").content.decode()
    assert 'value="G1"' in html
    html = client.get(reverse("branch_fields") + "?form=member&branch=B2").content.decode()
    assert 'value="G1"' not in html


@pytest.mark.django_db
def test_member_delete_needs_confirmation_and_is_audited(world, client):
    client.force_login(world.orgadmin)
    assert "确认删除" in client.get(reverse("member_delete", args=[world.member.pk])).content.decode()
    response = client.post(reverse("member_delete", args=[world.member.pk]))
    assert response.status_code == 302
    assert not Member.objects.filter(pk=world.member.pk).exists()
    assert AuditEntry.objects.filter(object_type="member", object_id=str(world.member.pk), action="delete").exists()


@pytest.mark.django_db
def test_member_detail_shows_timeline_and_audit_link(world, client):
    client.force_login(world.orgadmin)
    html = client.get(reverse("member_detail", args=[world.sec_member.pk])).content.decode()
    assert "2004-07-01" in html and "2005-07-01" in html and "入党申请人" in html
    assert f"?type=member&amp;object={world.sec_member.pk}" in html
    client.force_login(world.sec1)
    html = client.get(reverse("member_detail", args=[world.member.pk])).content.decode()
    assert "?type=member" not in html and reverse("member_delete", args=[world.member.pk]) not in html


@pytest.mark.django_db
def test_me_without_member_link_is_friendly(world, client):
    client.force_login(world.admin)
    response = client.get(reverse("me"))
    assert response.status_code == 200 and "还没有关联党员信息" in response.content.decode()
