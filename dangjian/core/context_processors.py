from .scoping import get_scope


def navigation(request):
    """The sidebar: which modules this user may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = get_scope(user)
    return {"scope": scope}
