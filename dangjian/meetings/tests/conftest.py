"""Meeting fixtures on top of the `world` fixture (conftest.py at the root).

- `templates_ready`: the 13 standard templates load; should a file be missing or half-written while
  others edit it, stand-ins take the place of the unusable ones (never of those that load).
- `committee_meeting`: a 支部委员会 of B1, planned by sec1 through services.activity_create, yesterday at
  15:00 (so it may be marked held); its attendance is prefilled with B1's committee (张书记).
- `branch_people`: two more full members of B1 and a probationary one (B1 then has 4 full + 1 probationary).
- `media_root`: MEDIA_ROOT in a temporary folder, so that no test writes into the repository.
"""

import datetime as dt

import pytest
from django.utils import timezone

from conftest import make_id
from dangjian.meetings import services, worktemplates
from dangjian.meetings.models import ActivityKind
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Category
from dangjian.standards.loader import PackError


def stand_in(kind: ActivityKind) -> dict:
    content = {
        "kind": kind.value, "name": kind.label, "version": "test", "holder": ["branch", "group"],
        "expected": "party_members", "frequency": {"period": "none", "times": 0},
        "five_ding": [{"key": "content", "hint": "学习内容"}], "steps": [{"title": "签到", "detail": ""}],
        "roles": ["host", "recorder"], "quorum": None, "evidence": ["signin"], "follow_up": None,
        "params": {}, "tags": [], "guide": "测试用模板",
    }
    if kind == ActivityKind.MEMBER_APPRAISAL:
        content |= {"follow_up": "appraisal", "params": {"excellent_max_ratio": 0.3333}}
    if kind == ActivityKind.LIFE_MEETING:
        content["follow_up"] = "rectification"
    if kind == ActivityKind.THEME_DAY:
        content["tags"] = ["安全", "业务", "志愿服务", "共建"]
    return worktemplates.validate_template(content, f"{kind.value}.yaml")


@pytest.fixture
def templates_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        worktemplates.default_templates()
        return
    except PackError:
        pass
    found: dict = {}
    for path in sorted(worktemplates.TEMPLATE_DIR.glob("*.yaml")):
        try:
            data = worktemplates.load_file(path)
        except PackError:
            continue
        found.setdefault(data["kind"], data)
    for kind in ActivityKind:
        found.setdefault(kind.value, stand_in(kind))
    monkeypatch.setattr(worktemplates, "default_templates", lambda: found)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def local_dt(day: dt.date, hour: int = 15, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)), timezone.get_current_timezone())


@pytest.fixture
def yesterday_3pm() -> dt.datetime:
    return local_dt(timezone.localdate() - dt.timedelta(days=1))


@pytest.fixture
def committee_meeting(world, templates_ready, yesterday_3pm):
    return services.activity_create(actor=world.sec1, org=world.b1, kind=ActivityKind.COMMITTEE_MEETING,
                                    title="九月支委会", starts_at=yesterday_3pm, place="党员活动室",
                                    host=world.sec_member)


@pytest.fixture
def branch_people(world):
    """Adds 赵一, 钱二 (full) and 孙预备 (probationary, admitted a month ago) to B1."""
    today = timezone.localdate()
    w = world
    w.full_a = org_services.member_create(actor=None, id_number=make_id("19880101", 41), name="赵一",
                                          category=Category.FULL, branch=w.b1, full_on=dt.date(2015, 7, 1))
    w.full_b = org_services.member_create(actor=None, id_number=make_id("19890202", 43), name="钱二",
                                          category=Category.FULL, branch=w.b1, group=w.g1,
                                          full_on=dt.date(2016, 7, 1))
    w.probationary = org_services.member_create(
        actor=None, id_number=make_id("19990303", 45), name="孙预备", category=Category.PROBATIONARY,
        branch=w.b1, admitted_on=today - dt.timedelta(days=30), applied_on=dt.date(2020, 1, 1),
        activist_on=dt.date(2021, 1, 1), candidate_on=dt.date(2022, 1, 1))
    return w
