"""GET /api/compliance: the same JSON as `check_compliance --json`, scoped."""

import datetime as dt
import json

import pytest

from dangjian.meetings.models import ActivityKind

from .test_facts_cli import held, run_cli

URL = "/api/compliance"


@pytest.fixture
def w(world):
    held(world, world.b1, ActivityKind.BRANCH_ASSEMBLY, dt.date(2024, 3, 31), "DY-1", [world.sec_member])
    held(world, world.b1, ActivityKind.BRANCH_ASSEMBLY, dt.date(2024, 6, 30), "DY-2", [world.sec_member, world.member])
    return world


@pytest.mark.parametrize("code", ["ROOT", "B1"])
def test_api_equals_cli_json(w, client, code):
    client.force_login(w.admin)
    response = client.get(URL, {"org": code, "year": 2024, "as_of": "2024-07-15"})
    assert response.status_code == 200
    cli = json.loads(run_cli("--org", code, "--year", "2024", "--as-of", "2024-07-15", "--json"))
    assert response.json() == cli
    assert any(f["rule"] == "ZB-DYDH-QUORUM" and f["activity"] == "DY-1" for f in cli["findings"])


def test_api_scoped(w, client):
    client.force_login(w.sec1)  # 支部书记 of B1: their branch, not the group
    assert client.get(URL, {"org": "B1", "year": 2024}).status_code == 200
    assert client.get(URL, {"org": "ROOT", "year": 2024}).status_code == 404
    client.force_login(w.outsider)  # 支部书记 of B2
    response = client.get(URL, {"org": "B1", "year": 2024})
    assert response.status_code == 404 and response.json() == {"detail": "组织不存在或无权查看"}
    client.force_login(w.member1)  # a plain member of B1
    assert client.get(URL, {"org": "B1", "year": 2024}).status_code == 404
    client.force_login(w.admin)
    assert client.get(URL, {"org": "NOPE", "year": 2024}).status_code == 404


def test_api_needs_login_and_valid_input(w, client):
    assert client.get(URL, {"org": "B1", "year": 2024}).status_code == 401
    client.force_login(w.admin)
    response = client.get(URL, {"org": "B1", "year": 2024, "as_of": "2024-13-01"})
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "as_of"
    assert client.get(URL, {"org": "B1"}).status_code == 422
