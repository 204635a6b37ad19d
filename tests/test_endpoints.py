"""Endpoints (issue 9): plain ``http://`` off this machine is warned about; userinfo never shown.

``AWS_ENDPOINT_URL`` (and the per-service ``AWS_ENDPOINT_URL_<SERVICE>``) redirect every call.
Plain http to an emulator on loopback is how the tests run; plain http to any other host sends
signed requests and the account's policies in clear text, so the tool says so, once, on stderr.
A URL's user name and password are redacted wherever an endpoint is shown.
"""

from __future__ import annotations

from pathlib import Path

import botocore.exceptions
import pytest
import typer
from typer.testing import CliRunner

from iam_audit import aws
from iam_audit.cli import app
from iam_audit.cli.common import RunSessions, handle_errors
from iam_audit.errors import AccessError, InputError


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://127.0.0.1:5000", False),
        ("http://127.8.9.10:5000/", False),  # all of 127.0.0.0/8 is loopback
        ("http://localhost:4566", False),
        ("http://moto.localhost:4566", False),  # RFC 6761: .localhost names are loopback
        ("http://[::1]:5000", False),
        ("https://iam.amazonaws.com", False),
        ("https://10.0.0.5:4566", False),  # encrypted: fine anywhere
        ("http://10.0.0.5:4566", True),
        ("http://192.0.2.1:9", True),
        ("HTTP://Emulator.Example:80", True),
        ("http://127.0.0.1.nip.io:4566", True),  # a public name, whatever it resolves to
        ("http://user:s3cr3t@192.0.2.1:9/", True),
        ("http://user:s3cr3t@127.0.0.1:9/", False),
    ],
)
def test_endpoint_warning(url: str, warned: bool) -> None:
    warning = aws.endpoint_warning(url)
    assert (warning is not None) is warned
    if warning is not None:
        assert warning.startswith("warning: AWS endpoint ")
        assert "\n" not in warning
        assert "s3cr3t" not in warning
        assert "user" not in warning


def _fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_IAM", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    empty = tmp_path / "aws-empty"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def test_each_client_is_checked_and_warned_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Building a client makes no request; the warning comes from the endpoint botocore chose."""
    _fresh(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", "http://ci:s3cr3t@192.0.2.1:9")
    session = aws.make_session(region="eu-west-1")
    aws.client(session, "iam")
    aws.client(session, "iam")
    aws.client(session, "sts")  # its own endpoint: https, nothing to say
    lines = capsys.readouterr().err.splitlines()
    assert lines == [aws.endpoint_warning("http://ci:s3cr3t@192.0.2.1:9")]
    assert "http://***@192.0.2.1:9" in lines[0]


def test_the_sessions_of_one_run_warn_once_and_the_next_run_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a run has said is the run's (its RunSessions), not the process's."""
    _fresh(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://192.0.2.1:9")
    warning = aws.endpoint_warning("http://192.0.2.1:9")
    run = RunSessions()
    aws.client(run(None, "eu-west-1"), "iam")
    aws.client(run(None, "eu-central-1"), "logs")  # another session and service, same endpoint
    assert capsys.readouterr().err.splitlines() == [warning]
    aws.client(RunSessions()(None, "eu-west-1"), "iam")  # the next run says it again
    aws.client(aws.make_session(region="eu-west-1"), "iam")  # as does a session of its own
    assert capsys.readouterr().err.splitlines() == [warning, warning]


def test_each_command_line_warns_about_its_endpoint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Two runs in one process each warn once. No request leaves: without credentials botocore
    stops before sending (exit 3), and the metadata service is not asked."""
    _fresh(monkeypatch, tmp_path)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://192.0.2.1:9")
    warning = aws.endpoint_warning("http://192.0.2.1:9")
    for _ in range(2):
        result = CliRunner().invoke(app, ["audit", "--lambda-role", "r", "--region", "eu-west-1"])
        assert result.exit_code == 3, result.output
        lines = result.stderr.splitlines()
        assert lines[0] == warning
        assert lines.count(warning) == 1
        assert "no AWS credentials" in lines[-1]


@pytest.mark.parametrize("max_attempts", [None, "2"])
def test_the_fix_writers_iam_client_warns_too(
    max_attempts: str | None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``fix --apply``'s IAM client (policy documents kept as IAM sent them) is made by the one
    client constructor, with ``AWS_MAX_ATTEMPTS`` (attempts in total, the first included) or
    without: it warns about its endpoint like every other client of the run."""
    from iam_audit.fix.apply import raw_iam_client

    _fresh(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", "http://192.0.2.1:9")
    if max_attempts is None:
        monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    else:
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", max_attempts)
    run = RunSessions()
    iam = raw_iam_client(run(None, "eu-west-1"))
    assert capsys.readouterr().err.splitlines() == [aws.endpoint_warning("http://192.0.2.1:9")]
    aws.client(run(None, "eu-west-1"), "iam")  # the run's next client: already said
    assert capsys.readouterr().err == ""
    retries = iam.meta.config.retries
    if max_attempts is None:
        assert retries["mode"] == "adaptive"
    else:
        assert (retries["mode"], retries["total_max_attempts"]) == ("standard", 2)


def test_loopback_endpoint_is_silent(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fresh(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    aws.client(aws.make_session(region="eu-west-1"), "iam")
    assert capsys.readouterr().err == ""


def test_unreachable_endpoint_error_hides_the_password() -> None:
    """botocore's own message names the URL, userinfo and all."""
    error = botocore.exceptions.EndpointConnectionError(
        endpoint_url="http://ci:s3cr3t@127.0.0.1:9/"
    )
    assert "s3cr3t" in str(error)
    with pytest.raises(AccessError) as raised, aws.aws_errors("iam", "GetRole"):
        raise error
    assert "s3cr3t" not in raised.value.diagnostics()
    assert "http://***@127.0.0.1:9/" in raised.value.diagnostics()


def test_every_error_line_is_redacted_and_escaped() -> None:
    """The one error path (``handle_errors``) redacts and escapes whatever the message holds."""
    app = typer.Typer()

    @app.command()
    @handle_errors
    def fail() -> None:
        raise InputError('cannot use "http://ci:s3cr3t@10.0.0.5/"\n::error::forged\x1b[2J')

    result = CliRunner().invoke(app, [])
    assert result.exit_code == 3
    # one line: the newline became a space, so ``::error::`` no longer starts a line
    assert result.stderr == 'error: cannot use "http://***@10.0.0.5/" ::error::forged\\x1b[2J\n'
