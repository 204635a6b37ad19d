"""The bad-input matrix: every kind of file the tool reads, spoilt every way a file can be.

:data:`KINDS` lists each input kind with a good file and the command line that reads it;
:func:`cases` crosses them with :data:`VARIANTS` (what a hostile or careless user can hand
over). :func:`make_input` writes the spoilt file (or directory, FIFO, device path) and
:func:`expected_exit` says what a correct tool answers: 3 for a bad input, the good file's own
code when the variant is still a valid input of that kind (a byte-order mark; an empty TOML
file). Each case runs under :func:`deadline`, so a read that blocks fails instead of hanging.
"""

from __future__ import annotations

import io
import json
import os
import random
import signal
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import asset

POOL = "arn:aws:cognito-idp:eu-central-1:123456789012:userpool/eu-central-1_AbCdEf123"
DEEP = 100_000

HEADER = "cognito:username,email,email_verified,updated_at"
SCHEMA = {
    "UserPool": {
        "Id": "us-east-1_Example1",
        "AutoVerifiedAttributes": ["email"],
        "SchemaAttributes": [
            {"Name": "email", "AttributeDataType": "String"},
            {"Name": "email_verified", "AttributeDataType": "Boolean"},
        ],
    }
}
CSV = f"{HEADER}\nalice,alice@example.com,true,1471453471\n"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}
CONFIG = '[[suppressions]]\ncheck = "COG007"\nrole = "*"\nreason = "accepted"\n'
LOG = "2024-05-01T10:00:00Z ERROR Runtime.ImportModuleError: Unable to import module 'app'\n"
BACKUP = {"format": "iam-audit-backup/1", "created": "2024-05-01T10:00:00+00:00", "entries": []}


def good_zip() -> bytes:
    """A Python package whose handler ``app.handler`` exists."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n" * 20)
    return buffer.getvalue()


def bad_crc_zip() -> bytes:
    """:func:`good_zip` with one byte of the member's compressed data flipped (so its CRC-32 no
    longer matches, as after a transfer error)."""
    data = bytearray(good_zip())
    offset = 30 + len("app.py") + 4  # local header, name, a few bytes into the deflate stream
    data[offset] ^= 0xFF
    return bytes(data)


@dataclass(frozen=True)
class Kind:
    """One kind of input: its good content, how the CLI is told to read a file of it (``{}``
    stands for the path), and the variants that are still valid input of this kind."""

    name: str
    good: Callable[[Path], bytes]
    argv: tuple[str, ...]
    #: extra files the command needs: name -> content (written next to the input)
    side: dict[str, bytes] = field(default_factory=dict)
    wrong_types: tuple[bytes, ...] = ()
    deep: bytes | None = b"[" * DEEP + b"]" * DEEP
    #: variants that are not bad input for this kind: variant -> "good" (same exit as the good
    #: file) or an exit code
    valid: dict[str, str | int] = field(default_factory=dict)
    #: the kind is found in the working directory rather than named on the command line
    discovered: bool = False


def _asset(*parts: str) -> Callable[[Path], bytes]:
    return lambda _tmp: asset(*parts).read_bytes()


def _text(value: str) -> Callable[[Path], bytes]:
    return lambda _tmp: value.encode()


def _json(value: object) -> Callable[[Path], bytes]:
    return lambda _tmp: json.dumps(value, indent=2).encode()


_AUDIT_DETAILS = ("--user-pool-arn", POOL, "--lambda-role", "TestingMigration-role")
_SIDE_AUTH = {"account.json": asset("auth_details", "account.json").read_bytes()}

KINDS: tuple[Kind, ...] = (
    Kind(
        "authorization-details",
        _asset("auth_details", "account.json"),
        ("audit", "--authorization-details", "{}", *_AUDIT_DETAILS),
        wrong_types=(b"[]", b'"x"', b'{"RoleDetailList": 5}', b'{"RoleDetailList": [5, "x"]}'),
    ),
    Kind(
        "template",
        _asset("cfn", "cdk-synth.template.json"),
        ("audit", "--template", "{}", "--region", "eu-central-1", "--account-id", "123456789012"),
        wrong_types=(
            b"[]",
            b"x",
            b"Resources: 5\n",
            b"Resources: []\n",
            b"Resources:\n  R: 5\n",
            b"Resources:\n  R:\n    Type: [AWS::IAM::Role]\n",
        ),
    ),
    Kind(
        "terraform-plan",
        _asset("terraform", "cognito-import", "plan.json"),
        ("audit", "--terraform-plan", "{}", "--region", "eu-central-1"),
        wrong_types=(
            b"[]",
            b'{"format_version": "1.2", "planned_values": 5}',
            b'{"format_version": 5, "planned_values": {"root_module": []}}',
        ),
    ),
    Kind(
        "simulate-policy",
        _json(POLICY),
        ("simulate", "--action", "s3:GetObject", "--resource", "*", "--policy", "{}"),
        wrong_types=(b"[]", b'{"Version": 5, "Statement": []}', b'{"Statement": "x"}'),
    ),
    Kind(
        "simulate-resource-policy",
        _json(POLICY | {"Statement": [{**POLICY["Statement"][0], "Principal": "*"}]}),  # type: ignore[index]
        (
            "simulate",
            "--action",
            "s3:GetObject",
            "--resource",
            "arn:aws:s3:::b/k",
            "--caller-arn",
            "arn:aws:iam::123456789012:role/R",
            "--resource-policy",
            "{}",
        ),
        wrong_types=(b"[]", b'{"Statement": [{"Effect": 5}]}'),
    ),
    Kind(
        "config",
        _text(CONFIG),
        ("audit", "--authorization-details", "account.json", *_AUDIT_DETAILS, "--config", "{}"),
        side=_SIDE_AUTH,
        wrong_types=(b"suppressions = 5\n", b"[[suppressions]]\ncheck = 5\n"),
        deep=b"a = " + b"[" * DEEP + b"]" * DEEP + b"\n",
        valid={"empty": "good"},
    ),
    Kind(
        "pyproject-discovered",
        _text(f"[tool.iam-audit]\n{CONFIG.replace('[[', '[[tool.iam-audit.')}"),
        ("audit", "--authorization-details", "account.json", *_AUDIT_DETAILS),
        side=_SIDE_AUTH,
        wrong_types=(b"[tool]\niam-audit = 5\n",),
        deep=b"a = " + b"[" * DEEP + b"]" * DEEP + b"\n",
        # a pyproject.toml that is a directory, a FIFO or missing is simply not there
        valid={"empty": "good", "directory": "good", "fifo": "good", "missing": "good"},
        discovered=True,
    ),
    Kind(
        "csv",
        _text(CSV),
        ("csv", "check", "{}", "--header-file", "header.csv", "--schema", "schema.json"),
        side={"header.csv": HEADER.encode(), "schema.json": json.dumps(SCHEMA).encode()},
        deep=None,
        # Cognito reads UTF-8 without a byte-order mark: a BOM is a finding (exit 1)
        valid={"bom": 1},
    ),
    Kind(
        "csv-header-file",
        _text(HEADER),
        ("csv", "check", "users.csv", "--header-file", "{}", "--schema", "schema.json"),
        side={"users.csv": CSV.encode(), "schema.json": json.dumps(SCHEMA).encode()},
        wrong_types=(b'{"CSVHeader": 5}', b'{"CSVHeader": [1, 2]}'),
        deep=b'{"a": ' + b"[" * DEEP + b"]" * DEEP + b"}",
        # a header line cut short, or random text, is a header that differs: findings (exit 1)
        valid={"truncated": 1},
    ),
    Kind(
        "csv-schema-file",
        _json(SCHEMA),
        ("csv", "check", "users.csv", "--header-file", "header.csv", "--schema", "{}"),
        side={"users.csv": CSV.encode(), "header.csv": HEADER.encode()},
        wrong_types=(
            b"[]",
            b'{"UserPool": 5}',
            b'{"UserPool": {"Id": "x", "SchemaAttributes": 5}}',
            b'{"UserPool": {"Id": "x", "SchemaAttributes": [{"Name": "email", '
            b'"StringAttributeConstraints": "x"}], "AutoVerifiedAttributes": 5}}',
        ),
    ),
    Kind(
        "log-file",
        _text(LOG),
        ("logs", "diagnose", "--file", "{}"),
        wrong_types=(b'{"events": 5}', b'{"events": [5]}', b'{"events": [{"message": 5}]}'),
        deep=b"{" + b'"a":{' * DEEP + b"}" * (DEEP + 1),
        # cut text is still log lines (nothing recognised: exit 0)
        valid={"truncated": 0},
    ),
    Kind(
        "lambda-zip",
        lambda _tmp: good_zip(),
        ("lambda", "check", "--zip", "{}", "--handler", "app.handler", "--runtime", "python3.12"),
        wrong_types=(bad_crc_zip(),),
        deep=None,
        valid={"bom": "good"},  # bytes in front of a zip (as in a self-extracting one) are fine
    ),
    Kind(
        "backup-file",
        _json(BACKUP),
        ("rollback", "{}", "--yes"),
        wrong_types=(
            b"[]",
            b'{"format": "iam-audit-backup/1", "entries": 5}',
            b'{"format": "iam-audit-backup/1", "entries": [5]}',
        ),
    ),
)

VARIANTS = (
    "empty",
    "random",
    "truncated",
    "wrong-types",
    "deep",
    "non-utf8",
    "bom",
    "directory",
    "fifo",
    "device",
    "missing",
    "unreadable",
)


@dataclass(frozen=True)
class Case:
    kind: Kind
    variant: str
    index: int = 0  # which wrong-types document

    @property
    def id(self) -> str:
        suffix = f"-{self.index}" if self.variant == "wrong-types" else ""
        return f"{self.kind.name}-{self.variant}{suffix}"


def cases() -> Iterator[Case]:
    """Every (kind, variant) pair that applies."""
    for kind in KINDS:
        for variant in VARIANTS:
            if variant == "wrong-types":
                for index in range(len(kind.wrong_types)):
                    yield Case(kind, variant, index)
            elif variant == "deep" and kind.deep is None:
                continue
            elif variant == "device" and kind.discovered:
                continue  # a device cannot be named pyproject.toml
            else:
                yield Case(kind, variant)


def expected_exit(case: Case) -> str | int:
    """3, or what :attr:`Kind.valid` says ("good": the good file's own exit code). A text file
    with a UTF-8 byte-order mark is read as the same file without one."""
    return case.kind.valid.get(case.variant, "good" if case.variant == "bom" else 3)


def make_input(case: Case, tmp: Path) -> str:
    """Write the case's input under ``tmp``; return the path to put on the command line."""
    kind = case.kind
    for name, content in kind.side.items():
        (tmp / name).write_bytes(content)
    target = tmp / ("pyproject.toml" if kind.discovered else f"input-{kind.name}")
    good = kind.good(tmp)
    variant = case.variant
    if variant == "device":
        return "/dev/zero"
    if variant == "missing":
        return str(target)
    if variant == "directory":
        target.mkdir()
        return str(target)
    if variant == "fifo":
        os.mkfifo(target)
        return str(target)
    content = {
        "empty": b"",
        "random": random.Random(kind.name).randbytes(2048),
        "truncated": good[: max(1, len(good) // 2)],
        "deep": kind.deep or b"",
        "non-utf8": good[: len(good) // 2] + b"\xe9\xff" + good[len(good) // 2 :],
        "bom": b"\xef\xbb\xbf" + good,
        "unreadable": good,
    }.get(variant)
    if variant == "wrong-types":
        content = kind.wrong_types[case.index]
    if variant == "good":
        content = good
    assert content is not None, variant
    target.write_bytes(content)
    if variant == "unreadable":
        target.chmod(0)
    return str(target)


def argv(case: Case, path: str) -> list[str]:
    return [path if a == "{}" else a for a in case.kind.argv]


class Hang(Exception):
    """A case did not finish in time: a read blocked (a FIFO, a device) or ran away."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` in the main thread when the block runs longer than ``seconds``."""

    def expire(_signum: int, _frame: object) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
