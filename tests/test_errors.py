"""One AWS error mapper, and a bug is one line and exit 4 (issue 9 item 7, issue 10 item 13).

The mapper's table is exercised with botocore's own exception classes, built as botocore builds
them from a reply; the CLI cases run the real commands, and one live case points the CLI at a
127.0.0.1 server whose replies botocore cannot parse.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.exceptions
import botocore.parsers
import pytest
from typer.testing import CliRunner

from iam_audit import aws
from iam_audit.cli import app
from iam_audit.errors import AccessError, ExitCode, IamAuditError, InputError, NoCredentialsError
from tests.conftest import asset

POOL = "arn:aws:cognito-idp:eu-central-1:123456789012:userpool/eu-central-1_AbCdEf123"
AUDIT = [
    "audit",
    "--authorization-details",
    str(asset("auth_details", "account.json")),
    "--user-pool-arn",
    POOL,
    "--lambda-role",
    "TestingMigration-role",
]


def client_error(code: str, status: int, operation: str = "GetRole") -> Exception:
    reply = {
        "Error": {"Code": code, "Message": f"{code} happened"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return botocore.exceptions.ClientError(reply, operation)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "kind", "code", "words"),
    [
        (client_error("AccessDenied", 403), AccessError, 3, "AWS denied iam:GetRole"),
        (client_error("AccessDeniedException", 400), AccessError, 3, "AWS denied iam:GetRole"),
        (client_error("ExpiredToken", 400), AccessError, 3, "rejected the credentials"),
        (client_error("ExpiredTokenException", 400), AccessError, 3, "rejected the credentials"),
        (client_error("InvalidClientTokenId", 403), AccessError, 3, "rejected the credentials"),
        (client_error("Throttling", 400), aws.AwsError, 4, "throttled after the retries"),
        (client_error("TooManyRequestsException", 429), aws.AwsError, 4, "throttled"),
        (client_error("InternalFailure", 500), aws.AwsError, 4, "on AWS's side"),
        (client_error("ServiceUnavailable", 503), aws.AwsError, 4, "on AWS's side"),
        (client_error("ValidationError", 400), InputError, 3, "AWS refused iam:GetRole"),
        (
            botocore.exceptions.ConnectionClosedError(endpoint_url="https://iam.amazonaws.com"),
            aws.AwsError,
            4,
            "connection to AWS dropped",
        ),
        (
            botocore.exceptions.ReadTimeoutError(endpoint_url="https://iam.amazonaws.com"),
            aws.AwsError,
            4,
            "connection to AWS dropped",
        ),
        (
            botocore.parsers.ResponseParserError("Unable to parse response"),
            aws.AwsError,
            4,
            "could not be parsed",
        ),
        (
            botocore.exceptions.EndpointConnectionError(endpoint_url="https://iam.amazonaws.com"),
            AccessError,
            3,
            "cannot reach AWS",
        ),
        (botocore.exceptions.NoCredentialsError(), NoCredentialsError, 3, "no AWS credentials"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_one_mapper_for_every_aws_error(
    error: Exception, kind: type[Exception], code: int, words: str
) -> None:
    mapped = aws.translate(error, "iam:GetRole")
    assert isinstance(mapped, kind)
    assert int(mapped.exit_code) == code
    assert words in mapped.diagnostics()
    assert "\n" not in mapped.diagnostics()
    if not isinstance(
        error, botocore.exceptions.ClientError | botocore.exceptions.NoCredentialsError
    ):
        assert "iam:GetRole" in mapped.diagnostics()  # the API call is named


@pytest.mark.parametrize("code", ["ExpiredToken", "ExpiredTokenException", "Throttling"])
def test_preflight_and_audit_map_alike(code: str) -> None:
    """There were two mappers that disagreed on expired tokens; both now go through one."""
    from iam_audit.preflight.live import _aws

    outcomes = []
    for context in (aws.aws_errors("iam", "GetRole"), _aws("iam:GetRole")):
        with pytest.raises(Exception) as caught, context:  # noqa: PT011 - compared below
            raise client_error(code, 400)
        mapped = aws.translate(caught.value) or caught.value
        outcomes.append((type(mapped), mapped.exit_code))  # type: ignore[attr-defined]
    assert outcomes[0] == outcomes[1]


def test_a_renderer_that_raises_is_one_line_and_exit_4(monkeypatch: pytest.MonkeyPatch) -> None:
    from iam_audit.render.table import TableRenderer

    def broken(self: object, result: object) -> str:
        raise KeyError("boom")

    monkeypatch.setattr(TableRenderer, "render", broken)
    monkeypatch.delenv("IAM_AUDIT_DEBUG", raising=False)
    result = CliRunner().invoke(app, AUDIT)
    assert result.exit_code == ExitCode.INTERNAL
    assert result.stderr == (
        "internal error: KeyError: 'boom'; IAM_AUDIT_DEBUG=1 shows the traceback\n"
    )


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    from iam_audit.render.table import TableRenderer

    def broken(self: object, result: object) -> str:
        raise KeyError("boom")

    monkeypatch.setattr(TableRenderer, "render", broken)
    monkeypatch.setenv("IAM_AUDIT_DEBUG", "1")
    result = CliRunner().invoke(app, AUDIT)
    assert isinstance(result.exception, KeyError)


def test_a_check_that_raises_is_exit_4_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from iam_audit.checks.cog001_lambda_admin_initiate_auth import LambdaAdminInitiateAuth

    def broken(self: object, target: object) -> Iterator[Any]:
        raise ZeroDivisionError("division by zero")
        yield  # a generator, like every check

    monkeypatch.setattr(LambdaAdminInitiateAuth, "run", broken)
    monkeypatch.delenv("IAM_AUDIT_DEBUG", raising=False)
    result = CliRunner().invoke(app, AUDIT)
    assert result.exit_code == ExitCode.INTERNAL  # not 1, the findings code
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("internal error: check COG001 crashed: ZeroDivisionError")
    assert lines[0].endswith("IAM_AUDIT_DEBUG=1 shows the traceback")
    assert "COG002" in result.stdout or "COG004" in result.stdout  # the others still ran


class _Garbage(http.server.BaseHTTPRequestHandler):
    """Answers every AWS call with HTTP 200 and a body that is not the protocol's XML/JSON."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        json_protocol = bool(self.headers.get("X-Amz-Target"))
        body = b'{"UserPool": {"Id": ' if json_protocol else b"<html>not an AWS reply"
        self.send_response(200)
        self.send_header(
            "Content-Type", "application/x-amz-json-1.1" if json_protocol else "text/xml"
        )
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def garbage_endpoint() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def aws_at(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    def point(endpoint: str) -> None:
        empty = tmp_path / "empty"
        empty.write_text("")
        for name, value in {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "eu-central-1",
            "AWS_CONFIG_FILE": str(empty),
            "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("IAM_AUDIT_DEBUG", raising=False)

    return point


def test_a_reply_botocore_cannot_parse_is_one_line_naming_the_call(
    garbage_endpoint: str, aws_at: Any
) -> None:
    """IAM speaks XML: botocore raises ResponseParserError for the garbage, and it is named."""
    aws_at(garbage_endpoint)
    result = CliRunner().invoke(
        app, ["who-can", "cognito-idp:AdminInitiateAuth", "--resource", POOL]
    )
    assert result.exit_code == ExitCode.INTERNAL, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert "GetAccountAuthorizationDetails" in result.stderr
    assert "could not be parsed" in result.stderr


def test_a_json_reply_missing_its_members_is_still_one_line_and_exit_4(
    garbage_endpoint: str, aws_at: Any
) -> None:
    """botocore reads a broken JSON body as an empty reply; what follows is a bug-shaped error,
    and it still ends as one line and exit 4, never a traceback and exit 1."""
    aws_at(garbage_endpoint)
    result = CliRunner().invoke(app, ["audit", "--lambda-role", "R", "--user-pool-arn", POOL])
    assert result.exit_code == ExitCode.INTERNAL, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr


def _fix_path(error: Exception) -> Exception:
    from iam_audit.fix.apply import _aws

    class Api:
        def get_role(self, **kwargs: Any) -> None:
            raise error

    with pytest.raises(Exception) as caught:  # noqa: PT011 - compared by the caller
        _aws(Api(), "iam", "GetRole", RoleName="r")
    return caught.value


def _preflight_path(error: Exception) -> Exception:
    from iam_audit.preflight.live import _aws

    with pytest.raises(Exception) as caught, _aws("iam:GetRole"):  # noqa: PT011
        raise error
    return caught.value


def _cli_path(error: Exception, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """What a command prints and exits with when the error leaves ``aws.aws_errors`` unhandled."""
    import typer

    from iam_audit.cli.common import handle_errors

    @handle_errors
    def command() -> None:
        with aws.aws_errors("iam", "GetRole"):
            raise error

    with pytest.raises(typer.Exit) as exited:
        command()
    return exited.value.exit_code, capsys.readouterr().err


NEEDS = " (the auditor needs iam:GetRole; see policies/auditor-readonly.json)"
REJECTED = "error: AWS rejected the credentials for iam:GetRole: {0} happened"


@pytest.mark.parametrize(
    ("error", "code", "line"),
    [
        (client_error("AccessDenied", 403), 3, "error: AWS denied iam:GetRole: AccessDenied happened" + NEEDS),
        (client_error("AccessDeniedException", 400), 3, "error: AWS denied iam:GetRole: AccessDeniedException happened" + NEEDS),
        (client_error("ExpiredToken", 400), 3, REJECTED.format("ExpiredToken")),
        (client_error("ExpiredTokenException", 400), 3, REJECTED.format("ExpiredTokenException")),
        (client_error("RequestExpired", 400), 3, REJECTED.format("RequestExpired")),
        (client_error("InvalidClientTokenId", 403), 3, REJECTED.format("InvalidClientTokenId")),
        (client_error("UnrecognizedClientException", 400), 3, REJECTED.format("UnrecognizedClientException")),
        (client_error("SignatureDoesNotMatch", 403), 3, REJECTED.format("SignatureDoesNotMatch")),
        (client_error("Throttling", 400), 4, "error: iam:GetRole was throttled after the retries: Throttling (HTTP 400): Throttling happened"),
        (client_error("ThrottlingException", 400), 4, "error: iam:GetRole was throttled after the retries: ThrottlingException (HTTP 400): ThrottlingException happened"),
        (client_error("InternalFailure", 500), 4, "error: iam:GetRole failed on AWS's side after the retries: InternalFailure (HTTP 500): InternalFailure happened"),
        (client_error("ValidationError", 400), 3, "error: AWS refused iam:GetRole: ValidationError (HTTP 400): ValidationError happened"),
        (client_error("NoSuchEntity", 404), 3, "error: AWS refused iam:GetRole: NoSuchEntity (HTTP 404): NoSuchEntity happened"),
        (botocore.exceptions.NoCredentialsError(), 3, "error: no AWS credentials found: set AWS_PROFILE or pass --profile, or audit offline with --authorization-details FILE"),
        (botocore.exceptions.PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"), 3, "error: no AWS credentials found: set AWS_PROFILE or pass --profile, or audit offline with --authorization-details FILE"),
        (botocore.exceptions.EndpointConnectionError(endpoint_url="https://iam.amazonaws.com"), 3, 'error: cannot reach AWS for iam:GetRole: Could not connect to the endpoint URL: "https://iam.amazonaws.com"'),
        (botocore.exceptions.ConnectionClosedError(endpoint_url="https://iam.amazonaws.com"), 4, 'error: iam:GetRole failed: the connection to AWS dropped before the reply (Connection was closed before we received a valid response from endpoint URL: "https://iam.amazonaws.com".)'),
        (botocore.parsers.ResponseParserError("Unable to parse response"), 4, "error: iam:GetRole failed: AWS's reply could not be parsed (Unable to parse response)"),
    ],
    ids=lambda v: aws.error_code(v) or type(v).__name__ if isinstance(v, Exception) else None,
)  # fmt: skip
def test_every_path_maps_an_aws_error_alike(
    error: Exception, code: int, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The one mapper (:func:`iam_audit.aws.translate`) behind every path that calls AWS: the
    audit's (``aws_errors``, then the command line's handler), preflight's, ``fix --apply``'s.
    Expired and unknown tokens are the credentials' fault (exit 3), whichever path meets them."""
    assert _cli_path(error, capsys) == (code, line + "\n")
    for mapped in (_fix_path(error), _preflight_path(error), aws.translated(error, "iam:GetRole")):
        assert isinstance(mapped, IamAuditError), type(mapped)
        assert (int(mapped.exit_code), mapped.diagnostics()) == (code, line)
