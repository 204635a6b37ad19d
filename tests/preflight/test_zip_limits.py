"""`lambda check --zip`: Lambda's package limits, and members inflated with a cap.

Lambda quotas, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html,
"Deployment package (.zip file archive) size": "50 MB (zipped, when uploaded through the Lambda
API or SDKs). Upload larger files with Amazon S3." and "250 MB (unzipped)".

Issue 9: a 2 MB package whose ``RECORD`` expands to 2 GiB took 4 GB of memory; a member with a
bad CRC gave a traceback.
"""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from iam_audit.cli import app
from iam_audit.errors import InputError
from iam_audit.findings import Status
from iam_audit.preflight.lambdacheck import (
    MAX_UNZIPPED,
    MAX_ZIPPED,
    FunctionPackage,
    check_function,
    read_member,
)

HANDLER = b"def handler(event, context):\n    return event\n"
RECORD = "requests-2.31.0.dist-info/RECORD"


def package(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def declare(data: bytes, name: str, size: int) -> bytes:
    """``data`` with member ``name``'s uncompressed size rewritten to ``size`` in both its local
    and its central directory header (the CRC and the deflate stream stay as they were)."""
    out = bytearray(data)
    encoded = name.encode()
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (start := out.find(signature, start)) >= 0:
            if out[start + name_at : start + name_at + len(encoded)] == encoded:
                struct.pack_into("<I", out, start + size_at, size)
            start += 4
    return bytes(out)


def run_zip(tmp_path: Path, data: bytes) -> Any:
    path = tmp_path / "function.zip"
    path.write_bytes(data)
    return CliRunner().invoke(
        app,
        [
            "lambda",
            "check",
            "--zip",
            str(path),
            "--handler",
            "app.handler",
            "--runtime",
            "python3.12",
        ],
    )


def test_limits_are_lambdas_in_bytes() -> None:
    assert MAX_ZIPPED == 52_428_800  # 50 MB, as Lambda counts it
    assert MAX_UNZIPPED == 262_144_000  # "Unzipped size must be smaller than 262144000 bytes"


def test_a_record_declared_at_2_gib_is_refused_without_inflating(tmp_path: Path) -> None:
    """The zip's members say 2 GiB unzipped: FAIL on Lambda's limit, and nothing is read."""
    data = declare(package({"app.py": HANDLER, RECORD: b"\0" * 1024}), RECORD, 2 * 1024**3)
    assert len(data) < 2 * 1024 * 1024
    report = check_function(
        FunctionPackage(handler="app.handler", runtime="python3.12", code=data, name="f.zip")
    )
    sized = [r for r in report.results if r.status is Status.FAIL]
    assert len(sized) == 1
    assert "262,144,000" in sized[0].message
    assert "2,147,483,694 bytes" in sized[0].message  # 2 GiB + the handler, as declared
    assert not any(r.error == "ImportModuleError" for r in report.results)  # not inflated


def test_a_member_that_inflates_past_its_declared_size_is_exit_3(tmp_path: Path) -> None:
    """A RECORD that declares 1 KB but holds 64 MiB of zeros: stopped at 1 KB, one line."""
    data = declare(package({"app.py": HANDLER, RECORD: b"\0" * (64 * 1024**2)}), RECORD, 1024)
    result = run_zip(tmp_path, data)
    assert result.exit_code == 3, result.output
    assert result.stderr.count("\n") == 1
    assert RECORD in result.stderr


def test_a_bad_crc_is_one_line_and_exit_3(tmp_path: Path) -> None:
    good = package({"app.py": HANDLER * 50})
    spoilt = bytearray(good)
    spoilt[30 + len("app.py") + 8] ^= 0xFF  # a byte of the deflate stream
    result = run_zip(tmp_path, bytes(spoilt))
    assert result.exit_code == 3, result.output
    assert result.stderr.count("\n") == 1
    assert "app.py" in result.stderr
    assert "Traceback" not in result.stderr


def test_members_are_streamed_with_a_cap() -> None:
    """A 48 MiB RECORD (under the limit, declared honestly) is read 2 MiB at most."""
    data = package(
        {"app.py": HANDLER, RECORD: b"requests/__init__.py,,\n" + b"\0" * (48 * 1024**2)}
    )
    tracemalloc.start()
    try:
        report = check_function(
            FunctionPackage(handler="app.handler", runtime="python3.12", code=data, name="f.zip")
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not report.failed
    assert peak < 24 * 1024**2, peak


def test_read_member_caps_and_counts() -> None:
    data = package({"big.txt": b"x" * 300_000})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert read_member(archive, "big.txt", 1000) == b"x" * 1000
        assert len(read_member(archive, "big.txt", 10**9)) == 300_000


def test_over_50_mb_zipped_is_a_warning_to_use_s3() -> None:
    """Lambda's API takes 50 MB zipped; through S3 a larger zip is fine while under 250 MB."""
    # 51 MiB of bytes in front of a small zip: zip readers find the archive from its end
    code = b"\0" * (51 * 1024**2) + package({"app.py": HANDLER})
    report = check_function(
        FunctionPackage(handler="app.handler", runtime="python3.12", code=code, name="f.zip")
    )
    warned = [r for r in report.results if r.status is Status.WARN and r.error is None]
    assert len(warned) == 1
    assert "Amazon S3" in warned[0].message


def test_a_zip_file_over_the_unzipped_limit_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.zip"
    with path.open("wb") as handle:
        handle.truncate(MAX_UNZIPPED + 1)  # sparse: no disk used
    result = CliRunner().invoke(
        app,
        [
            "lambda",
            "check",
            "--zip",
            str(path),
            "--handler",
            "app.handler",
            "--runtime",
            "python3.12",
        ],
    )
    assert result.exit_code == 3
    assert "no Lambda package is larger than 262,144,000 bytes" in result.stderr


def test_corrupt_member_from_the_api_is_an_input_error() -> None:
    good = package({"app.py": HANDLER * 50})
    spoilt = bytearray(good)
    spoilt[30 + len("app.py") + 8] ^= 0xFF
    with pytest.raises(InputError, match=r"app\.py is corrupt"):
        check_function(
            FunctionPackage(handler="app.handler", runtime="python3.12", code=bytes(spoilt))
        )
