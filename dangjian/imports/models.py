"""An uploaded workbook waiting for confirmation (or already imported)."""

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from .workbook import ImportIssue

# A checked upload may be confirmed within this time; after that it must be uploaded again.
BATCH_TTL = dt.timedelta(hours=24)


def batch_upload_to(instance: "ImportBatch", filename: str) -> str:
    # Stored under MEDIA_ROOT/imports/ with a random name: never served directly, only re-read by the importer.
    return f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.xlsx"


class BatchStatus(models.TextChoices):
    PENDING = "pending", "待确认"
    IMPORTED = "imported", "已导入"
    FAILED = "failed", "有错误"
    EXPIRED = "expired", "已过期"


class ImportBatch(models.Model):
    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.CASCADE,
                                 related_name="import_batches")
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    file = models.FileField("文件", upload_to=batch_upload_to, max_length=200)
    original_name = models.CharField("原文件名", max_length=200)
    size = models.PositiveIntegerField("文件大小", default=0)
    status = models.CharField("状态", max_length=10, choices=BatchStatus.choices, default=BatchStatus.PENDING)
    summary = models.JSONField("汇总", default=dict, blank=True)
    errors = models.JSONField("错误", default=list, blank=True)
    warnings = models.JSONField("提示", default=list, blank=True)
    changes = models.JSONField("变更示例", default=list, blank=True)
    imported_at = models.DateTimeField("导入时间", null=True, blank=True)

    class Meta:
        verbose_name = "导入批次"
        verbose_name_plural = "导入批次"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_name}（{self.get_status_display()}）"

    @property
    def is_expired(self) -> bool:
        return self.status == BatchStatus.EXPIRED or (
            self.status == BatchStatus.PENDING and self.created_at + BATCH_TTL < timezone.now()
        )

    def error_issues(self) -> list[ImportIssue]:
        return [ImportIssue.from_dict(e) for e in self.errors]

    def warning_issues(self) -> list[ImportIssue]:
        return [ImportIssue.from_dict(w) for w in self.warnings]

    def store_result(self, result) -> None:
        data = result.as_dict()
        self.summary, self.errors, self.warnings, self.changes = (
            data["summary"], data["errors"], data["warnings"], data["changes"])
