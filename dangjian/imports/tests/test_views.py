"""The web flow: upload → preview (dry run) → confirm; template and export downloads; access."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from conftest import make_id
from dangjian.imports.models import BatchStatus, ImportBatch
from dangjian.orgs.models import Member

from .helpers import MEMBER_HEADERS, ORG_HEADERS, db_state, member_row, org_row, xlsx

NEW_ID = make_id("19930303", 95)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def good_book() -> bytes:
    return xlsx({"党员": [MEMBER_HEADERS, member_row(NEW_ID, "网页导入", "预备党员", "B1", 接收预备党员日期=dt.date(2024, 7, 1))]}).getvalue()


def test_upload_page_has_links_and_an_empty_state(world, login):
    response = login(world.sec1).get(reverse("import_upload"))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("import_template") in html and reverse("export_workbook") in html
    assert "还没有导入记录" in html


def test_upload_preview_confirm(world, login):
    client = login(world.sec1)
    response = client.post(reverse("import_upload"), {"file": upload("名册.xlsx", good_book())})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("import_preview", args=[batch.pk])
    assert batch.status == BatchStatus.PENDING and batch.uploader == world.sec1
    assert batch.file.name.startswith("imports/")
    assert not Member.objects.filter(id_number=NEW_ID).exists(), "the upload is only a dry run"

    html = client.get(response.url).content.decode()
    assert "检查通过" in html and "确认导入" in html and "网页导入" in html
    assert NEW_ID not in html, "a branch officer sees ID numbers masked"

    assert client.get(reverse("import_confirm", args=[batch.pk])).status_code == 405
    response = client.post(reverse("import_confirm", args=[batch.pk]), follow=True)
    assert "导入成功" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.IMPORTED and batch.imported_at
    member = Member.objects.get(id_number=NEW_ID)
    assert member.branch == world.b1

    # a batch is imported once
    client.post(reverse("import_confirm", args=[batch.pk]))
    assert Member.objects.filter(id_number=NEW_ID).count() == 1


def test_preview_lists_errors_and_offers_no_confirmation(world, login):
    client = login(world.sec1)
    book = xlsx({"党员": [MEMBER_HEADERS, member_row(NEW_ID, "外支部", "正式党员", "B2")]}).getvalue()
    response = client.post(reverse("import_upload"), {"file": upload("名册.xlsx", book)}, follow=True)
    html = response.content.decode()
    assert "无权导入该组织的数据" in html and "第2行" in html and "所在组织编码" in html
    assert "确认导入" not in html
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.FAILED
    before = db_state(world)
    client.post(reverse("import_confirm", args=[batch.pk]))
    assert db_state(world) == before


def test_confirm_rechecks_and_writes_nothing_on_new_errors(world, login):
    client = login(world.admin)
    book = xlsx({"组织": [ORG_HEADERS, org_row("B9", "新支部", "党支部", "ZZ")],
                 "党员": [MEMBER_HEADERS, member_row(NEW_ID, "新书记", "正式党员", "B1", 党内职务="书记")]}).getvalue()
    # the preview passes only while B1 has no 书记 …
    world.sec_member.posts.all().delete()
    client.post(reverse("import_upload"), {"file": upload("名册.xlsx", book)})
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.PENDING
    # … then someone appoints one before the confirmation
    world.sec_member.posts.create(post="书记")
    before = db_state(world)
    response = client.post(reverse("import_confirm", args=[batch.pk]), follow=True)
    html = response.content.decode()
    assert "没有写入任何数据" in html and "本支部已有书记：张书记" in html
    assert db_state(world) == before
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED


def test_another_user_cannot_see_a_batch(world, login):
    client = login(world.sec1)
    client.post(reverse("import_upload"), {"file": upload("名册.xlsx", good_book())})
    batch = ImportBatch.objects.get()
    other = login(world.outsider)
    assert other.get(reverse("import_preview", args=[batch.pk])).status_code == 404
    assert other.post(reverse("import_confirm", args=[batch.pk])).status_code == 404
    assert not Member.objects.filter(id_number=NEW_ID).exists()


def test_plain_member_may_not_import_or_export(world, login):
    client = login(world.member1)
    assert client.get(reverse("import_upload")).status_code == 403
    assert client.get(reverse("export_workbook")).status_code == 403
    assert client.get(reverse("import_template")).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("import_upload"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_upload_rejects_other_file_types(world, login):
    response = login(world.sec1).post(reverse("import_upload"), {"file": upload("名册.xls", b"\xd0\xcf\x11\xe0")})
    assert response.status_code == 400
    assert "只能导入.xlsx格式的Excel工作簿" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_upload_rejects_too_large_files(world, login, settings):
    settings.MAX_UPLOAD_MB = 1
    response = login(world.sec1).post(reverse("import_upload"), {"file": upload("大.xlsx", b"0" * (1024 * 1024 + 1))})
    assert response.status_code == 400
    assert "超过了1MB的上限" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_upload_of_a_renamed_non_workbook_shows_a_clear_error(world, login):
    response = login(world.sec1).post(reverse("import_upload"), {"file": upload("假的.xlsx", b"not a zip")}, follow=True)
    assert "不是有效的Excel工作簿" in response.content.decode()
    assert ImportBatch.objects.get().status == BatchStatus.FAILED


def test_template_download(world, login):
    response = login(world.sec1).get(reverse("import_template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert wb.sheetnames[:4] == ["说明", "组织", "班组", "党员"]


def test_export_is_masked_for_branch_officers_and_scoped(world, login):
    response = login(world.sec1).get(reverse("export_workbook"))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert wb.sheetnames[0] == "脱敏说明"
    rows = list(wb["党员"].iter_rows(min_row=2, values_only=True))
    assert {r[3] for r in rows} == {"B1"}
    assert all("*" in r[0] for r in rows)


def test_export_of_an_org_admin_is_not_masked(world, login):
    response = login(world.zz_admin).get(reverse("export_workbook"), {"org": "B1"})
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert "脱敏说明" not in wb.sheetnames
    ids = {r[0] for r in wb["党员"].iter_rows(min_row=2, values_only=True)}
    assert ids == {world.sec_member.id_number, world.member.id_number}


def test_export_of_an_org_outside_the_scope_is_404(world, login):
    assert login(world.sec1).get(reverse("export_workbook"), {"org": "B2"}).status_code == 404


def test_an_old_batch_expires(world, login):
    client = login(world.sec1)
    client.post(reverse("import_upload"), {"file": upload("名册.xlsx", good_book())})
    batch = ImportBatch.objects.get()
    ImportBatch.objects.filter(pk=batch.pk).update(created_at=batch.created_at - dt.timedelta(days=2))
    html = client.get(reverse("import_preview", args=[batch.pk])).content.decode()
    assert "已过期" in html and "确认导入" not in html
    response = client.post(reverse("import_confirm", args=[batch.pk]), follow=True)
    assert "不能导入" in response.content.decode()
    assert not Member.objects.filter(id_number=NEW_ID).exists()
