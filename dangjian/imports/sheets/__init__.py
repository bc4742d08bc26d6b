"""The registry of sheet handlers: one handler per sheet of the standard workbook.

A later sheet (活动, 出勤 …) is added by writing a `SheetHandler` subclass and calling `register(...)`
(for example from its module, imported below or from an app's `ready()`); the importer, the exporter and
the empty template all follow the registry in its `order`.
"""

from ..base import SheetHandler
from .activities import ActivitySheet
from .attendance import AttendanceSheet
from .members import MemberSheet
from .orgs import OrgSheet
from .teams import TeamSheet

_REGISTRY: dict[str, SheetHandler] = {}


def register(handler: SheetHandler) -> SheetHandler:
    """Add (or replace) the handler of a sheet."""
    _REGISTRY[handler.spec.name] = handler
    return handler


def handlers() -> list[SheetHandler]:
    return sorted(_REGISTRY.values(), key=lambda h: h.order)


def specs():
    return [h.spec for h in handlers()]


for _handler in (OrgSheet(), TeamSheet(), MemberSheet(), ActivitySheet(), AttendanceSheet()):
    register(_handler)
