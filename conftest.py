"""The base fixture set (DESIGN.md §4): a group, two branches, an officer, a member and an outsider."""

import datetime as dt

import pytest

from dangjian.core.idcard import check_digit
from dangjian.orgs import services
from dangjian.orgs.models import Category, Organization, OrgKind, Role, RoleGrant, User


def make_id(birth: str = "19900101", seq: int = 1, region: str = "110101") -> str:
    """A valid 18-character ID number for a birth date (YYYYMMDD) and a sequence (odd = male)."""
    first17 = f"{region}{birth}{seq:03d}"
    return first17 + check_digit(first17)


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Tests render templates without running collectstatic first, and hash passwords cheaply."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture
def id_factory():
    counter = iter(range(1, 999))
    return lambda birth="19900101": make_id(birth, next(counter))


@pytest.fixture
def world(db):
    """党委 ROOT → 党总支 ZZ → 党支部 B1 (with 党小组 G1), 党支部 B2 directly under ROOT.

    Users: admin (系统管理员), orgadmin (组织管理员 of ROOT), zz_admin (组织管理员 of ZZ), sec1 (支部书记 of B1,
    linked to a member of B1), member1 (a plain member of B1), outsider (支部书记 of B2).
    """

    class W:
        pass

    w = W()
    today = dt.date.today()
    w.root = services.org_create(actor=None, parent=None, code="ROOT", name="集团党委", kind=OrgKind.COMMITTEE,
                                 founded_on=dt.date(2000, 1, 1), term_started_on=today.replace(year=today.year - 1))
    w.zz = services.org_create(actor=None, parent=w.root, code="ZZ", name="港务党总支", kind=OrgKind.GENERAL_BRANCH)
    w.b1 = services.org_create(actor=None, parent=w.zz, code="B1", name="装卸一队党支部", kind=OrgKind.BRANCH,
                               founded_on=dt.date(2010, 1, 1))
    w.g1 = services.org_create(actor=None, parent=w.b1, code="G1", name="第一党小组", kind=OrgKind.GROUP)
    w.b2 = services.org_create(actor=None, parent=w.root, code="B2", name="机关党支部", kind=OrgKind.BRANCH)
    for org in ("root", "zz", "b1", "g1", "b2"):
        setattr(w, org, Organization.objects.get(pk=getattr(w, org).pk))

    w.sec_member = services.member_create(
        actor=None, id_number=make_id("19800101", 11), name="张书记", category=Category.FULL, branch=w.b1,
        group=w.g1, posts=["书记"], phone="13800000001", full_on=dt.date(2005, 7, 1), admitted_on=dt.date(2004, 7, 1))
    w.member = services.member_create(
        actor=None, id_number=make_id("19920315", 22), name="李党员", category=Category.FULL, branch=w.b1,
        phone="13900000002")
    w.b2_member = services.member_create(
        actor=None, id_number=make_id("19850620", 33), name="王机关", category=Category.FULL, branch=w.b2,
        posts=["书记"], phone="13700000003")

    w.admin = User.objects.create_superuser("admin", password="pw-admin-123", display_name="系统管理员")
    w.orgadmin = User.objects.create_user("orgadmin", password="pw-org-123", display_name="组织部")
    RoleGrant.objects.create(user=w.orgadmin, role=Role.ORG_ADMIN, org=w.root)
    w.zz_admin = User.objects.create_user("zzadmin", password="pw-zz-123")
    RoleGrant.objects.create(user=w.zz_admin, role=Role.ORG_ADMIN, org=w.zz)
    w.sec1 = User.objects.create_user("sec1", password="pw-sec-123", member=w.sec_member)
    RoleGrant.objects.create(user=w.sec1, role=Role.BRANCH_SECRETARY, org=w.b1)
    w.member1 = User.objects.create_user("member1", password="pw-mem-123", member=w.member)
    w.outsider = User.objects.create_user("outsider", password="pw-out-123", member=w.b2_member)
    RoleGrant.objects.create(user=w.outsider, role=Role.BRANCH_SECRETARY, org=w.b2)
    return w


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login
