"""Shared fixtures: test assets, fake AWS credentials, an in-process moto account."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

ASSETS = Path(__file__).parent / "assets"


def asset(*parts: str) -> Path:
    """The path of a test asset, which must exist."""
    path = ASSETS.joinpath(*parts)
    assert path.exists(), path
    return path


class SessionRunner(CliRunner):
    """A CliRunner whose commands make their AWS sessions with ``sessions(profile, region)``,
    injected through Click's context object (:class:`iam_audit.cli.common.Runtime`) as the
    command line's seam, instead of the credential chain."""

    def __init__(self, sessions: Callable[[str | None, str | None], Any]) -> None:
        super().__init__()
        from iam_audit.cli.common import Runtime

        self.runtime = Runtime(sessions=sessions)
        self.made: list[tuple[str | None, str | None]] = []  # (profile, region) of each session

    def invoke(self, cli: Any, args: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs.setdefault("obj", self.runtime)
        return super().invoke(cli, args, **kwargs)


def one_session(session: Any) -> SessionRunner:
    """A :class:`SessionRunner` whose every session is ``session`` (a moto account's, say);
    ``runner.made`` records what each command asked for."""
    made: list[tuple[str | None, str | None]] = []

    def sessions(profile: str | None, region: str | None) -> Any:
        made.append((profile, region))
        return session

    runner = SessionRunner(sessions)
    runner.made = made
    return runner


class ClientsSession:
    """Stands in for a boto3 session whose clients the test built (a ``Stubber``-wrapped one):
    ``client(service, ...)`` and ``events`` (where :func:`iam_audit.aws.client` says which
    endpoint a client uses), all that :func:`iam_audit.aws.client` asks of a session."""

    def __init__(self, clients: dict[str, Any]) -> None:
        from botocore.hooks import HierarchicalEmitter

        self.clients = clients
        self.events = HierarchicalEmitter()

    def client(self, service: str, **kwargs: Any) -> Any:
        return self.clients[service]


def clients_runner(clients: dict[str, Any]) -> SessionRunner:
    """A :class:`SessionRunner` whose sessions hand out ``clients`` by service name."""
    return one_session(ClientsSession(clients))


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
