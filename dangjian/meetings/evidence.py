"""Evidence files: what may be uploaded (images, PDF, Word — by extension AND by the file's first bytes),
how big, where it is stored (a generated name through Django's storage, never the user's file name) and
how it is named on download.
"""

import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone

# extension → (content type, label); .jpeg is read as .jpg
ALLOWED = {
    ".jpg": ("image/jpeg", "JPEG图片"),
    ".png": ("image/png", "PNG图片"),
    ".gif": ("image/gif", "GIF图片"),
    ".webp": ("image/webp", "WEBP图片"),
    ".pdf": ("application/pdf", "PDF文档"),
    ".doc": ("application/msword", "Word文档"),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word文档"),
}
ALIASES = {".jpeg": ".jpg"}
ALLOWED_TEXT = "图片（jpg、png、gif、webp）、PDF、Word（doc、docx）"
ACCEPT = ",".join([*ALLOWED, *ALIASES])
HEAD_BYTES = 16


@dataclass(frozen=True)
class CheckedUpload:
    extension: str  # normalized, e.g. ".jpg"
    content_type: str
    display_name: str  # sanitized original name, for display and the download name only
    size: int


def max_bytes() -> int:
    return int(settings.MAX_UPLOAD_MB) * 1024 * 1024


def display_name(raw: str | None, extension: str = "") -> str:
    """The user's file name made harmless for display and a download header: no folders, no control
    characters, no quotes, at most 200 characters (the extension kept)."""
    name = (raw or "").replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'["<>|:*?]', "_", name).strip()
    if not name.strip("."):
        name = f"附件{extension}"
    elif name.startswith("."):  # a hidden file's name, or what is left of "../"
        name = "附件." + name.lstrip(".")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: 200 - len(ext) - 1]}.{ext}" if dot and len(ext) <= 10 else name[:200]
    return name


def _extension(name: str) -> str:
    suffix = PurePosixPath((name or "").replace("\\", "/").split("/")[-1].replace("\x00", "")).suffix.lower()
    return ALIASES.get(suffix, suffix)


def _matches(extension: str, head: bytes, upload) -> bool:
    if extension == ".jpg":
        return head.startswith(b"\xff\xd8\xff")
    if extension == ".png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if extension == ".gif":
        return head.startswith(b"GIF87a") or head.startswith(b"GIF89a")
    if extension == ".webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if extension == ".pdf":
        return head.startswith(b"%PDF-")
    if extension == ".doc":
        return head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    if extension == ".docx":
        return head.startswith(b"PK\x03\x04") and _is_word_zip(upload)
    return False


def _is_word_zip(upload) -> bool:
    """A .docx is a ZIP whose members include word/… (reading the directory only, not the contents)."""
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            return any(n.startswith("word/") for n in archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        upload.seek(0)


def check_upload(upload) -> CheckedUpload:
    """Check an uploaded file (a Django UploadedFile); raise ValidationError in Chinese if it is not allowed."""
    if upload is None:
        raise ValidationError({"file": ["请选择要上传的文件"]})
    raw_name = getattr(upload, "name", "") or ""
    extension = _extension(raw_name)
    name = display_name(raw_name, extension)
    if extension not in ALLOWED:
        shown = extension or "（无扩展名）"
        raise ValidationError({"file": [f"“{name}”的文件类型{shown}不允许上传；允许的类型：{ALLOWED_TEXT}"]})
    size = int(getattr(upload, "size", 0) or 0)
    if size == 0:
        raise ValidationError({"file": [f"“{name}”是空文件"]})
    if size > max_bytes():
        raise ValidationError({"file": [
            f"“{name}”大小为{size / 1024 / 1024:.1f}MB，超过上限{settings.MAX_UPLOAD_MB}MB"]})
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    if not _matches(extension, head, upload):
        raise ValidationError({"file": [
            f"“{name}”的内容不是{ALLOWED[extension][1]}（文件内容与扩展名{extension}不符），请检查后重新上传"]})
    return CheckedUpload(extension=extension, content_type=ALLOWED[extension][0], display_name=name, size=size)


def stored_name(extension: str, now=None) -> str:
    """A fresh storage name: evidence/YYYY/MM/<random hex><ext>. Nothing of the user's name goes in."""
    day = timezone.localtime(now) if now else timezone.localtime()
    return f"evidence/{day:%Y/%m}/{uuid.uuid4().hex}{extension}"


def store(upload, checked: CheckedUpload) -> str:
    """Save the file through the default storage (under MEDIA_ROOT, outside the web root); returns its name."""
    upload.seek(0)
    return default_storage.save(stored_name(checked.extension), upload)


def discard(name: str) -> None:
    if name:
        default_storage.delete(name)
