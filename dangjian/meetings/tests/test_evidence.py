"""Evidence uploads: type by extension AND content, size, generated storage names, access-checked download."""

import io
import re
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dangjian.core.models import AuditEntry
from dangjian.meetings import records, services
from dangjian.meetings.evidence import check_upload, display_name
from dangjian.meetings.models import ActivityKind, ActivityStatus, Evidence

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("templates_ready", "media_root")]

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"\x00" * 64
DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64
STORED = re.compile(r"^evidence/\d{4}/\d{2}/[0-9a-f]{32}\.(jpg|png|gif|webp|pdf|doc|docx)$")


def zipped(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n in names:
            z.writestr(n, "<x/>")
    return buf.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def raw_named(name: str, content: bytes) -> SimpleUploadedFile:
    """An upload whose name is taken as is (Django's own parsers would already strip folders)."""
    f = SimpleUploadedFile("x", content)
    f.__dict__["_name"] = name  # past the `name` setter, which strips folders
    return f


@pytest.mark.parametrize(("name", "content", "ctype"), [
    ("照片.jpg", JPEG, "image/jpeg"),
    ("照片.JPEG", JPEG, "image/jpeg"),
    ("a.png", PNG, "image/png"),
    ("a.gif", GIF, "image/gif"),
    ("a.webp", WEBP, "image/webp"),
    ("记录.pdf", PDF, "application/pdf"),
    ("记录.doc", DOC, "application/msword"),
    ("记录.docx", zipped(["[Content_Types].xml", "word/document.xml"]),
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
])
def test_allowed_types(name, content, ctype):
    checked = check_upload(upload(name, content))
    assert checked.content_type == ctype and checked.size == len(content)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("setup.exe", b"MZ" + b"\x00" * 40, "文件类型.exe不允许上传"),
    ("page.html", b"<html></html>", "文件类型.html不允许上传"),
    ("noext", PDF, "（无扩展名）"),
    ("fake.png", JPEG, "内容不是PNG图片"),
    ("fake.jpg", b"<script>alert(1)</script>", "内容不是JPEG图片"),
    ("fake.pdf", b"hello world", "内容不是PDF文档"),
    ("fake.doc", PDF, "内容不是Word文档"),
    ("fake.docx", zipped(["xl/workbook.xml"]), "内容不是Word文档"),  # an Excel file renamed
    ("fake.docx", b"PK\x03\x04 not really a zip", "内容不是Word文档"),
    ("fake.webp", b"RIFF\x00\x00\x00\x00AVI LIST", "内容不是WEBP图片"),
    ("empty.pdf", b"", "是空文件"),
])
def test_refused_by_extension_or_content(name, content, message):
    with pytest.raises(ValidationError) as exc:
        check_upload(upload(name, content))
    assert message in exc.value.messages[0]


def test_too_large(settings):
    settings.MAX_UPLOAD_MB = 1
    check_upload(upload("ok.pdf", PDF.ljust(1024 * 1024, b"\x00")))
    with pytest.raises(ValidationError) as exc:
        check_upload(upload("big.pdf", PDF.ljust(1024 * 1024 + 1, b"\x00")))
    assert "超过上限1MB" in exc.value.messages[0]


@pytest.mark.parametrize(("raw", "shown"), [
    ("../../etc/passwd.png", "passwd.png"),
    ("/etc/cron.d/evil.png", "evil.png"),
    ("..\\..\\windows\\evil.png", "evil.png"),
    ("a\x00b.png", "ab.png"),
    ('"quoted"\r\n.png', "_quoted_.png"),
    ("../.png", "附件.png"),
])
def test_display_names_are_sanitized(raw, shown):
    assert display_name(raw, ".png") == shown


def test_stored_name_is_generated_and_inside_media_root(world, committee_meeting, media_root):
    for raw in ("../../../../tmp/evil.png", "/tmp/evil.png", "..\\..\\evil.png", "evil\x00.png"):
        item = records.evidence_add(actor=world.sec1, activity=committee_meeting, upload=raw_named(raw, PNG),
                                    kind="photo")
        assert STORED.match(item.file.name), item.file.name
        path = Path(item.file.path).resolve()
        assert path.is_relative_to(Path(media_root).resolve()) and path.read_bytes() == PNG
        assert "/" not in item.original_name and "\\" not in item.original_name and "\x00" not in item.original_name
    assert not Path("/tmp/evil.png").exists() or Path("/tmp/evil.png").read_bytes() != PNG
    assert Evidence.objects.count() == 4


def test_upload_through_the_page(world, committee_meeting, client, media_root):
    client.force_login(world.sec1)
    url = reverse("evidence_upload", args=[committee_meeting.pk])
    response = client.post(url, {"kind": "signin", "file": upload("签到表.pdf", PDF)})
    assert response.status_code == 302
    item = Evidence.objects.get()
    assert item.original_name == "签到表.pdf" and item.kind == "signin" and item.uploaded_by == world.sec1
    assert STORED.match(item.file.name)
    entry = AuditEntry.objects.filter(object_type="activity", object_id=str(committee_meeting.pk)).latest("id")
    assert entry.after["evidence"]["name"] == "签到表.pdf"

    response = client.post(url, {"kind": "photo", "file": upload("fake.png", b"GIF89a....")}, follow=True)
    assert "未能上传" in response.content.decode() and "内容不是PNG图片" in response.content.decode()
    response = client.post(url, {"kind": "photo"}, follow=True)
    assert "请选择要上传的文件" in response.content.decode()
    assert Evidence.objects.count() == 1
    assert len(list(Path(media_root).rglob("*.*"))) == 1


def test_download_headers(world, committee_meeting, client):
    item = records.evidence_add(actor=world.sec1, activity=committee_meeting, upload=upload("会议 记录.pdf", PDF),
                                kind="minutes")
    client.force_login(world.sec1)
    response = client.get(reverse("evidence_download", args=[item.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f'filename="evidence-{item.pk}.pdf"' in disposition
    assert "filename*=UTF-8''%E4%BC%9A%E8%AE%AE%20%E8%AE%B0%E5%BD%95.pdf" in disposition


@pytest.mark.parametrize(("role", "status"), [
    ("admin", 200), ("orgadmin", 200), ("zz_admin", 200), ("sec1", 200),
    ("member1", 404),  # a member of B1, but not expected at the committee's meeting
    ("outsider", 404),
])
def test_download_only_for_those_who_see_the_activity(world, committee_meeting, client, role, status):
    item = records.evidence_add(actor=world.sec1, activity=committee_meeting, upload=upload("a.pdf", PDF),
                                kind="minutes")
    client.force_login(getattr(world, role))
    assert client.get(reverse("evidence_download", args=[item.pk])).status_code == status


def test_member_expected_may_download(world, client, yesterday_3pm):
    assembly = services.activity_create(actor=world.sec1, org=world.b1, kind=ActivityKind.BRANCH_ASSEMBLY,
                                        title="党员大会", starts_at=yesterday_3pm)
    item = records.evidence_add(actor=world.sec1, activity=assembly, upload=upload("a.jpg", JPEG), kind="photo")
    client.force_login(world.member1)
    assert client.get(reverse("evidence_download", args=[item.pk])).status_code == 200
    client.logout()
    assert client.get(reverse("evidence_download", args=[item.pk])).status_code == 302  # to the login page


def test_delete_by_officers_until_archived(world, committee_meeting, client, media_root):
    item = records.evidence_add(actor=world.sec1, activity=committee_meeting, upload=upload("a.pdf", PDF),
                                kind="minutes")
    path = Path(item.file.path)
    url = reverse("evidence_upload", args=[committee_meeting.pk])
    client.force_login(world.outsider)
    assert client.post(url, {"action": "delete", "evidence": item.pk}).status_code == 404
    client.force_login(world.sec1)
    for to in (ActivityStatus.NOTIFIED, ActivityStatus.HELD):
        services.activity_advance(actor=world.sec1, activity=committee_meeting, to=to)
    services.activity_update(actor=world.sec1, activity=committee_meeting, minutes="记录")
    services.activity_advance(actor=world.sec1, activity=committee_meeting, to=ActivityStatus.ARCHIVED)
    response = client.post(url, {"action": "delete", "evidence": item.pk}, follow=True)
    assert "已归档的记录不能再删除材料" in response.content.decode()
    assert Evidence.objects.filter(pk=item.pk).exists() and path.exists()


def test_delete_removes_row_and_file(world, committee_meeting, client, django_capture_on_commit_callbacks):
    item = records.evidence_add(actor=world.sec1, activity=committee_meeting, upload=upload("a.pdf", PDF),
                                kind="minutes")
    path = Path(item.file.path)
    client.force_login(world.sec1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("evidence_upload", args=[committee_meeting.pk]),
                               {"action": "delete", "evidence": item.pk})
    assert response.status_code == 302
    assert not Evidence.objects.exists() and not path.exists()
    entry = AuditEntry.objects.filter(object_type="activity", object_id=str(committee_meeting.pk)).latest("id")
    assert entry.before["evidence"]["name"] == "a.pdf" and entry.after == {"evidence": None}


def test_member_cannot_upload(world, client, yesterday_3pm):
    assembly = services.activity_create(actor=world.sec1, org=world.b1, kind=ActivityKind.BRANCH_ASSEMBLY,
                                        title="党员大会", starts_at=yesterday_3pm)
    client.force_login(world.member1)
    response = client.post(reverse("evidence_upload", args=[assembly.pk]), {"kind": "photo", "file": upload("a.pdf", PDF)})
    assert response.status_code == 403
    assert not Evidence.objects.exists()
