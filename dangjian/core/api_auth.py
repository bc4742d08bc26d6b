"""Authentication of the JSON API: a personal token (`Authorization: Bearer <token>`) or the web session.

Tokens are random (secrets.token_urlsafe(32)); only their SHA-256 is stored, with the first 8 characters as a
prefix to tell tokens apart in lists. A request that sends a token is judged by the token alone: a wrong,
revoked or inactive user's token gets 401 even if a session cookie is also present. Session requests must
pass Django's CSRF check for unsafe methods, as the web forms do.
"""

import datetime as dt
import hashlib
import secrets
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth
from ninja.utils import check_csrf

from dangjian.core.audit import audit_log, snapshot
from dangjian.core.models import AuditAction
from dangjian.orgs.models import ApiToken, User

PREFIX_LENGTH = 8
# last_used_at is written at most this often per token, so that reading the API is not a write per request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)

UNAUTHENTICATED_MESSAGE = "未登录或API令牌无效，请先登录或在请求头中提供有效的令牌（Authorization: Bearer <令牌>）"
CSRF_MESSAGE = "CSRF校验失败：使用登录会话调用写操作时须在请求头X-CSRFToken中提供CSRF令牌"


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic
def create_api_token(*, user: User, name: str, actor=None, source: str = "command") -> tuple[ApiToken, str]:
    """Create a token for the user; returns it and the raw key, which is shown once and never stored."""
    raw_key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=(name or "").strip()[:50] or "API令牌",
                                    key_hash=hash_key(raw_key), prefix=raw_key[:PREFIX_LENGTH])
    audit_log(actor=actor, action=AuditAction.CREATE, obj=token,
              after=snapshot(token, fields=["user", "name", "prefix"]), source=source)
    return token, raw_key


@transaction.atomic
def revoke_api_token(*, token: ApiToken, actor=None, source: str = "command") -> None:
    audit_log(actor=actor, action=AuditAction.DELETE, obj=token,
              before=snapshot(token, fields=["user", "name", "prefix"]), source=source)
    token.delete()


def user_for_token(raw_key: str) -> User | None:
    """The active user a raw token belongs to (None if unknown or inactive); notes its use."""
    raw_key = (raw_key or "").strip()
    if not raw_key:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(raw_key)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`."""

    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = user_for_token(token)
        if user is None:
            # Raise rather than return None: a bad token must not fall back to the session.
            raise AuthenticationError(401, UNAUTHENTICATED_MESSAGE)
        request.user = user
        return user


class SessionCsrfAuth(SessionAuth):
    """The web session; CSRF is checked for unsafe methods, after login (so a stranger gets 401, not 403)."""

    def __call__(self, request: HttpRequest) -> User | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, CSRF_MESSAGE)
        return user


token_auth = TokenAuth()
session_auth = SessionCsrfAuth()
API_AUTH = [token_auth, session_auth]


def docs_login_required(view):
    """For /api/docs and /api/openapi.json: a logged-in session or a valid token; browsers go to the login page.

    The documents hold no data, but this is an intranet system and its API surface is not public.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return view(request, *args, **kwargs)
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() == "bearer" and user_for_token(key) is not None:
            return view(request, *args, **kwargs)
        if "text/html" in request.headers.get("Accept", ""):
            return redirect_to_login(request.get_full_path())
        return JsonResponse({"detail": UNAUTHENTICATED_MESSAGE}, status=401,
                            json_dumps_params={"ensure_ascii": False})

    return wrapper
