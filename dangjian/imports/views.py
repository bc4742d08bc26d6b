"""Placeholder views; the import work replaces these."""

from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse("建设中")


import_upload = import_template = export_workbook = import_preview = import_confirm = _todo
