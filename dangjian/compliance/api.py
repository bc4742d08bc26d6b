"""GET /api/compliance?org=CODE&year=YYYY[&as_of=YYYY-MM-DD]: the compliance check of a subtree, the same JSON as
`check_compliance --json` (the same facts, overrides and engine). Scoped like the dashboard: the organization
must be one the user sees as an officer or an admin (scope.sees_org); anyone else gets 404."""

import datetime as dt
from typing import Any

from django.http import Http404
from django.utils import timezone
from ninja import Query, Router

from dangjian.core.scoping import get_scope
from dangjian.orgs.api import READ_ERRORS
from dangjian.orgs.models import Organization

from .engine import check, lookback_months
from .facts import load_facts
from .pack import load_pack
from .services import overrides_for

router = Router(tags=["规范化检查"])
AS_OF_QUERY = Query(None, description="检查日期 YYYY-MM-DD（默认今天）")


@router.get("/compliance", response={200: dict[str, Any], **READ_ERRORS}, summary="规范化检查（某组织及其下级、某年度）")
def compliance_check(
    request,
    org: str = Query(..., description="组织编码"),
    year: int = Query(..., ge=2000, le=2100, description="年度，如 2024"),
    as_of: dt.date | None = AS_OF_QUERY,
):
    root = Organization.objects.filter(code=org.strip()).first()
    if root is None or not get_scope(request.auth).sees_org(root):
        raise Http404("组织不存在或无权查看")
    day = as_of or timezone.localdate()
    pack = load_pack()
    result = check(load_facts(root, year, lookback_months(pack)), pack, year, day, overrides_for(root.path))
    return {"org": root.code, "year": year, "as_of": day.isoformat(), "pack": pack["code"],
            "findings": [f.as_dict() for f in result.findings], "status": [s.as_dict() for s in result.status]}
