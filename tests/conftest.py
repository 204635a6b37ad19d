"""Shared fixtures: test assets, fake AWS credentials, an in-process moto account."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ASSETS = Path(__file__).parent / "assets"


def asset(*parts: str) -> Path:
    """The path of a test asset, which must exist."""
    path = ASSETS.joinpath(*parts)
    assert path.exists(), path
    return path


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Fake credentials and empty AWS config files: no test can reach a real account."""
    empty = tmp_path / "aws-empty"
    empty.write_text("")
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_CONFIG_FILE": str(empty),
        "AWS_SHARED_CREDENTIALS_FILE": str(empty),
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    _no_code_download(monkeypatch)
    return empty


def _no_code_download(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's Code.Location names a real S3 host: a test that wants the code injects it."""
    from iam_audit.errors import InputError
    from iam_audit.preflight import live

    def refuse(url: str) -> bytes:
        raise InputError("tests do not download code packages")

    monkeypatch.setattr(live, "download", refuse)


@pytest.fixture
def moto_account(aws_env: Path) -> Iterator[Any]:
    """An in-process moto account; yields a boto3 session for eu-central-1."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        yield boto3.session.Session(region_name="eu-central-1")


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2))
    return path
