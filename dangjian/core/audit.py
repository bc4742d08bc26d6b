"""The audit log: every create/update/delete of organizations, members and users goes through here."""

import datetime as dt
import decimal
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models.fields.files import FieldFile

from .models import AuditAction, AuditEntry

# Bookkeeping fields that change without a user's change (and secrets) stay out of the trail.
_SKIPPED_FIELDS = {"password", "path", "depth", "numchild", "created_at", "updated_at", "last_login"}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, FieldFile):  # an uploaded file: its stored name
        return value.name or ""
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None, extra: dict[str, Any] | None = None) -> dict:
    """A JSON-able dict of an object's concrete fields (foreign keys by id), plus extras."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name in _SKIPPED_FIELDS:
            continue
        data[field.name] = _plain(getattr(obj, field.attname))
    for key, value in (extra or {}).items():
        data[key] = _plain(value)
    return data


def actor_name(actor) -> str:
    """How a change's author is shown: the user's display name, else the username; "系统" for none."""
    if actor is None:
        return "系统"
    return getattr(actor, "display_name", None) or actor.get_username()


def stored_user(actor):
    """The user to store in a created_by-like field: None for no actor or an anonymous one."""
    return actor if getattr(actor, "pk", None) else None


def audit_entry(
    *, actor, action: str, obj: models.Model, before: dict | None, after: dict | None, org_path: str = "",
    source: str = "web",
) -> AuditEntry:
    """Build (not save) an audit entry, for callers that bulk-create many."""
    return AuditEntry(
        actor=stored_user(actor),
        actor_name=actor_name(actor),
        action=action,
        object_type=obj._meta.model_name or "",
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        org_path=org_path,
        before=before,
        after=after,
        source=source,
    )


def audit_log(
    *, actor, action: str, obj: models.Model, before: dict | None = None, after: dict | None = None,
    org_path: str = "", source: str = "web",
) -> AuditEntry | None:
    """Record one change. An update that changed nothing is not recorded."""
    if action == AuditAction.UPDATE and before == after:
        return None
    entry = audit_entry(actor=actor, action=action, obj=obj, before=before, after=after, org_path=org_path, source=source)
    entry.save()
    return entry
