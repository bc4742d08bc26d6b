"""`make demo` runs collectstatic with the manifest storage: every vendored file must pass it."""

from django.core.management import call_command
from django.test import override_settings


def test_collectstatic_with_manifest_storage(tmp_path, settings):
    storages = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", "--noinput", verbosity=0)
    assert (tmp_path / "staticfiles.json").exists()
    assert any(tmp_path.glob("vendor/echarts/echarts.min.*.js"))
