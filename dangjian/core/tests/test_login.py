import pytest
from django.test import override_settings

from dangjian.core.models import LoginFailure


@pytest.mark.django_db
def test_login_page_is_chinese_and_login_works(client, world):
    page = client.get("/login/")
    assert "请使用您的账号登录" in page.content.decode()
    response = client.post("/login/", {"username": "orgadmin", "password": "pw-org-123"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_wrong_password_gives_chinese_error(client, world):
    response = client.post("/login/", {"username": "orgadmin", "password": "nope"})
    assert "用户名或密码不正确" in response.content.decode()


@pytest.mark.django_db
@override_settings(LOGIN_MAX_FAILURES=3, LOGIN_LOCK_MINUTES=15)
def test_too_many_failures_lock_even_the_right_password(client, world):
    for _ in range(3):
        client.post("/login/", {"username": "OrgAdmin", "password": "nope"})
    assert LoginFailure.objects.filter(username="orgadmin").count() == 3
    response = client.post("/login/", {"username": "orgadmin", "password": "pw-org-123"})
    assert response.status_code == 200
    assert "登录失败次数过多，请15分钟后再试" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@override_settings(LOGIN_MAX_FAILURES=3)
def test_failures_from_another_address_do_not_lock(client, world):
    for _ in range(3):
        client.post("/login/", {"username": "orgadmin", "password": "nope"}, REMOTE_ADDR="10.0.0.9")
    response = client.post("/login/", {"username": "orgadmin", "password": "pw-org-123"})
    assert response.status_code == 302


@pytest.mark.django_db
def test_success_clears_failures(client, world):
    client.post("/login/", {"username": "orgadmin", "password": "nope"})
    client.post("/login/", {"username": "orgadmin", "password": "pw-org-123"})
    assert not LoginFailure.objects.filter(username="orgadmin").exists()


@pytest.mark.django_db
def test_pages_need_login(client, world):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
