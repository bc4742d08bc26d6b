from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from .models import AuditEntry
from .pagination import paginate
from .scoping import get_scope, require
from .treepaths import subtrees_q


@login_required
def home(request):
    scope = get_scope(request.user)
    if not scope.is_officer:
        if request.user.member_id:
            return redirect("me")
        return render(request, "core/no_role.html")
    from dangjian.orgs.selectors import dashboard

    return render(request, "core/home.html", dashboard(request.user))


@login_required
def audit_list(request):
    scope = get_scope(request.user)
    require(scope.is_org_admin, "只有系统管理员和组织管理员可以查看审计日志")
    qs = AuditEntry.objects.select_related("actor")
    if not scope.is_admin:
        qs = qs.filter(subtrees_q(scope.admin_paths, "org_path"))
    object_type = request.GET.get("type", "")
    action = request.GET.get("action", "")
    who = request.GET.get("who", "").strip()
    if object_type:
        qs = qs.filter(object_type=object_type)
    if action:
        qs = qs.filter(action=action)
    if who:
        qs = qs.filter(actor_name__icontains=who)
    object_id = request.GET.get("object", "").strip()
    if object_id:
        qs = qs.filter(object_id=object_id)
    page, querystring = paginate(request, qs)
    return render(request, "core/audit_list.html", {
        "page": page, "querystring": querystring, "type": object_type, "action": action, "who": who,
        "types": [("organization", "党组织"), ("member", "党员"), ("workteam", "班组"), ("user", "用户"),
                  ("rolegrant", "角色授权")],
        "breadcrumbs": [("审计日志", None)],
    })
