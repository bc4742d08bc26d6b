"""Login with throttling: too many failures for one username from one address lock it for a while."""

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from .models import LoginFailure


def client_ip(request) -> str:
    return (request.META.get("REMOTE_ADDR") or "")[:64]


def is_locked(username: str, ip: str) -> bool:
    since = timezone.now() - dt.timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
    recent = LoginFailure.objects.filter(username=username.lower(), ip=ip, at__gte=since).count()
    return recent >= settings.LOGIN_MAX_FAILURES


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "用户名或密码不正确。",
        "inactive": "该账号已停用。",
        "locked": "登录失败次数过多，请%(minutes)s分钟后再试。",
    }

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip()
        ip = client_ip(self.request) if self.request else ""
        if username and is_locked(username, ip):
            raise forms.ValidationError(
                self.error_messages["locked"], code="locked", params={"minutes": settings.LOGIN_LOCK_MINUTES}
            )
        try:
            return super().clean()
        except forms.ValidationError:
            if username:
                LoginFailure.objects.create(username=username.lower(), ip=ip)
            raise


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "core/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        LoginFailure.objects.filter(username=form.get_user().get_username().lower()).delete()
        return super().form_valid(form)
