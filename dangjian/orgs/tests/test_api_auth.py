"""API authentication (token and session), the 401/403 answers, the token command and the docs page."""

import datetime as dt
import io
import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from dangjian.core.api_auth import create_api_token, hash_key, revoke_api_token
from dangjian.core.models import AuditEntry
from dangjian.orgs.models import ApiToken, Organization


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def new_group(code: str = "G9") -> dict:
    return {"code": code, "name": "新党小组", "kind": "党小组", "parent_code": "B1"}


# --- tokens --------------------------------------------------------------------------------------


def test_token_is_stored_only_as_its_hash(world):
    token, raw = create_api_token(user=world.orgadmin, name="报表")
    assert len(raw) >= 40
    token.refresh_from_db()
    assert token.key_hash == hash_key(raw) and token.key_hash != raw
    assert token.prefix == raw[:8]
    assert not ApiToken.objects.filter(key_hash=raw).exists()
    entry = AuditEntry.objects.get(object_type="apitoken", object_id=str(token.pk))
    assert raw not in json.dumps(entry.after) and entry.after["prefix"] == raw[:8]


def test_token_authenticates_as_its_user(world, client):
    _, raw = create_api_token(user=world.zz_admin, name="t")
    response = client.get("/api/orgs", **bearer(raw))
    assert response.status_code == 200
    assert [o["code"] for o in response.json()["items"]] == ["ZZ", "B1", "G1"]


def test_token_use_is_noted_at_most_once_a_minute(world, client):
    token, raw = create_api_token(user=world.admin, name="t")
    assert token.last_used_at is None
    client.get("/api/orgs", **bearer(raw))
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/orgs", **bearer(raw))
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - dt.timedelta(minutes=2))
    client.get("/api/orgs", **bearer(raw))
    token.refresh_from_db()
    assert token.last_used_at > first - dt.timedelta(seconds=1)
    assert timezone.now() - token.last_used_at < dt.timedelta(minutes=1)


@pytest.mark.parametrize("header", ["Bearer not-a-real-token", "Bearer ", "Token abc", "Basic YWRtaW46cHc="])
def test_wrong_token_is_401_in_chinese(world, client, header):
    response = client.get("/api/orgs", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert "令牌" in response.json()["detail"]
    assert response["WWW-Authenticate"] == "Bearer"


def test_revoked_token_is_401(world, client):
    token, raw = create_api_token(user=world.admin, name="t")
    assert client.get("/api/orgs", **bearer(raw)).status_code == 200
    revoke_api_token(token=token)
    assert client.get("/api/orgs", **bearer(raw)).status_code == 401


def test_inactive_users_token_is_401(world, client):
    _, raw = create_api_token(user=world.orgadmin, name="t")
    world.orgadmin.is_active = False
    world.orgadmin.save(update_fields=["is_active"])
    assert client.get("/api/orgs", **bearer(raw)).status_code == 401


def test_bad_token_does_not_fall_back_to_the_session(world, client):
    client.force_login(world.admin)
    assert client.get("/api/orgs").status_code == 200
    assert client.get("/api/orgs", **bearer("wrong")).status_code == 401


@pytest.mark.parametrize("url", ["/api/orgs", "/api/orgs/B1", "/api/members", "/api/members/1", "/api/teams"])
def test_anonymous_reads_are_401(world, client, url):
    response = client.get(url)
    assert response.status_code == 401
    assert "未登录" in response.json()["detail"]


def test_anonymous_write_is_401_not_a_csrf_error(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/orgs", new_group(), content_type="application/json")
    assert response.status_code == 401
    assert not Organization.objects.filter(code="G9").exists()


# --- session -------------------------------------------------------------------------------------


def test_session_read_needs_no_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.sec1)
    response = client.get("/api/orgs")
    assert response.status_code == 200
    assert [o["code"] for o in response.json()["items"]] == ["B1", "G1"]


def test_session_write_without_csrf_token_is_403(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.sec1)
    response = client.post("/api/orgs", new_group(), content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Organization.objects.filter(code="G9").exists()


def test_session_write_with_csrf_token_works(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.sec1)
    client.get("/api/docs")  # sets the csrftoken cookie, as any page with a form does
    csrf = client.cookies["csrftoken"].value
    response = client.post("/api/orgs", new_group(), content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 201, response.content
    assert Organization.objects.filter(code="G9").exists()


def test_token_write_needs_no_csrf(world):
    client = Client(enforce_csrf_checks=True)
    _, raw = create_api_token(user=world.sec1, name="t")
    response = client.post("/api/orgs", new_group(), content_type="application/json", **bearer(raw))
    assert response.status_code == 201


def test_inactive_session_user_is_401(world, client):
    client.force_login(world.orgadmin)
    world.orgadmin.is_active = False
    world.orgadmin.save(update_fields=["is_active"])
    assert client.get("/api/orgs").status_code == 401


# --- the command ---------------------------------------------------------------------------------


def test_create_api_token_command_prints_the_token_once(world, client):
    out = io.StringIO()
    call_command("create_api_token", "orgadmin", "--name", "数据同步", stdout=out)
    lines = out.getvalue().strip().splitlines()
    raw = lines[-1]
    assert "只显示这一次" in out.getvalue()
    token = ApiToken.objects.get(user=world.orgadmin)
    assert token.name == "数据同步" and token.key_hash == hash_key(raw)
    assert client.get("/api/orgs", **bearer(raw)).status_code == 200


def test_create_api_token_command_default_name(world):
    call_command("create_api_token", "sec1", stdout=io.StringIO())
    assert ApiToken.objects.get(user=world.sec1).name == "命令行创建"


def test_create_api_token_command_unknown_or_inactive_user(world):
    with pytest.raises(CommandError, match="不存在"):
        call_command("create_api_token", "nobody", stdout=io.StringIO())
    world.member1.is_active = False
    world.member1.save(update_fields=["is_active"])
    with pytest.raises(CommandError, match="已停用"):
        call_command("create_api_token", "member1", stdout=io.StringIO())
    assert not ApiToken.objects.exists()


# --- docs ----------------------------------------------------------------------------------------


def test_docs_page_loads_only_local_assets(world, client):
    client.force_login(world.member1)
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'<(?:script|link)[^>]*\b(?:src|href)="([^"]*)"', html)
    assert any(s.endswith("swagger-ui-bundle.js") for s in sources)
    assert any(s.endswith("swagger-ui.css") for s in sources)
    for source in sources:
        assert source.startswith("/static/"), source
    assert "http://" not in html and "https://" not in html
    assert '"validatorUrl": null' in html  # no call to validator.swagger.io either
    for name in ("ninja/swagger-ui-bundle.js", "ninja/swagger-ui-init.js", "ninja/swagger-ui.css"):
        assert finders.find(name), name


def test_docs_need_login(world, client):
    response = client.get("/api/docs", HTTP_ACCEPT="text/html")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/api/openapi.json").status_code == 401


def test_openapi_schema_with_token(world, client):
    _, raw = create_api_token(user=world.member1, name="t")
    response = client.get("/api/openapi.json", **bearer(raw))
    assert response.status_code == 200
    schema = response.json()
    assert {"/api/orgs", "/api/orgs/{code}", "/api/members", "/api/members/{member_id}", "/api/teams"} <= set(
        schema["paths"])
    schemes = schema["components"]["securitySchemes"]
    assert {"TokenAuth", "SessionCsrfAuth"} <= set(schemes)
    assert "422" in schema["paths"]["/api/members"]["post"]["responses"]
