"""Where documents are kept, and who may scrape the metrics, as the environment says (entrypoints/settings.py)."""

from __future__ import annotations

import pytest

from undersign.entrypoints.settings import Settings, SettingsError


def settings(**env: str) -> Settings:
    return Settings.from_env({"UNDERSIGN_DATA_DIR": "/srv/undersign", **env})


def test_the_default_store_is_the_data_directorys_and_a_file_url_names_another():
    assert settings().blob_location == "file:///srv/undersign/blobs"
    assert str(settings().blob_dir) == "/srv/undersign/blobs"
    assert str(settings(UNDERSIGN_BLOB_URL="file:///mnt/docs%20store").blob_dir) == "/mnt/docs store"
    s3 = settings(UNDERSIGN_BLOB_URL="s3://bucket/undersign?region=eu-central-1&addressing_style=path")
    assert s3.blob_location.startswith("s3://bucket/")
    with pytest.raises(ValueError):
        s3.blob_dir  # noqa: B018 - no directory: the blobs are in S3


@pytest.mark.parametrize(
    ("name", "url", "says"),
    [
        ("UNDERSIGN_BLOB_URL", "ftp://host/x", "starts with file:// or s3://"),
        ("UNDERSIGN_BLOB_URL", "file://host/x", "is file:///an/absolute/path"),
        ("UNDERSIGN_BLOB_URL", "file:relative/x", "absolute path"),
        ("UNDERSIGN_BLOB_URL", "s3://bucket/x?colour=blue", "unknown"),
        ("UNDERSIGN_BLOB_URL", "s3://key:secret@bucket/x", "never holds credentials"),
        ("UNDERSIGN_BLOB_FALLBACK_URL", "gopher://x", "starts with file:// or s3://"),
    ],
)
def test_a_store_url_that_cannot_be_opened_is_refused_at_start_saying_which_and_why(name, url, says):
    with pytest.raises(SettingsError, match=f"^{name}: .*{says}"):
        settings(**{name: url})


def test_the_metrics_token_is_long_and_plain_or_refused():
    assert settings().metrics_token is None
    assert settings(UNDERSIGN_METRICS_TOKEN="t" * 32).metrics_token == "t" * 32
    for token in ("t" * 31, "t" * 31 + " ", "t" * 31 + "é"):
        with pytest.raises(SettingsError, match="UNDERSIGN_METRICS_TOKEN"):
            settings(UNDERSIGN_METRICS_TOKEN=token)
    assert "t" * 32 not in repr(settings(UNDERSIGN_METRICS_TOKEN="t" * 32))
