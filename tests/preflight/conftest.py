"""Fixtures for the preflight tests: fake AWS credentials, a standard pool, row and zip builders."""

from __future__ import annotations

import io
import json
import sys
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from iam_audit.preflight.schema import PoolSchema, pool_schema

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from gen_csv import STANDARD_COLUMNS

#: The header ``get-csv-header`` returns for a pool without custom attributes (FACTS.md §2, the
#: AWS CLI example; the columns of the benchmark's generated CSV, ``benchmarks/gen_csv.py``), plus
#: the two custom attributes of :func:`describe`.
STANDARD_HEADER = (*STANDARD_COLUMNS, "custom:tier", "custom:team")

POOL_ID = "us-east-1_Example1"


def describe(**overrides: object) -> dict[str, object]:
    """A ``describe_user_pool`` answer: email auto-verified, MFA off, family_name required,
    ``custom:tier`` a Number 1-5 and ``custom:team`` a String of 2-10 characters."""
    pool: dict[str, object] = {
        "Id": POOL_ID,
        "Name": "example",
        "AutoVerifiedAttributes": ["email"],
        "MfaConfiguration": "OFF",
        "SchemaAttributes": [
            {"Name": "sub", "AttributeDataType": "String", "Required": True},
            {
                "Name": "email",
                "AttributeDataType": "String",
                "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "2048"},
            },
            {"Name": "email_verified", "AttributeDataType": "Boolean"},
            {"Name": "phone_number_verified", "AttributeDataType": "Boolean"},
            {"Name": "family_name", "AttributeDataType": "String", "Required": True},
            {
                "Name": "custom:tier",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MinValue": "1", "MaxValue": "5"},
            },
            {
                "Name": "custom:team",
                "AttributeDataType": "String",
                "StringAttributeConstraints": {"MinLength": "2", "MaxLength": "10"},
            },
        ],
    }
    pool.update(overrides)
    return {"UserPool": pool}


def make_pool(**overrides: object) -> PoolSchema:
    """The :func:`describe` pool with :data:`STANDARD_HEADER`."""
    return pool_schema(describe(**overrides), STANDARD_HEADER)


def row(header: tuple[str, ...] = STANDARD_HEADER, **values: str) -> str:
    """One CSV row for ``header``: a valid user unless ``values`` (keys with ``__`` for ``:``)
    say otherwise. Values are written as given (escape commas yourself)."""
    base = {
        "cognito:username": "user1",
        "family_name": "Doe",
        "email": "user1@example.com",
        "email_verified": "TRUE",
    }
    base.update({k.replace("__", ":"): v for k, v in values.items()})
    return ",".join(base.get(col, "") for col in header)


def csv_bytes(
    lines: list[str], *, newline: str = "\n", header: tuple[str, ...] = STANDARD_HEADER
) -> bytes:
    """The header line, then ``lines``, each ended by ``newline``."""
    return "".join(line + newline for line in [",".join(header), *lines]).encode("utf-8")


def make_zip(files: Mapping[str, str | bytes]) -> bytes:
    """A deployment package holding ``files`` (path → source)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buf.getvalue()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials and empty AWS config files, so no test can reach a real account."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "aws-config"
    config.write_text("")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(config))


def offline_pool(folder: Path) -> tuple[Path, Path]:
    """The standard pool offline, written in ``folder``: get-csv-header JSON and
    describe-user-pool JSON (``--header-file``, ``--schema``)."""
    header = folder / "header.json"
    header.write_text(json.dumps({"CSVHeader": list(STANDARD_HEADER), "UserPoolId": POOL_ID}))
    schema = folder / "pool.json"
    schema.write_text(json.dumps(describe()))
    return header, schema
