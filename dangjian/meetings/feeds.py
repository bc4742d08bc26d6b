"""Calendar feeds addressed by a signed token, since calendar apps cannot log in.

A token is django.core.signing over ("m", user id) for a member's own feed, or ("o", user id, org code) for an
organization's feed (salt "dangjian.ics"). It is deterministic (the same URL every time the page is shown)
and checked on every request: a forged or altered token, a token of a deactivated user, one whose user is
no longer linked to a member, or no longer sees the organization, gets 404 — and so the feed dies with the
user's access. Feeds read the user's scope exactly like the web pages.
"""

import datetime as dt

from django.core import signing
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from dangjian.core.scoping import get_scope
from dangjian.core.treepaths import subtree_q
from dangjian.orgs.models import Organization, OrgKind, User

from .models import Activity

SALT = "dangjian.ics"
# A feed shows what is coming and what happened recently, not the whole history.
PAST_DAYS = 90
MAX_EVENTS = 1000
FEED_ORG_KINDS = (OrgKind.BRANCH, OrgKind.GROUP)
NOT_FOUND = "日历订阅链接无效或已失效"


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def member_token(user: User) -> str:
    return _signer().sign_object(["m", user.pk], compress=False)


def org_token(user: User, org: Organization) -> str:
    return _signer().sign_object(["o", user.pk, org.code], compress=False)


def _payload(token: str) -> list:
    try:
        value = _signer().unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError):
        raise Http404(NOT_FOUND)
    if not isinstance(value, list) or not value:
        raise Http404(NOT_FOUND)
    return value


def _active_user(pk) -> User:
    if not isinstance(pk, int) or isinstance(pk, bool):
        raise Http404(NOT_FOUND)
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None:
        raise Http404(NOT_FOUND)
    return user


def member_feed_user(token: str) -> User:
    """The active user of a member feed token, linked to a member; else 404."""
    value = _payload(token)
    if value[0] != "m" or len(value) != 2:
        raise Http404(NOT_FOUND)
    user = _active_user(value[1])
    if user.member_id is None:
        raise Http404(NOT_FOUND)
    return user


def org_feed_target(code: str, token: str) -> tuple[User, Organization]:
    """The user and the organization of an organization feed token, if the user still sees it; else 404."""
    value = _payload(token)
    if value[0] != "o" or len(value) != 3 or value[2] != code:
        raise Http404(NOT_FOUND)
    user = _active_user(value[1])
    org = Organization.objects.filter(code=code, kind__in=FEED_ORG_KINDS).first()
    if org is None or not get_scope(user).sees_org(org):
        raise Http404(NOT_FOUND)
    return user, org


def feed_since(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=PAST_DAYS)


def member_feed_activities(user: User, now: dt.datetime | None = None) -> QuerySet[Activity]:
    """The activities the user's member is expected at (has an attendance row for), from 90 days ago on."""
    if user.member_id is None:
        # Filtering on attendance__member_id=None would match every activity without attendance rows.
        return Activity.objects.none()
    return (Activity.objects.filter(attendance__member_id=user.member_id, starts_at__gte=feed_since(now))
            .select_related("org").order_by("starts_at", "id")[:MAX_EVENTS])


def org_feed_activities(org: Organization, now: dt.datetime | None = None) -> QuerySet[Activity]:
    """The activities of an organization and its 党小组s, from 90 days ago on."""
    return (Activity.objects.filter(subtree_q(org.path, "org__path"), starts_at__gte=feed_since(now))
            .select_related("org").order_by("starts_at", "id")[:MAX_EVENTS])
