"""Upload → preview (a dry run) → confirm; the empty template; the export. Officers only."""

import io
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.core.masking import mask_id_number
from dangjian.core.scoping import Scope, get_org_for_user, get_scope, require

from .exporter import write_template, write_workbook
from .importer import import_workbook
from .models import BatchStatus, ImportBatch
from .sheets import handlers

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OFFICERS_ONLY = "只有系统管理员、组织管理员和支部书记/委员可以导入导出数据"
MEMBER_SHEET = "党员"


def _officer_scope(request) -> Scope:
    scope = get_scope(request.user)
    require(scope.is_officer, OFFICERS_ONLY)
    return scope


def _get_batch_for_user(user, pk: int) -> ImportBatch:
    """A batch is visible to its uploader only; anyone else gets 404."""
    try:
        return ImportBatch.objects.get(pk=pk, uploader=user)
    except ImportBatch.DoesNotExist:
        raise Http404("导入批次不存在")


def _upload_error(upload) -> str:
    if upload is None:
        return "请选择要导入的Excel文件（.xlsx）"
    if not upload.name.lower().endswith(".xlsx"):
        return f"只能导入.xlsx格式的Excel工作簿，“{Path(upload.name).name}”不是.xlsx文件（旧版.xls请先用Excel另存为.xlsx）"
    if upload.size == 0:
        return "文件是空的，请检查后重新选择"
    limit = settings.MAX_UPLOAD_MB
    if upload.size > limit * 1024 * 1024:
        return f"文件大小{upload.size / 1024 / 1024:.1f}MB，超过了{limit}MB的上限；请分成几个工作簿导入"
    return ""


@login_required
def import_upload(request):
    _officer_scope(request)
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        error = _upload_error(upload)
        if not error:
            batch = ImportBatch(uploader=request.user, original_name=Path(upload.name).name[:200], size=upload.size)
            batch.file.save("upload.xlsx", upload, save=False)
            _run(batch, request.user, dry_run=True)
            batch.status = BatchStatus.PENDING if not batch.errors else BatchStatus.FAILED
            batch.save()
            return redirect("import_preview", pk=batch.pk)
    batches = ImportBatch.objects.filter(uploader=request.user)[:10]
    return render(request, "imports/upload.html", {
        "error": error, "batches": batches, "max_mb": settings.MAX_UPLOAD_MB,
        "sheets": [h.spec for h in handlers()], "breadcrumbs": [("导入导出", None)],
    }, status=400 if error else 200)


def _run(batch: ImportBatch, user, *, dry_run: bool):
    with batch.file.open("rb") as handle:
        result = import_workbook(handle, actor=user, dry_run=dry_run, scope=get_scope(user))
    batch.store_result(result)
    return result


@login_required
def import_preview(request, pk: int):
    scope = _officer_scope(request)
    batch = _get_batch_for_user(request.user, pk)
    if batch.status == BatchStatus.PENDING and batch.is_expired:
        batch.status = BatchStatus.EXPIRED
        batch.save(update_fields=["status"])
    show_ids = scope.sees_id_numbers()
    changes = []
    for change in batch.changes:
        key = change["key"]
        if change["sheet"] == MEMBER_SHEET and not show_ids:
            key = mask_id_number(key)
        changes.append({**change, "key": key})
    summary = [(sheet, c["created"], c["updated"], c["unchanged"]) for sheet, c in batch.summary.items()]
    return render(request, "imports/preview.html", {
        "batch": batch, "errors": batch.error_issues(), "warnings": batch.warning_issues(),
        "summary": summary, "changes": changes,
        "can_confirm": batch.status == BatchStatus.PENDING and not batch.errors,
        "breadcrumbs": [("导入导出", reverse("import_upload")), (batch.original_name, None)],
    })


@login_required
@require_POST
def import_confirm(request, pk: int):
    _officer_scope(request)
    batch = _get_batch_for_user(request.user, pk)
    if batch.status == BatchStatus.PENDING and batch.is_expired:
        batch.status = BatchStatus.EXPIRED
        batch.save(update_fields=["status"])
    if batch.status != BatchStatus.PENDING:
        messages.error(request, f"该批次的状态是“{batch.get_status_display()}”，不能导入；请重新上传文件")
        return redirect("import_preview", pk=batch.pk)
    result = _run(batch, request.user, dry_run=False)
    if result.errors:
        batch.status = BatchStatus.FAILED
        messages.error(request, f"导入时发现{len(result.errors)}个错误，没有写入任何数据（数据可能在预览后被修改过）")
    else:
        batch.status = BatchStatus.IMPORTED
        batch.imported_at = timezone.now()
        messages.success(request, "导入成功：" + "；".join(result.summary_lines()))
    batch.save()
    return redirect("import_preview", pk=batch.pk)


@login_required
def import_template(request):
    _officer_scope(request)
    out = io.BytesIO()
    write_template(out)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename="党建标准导入模板.xlsx", content_type=XLSX)


def export_masked(scope: Scope, root=None) -> bool:
    """Mask unless the user may see the ID numbers of everything exported (组织管理员 of it, or 系统管理员)."""
    if scope.is_admin:
        return False
    if root is not None and any(root.path.startswith(a) for a in scope.admin_paths):
        return False
    base = root.path if root is not None else ""
    exported = [p for p in scope.manage_paths if p.startswith(base) or base.startswith(p)]
    return not exported or any(not any(p.startswith(a) for a in scope.admin_paths) for p in exported)


@login_required
def export_workbook(request):
    scope = _officer_scope(request)
    code = request.GET.get("org", "").strip()
    root = get_org_for_user(request.user, code) if code else None
    mask = export_masked(scope, root)
    out = io.BytesIO()
    write_workbook(out, root=root, scope=scope, mask=mask)
    out.seek(0)
    name = f"党建数据导出_{root.code if root else '全部'}_{timezone.localdate():%Y%m%d}{'_脱敏' if mask else ''}.xlsx"
    return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX)
