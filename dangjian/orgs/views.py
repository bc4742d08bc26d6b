"""Placeholder views; the UI work replaces these."""

from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse("建设中")


org_tree = org_create = org_detail = org_edit = _todo
member_list = member_create = member_detail = member_edit = _todo
team_list = team_create = team_edit = _todo
user_list = user_create = user_edit = me = _todo
