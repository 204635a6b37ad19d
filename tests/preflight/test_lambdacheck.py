"""Migration-Lambda checks on zip packages built here, and live lookups under moto.

Runtime error names are those of the AWS Lambda Python runtime interface client
(``Runtime.ImportModuleError``, ``Runtime.UserCodeSyntaxError``, ``Runtime.HandlerNotFound``);
the 5-second limit is quoted from
https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-working-with-lambda-triggers.html
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from iam_audit.errors import InputError
from iam_audit.findings import Status
from iam_audit.preflight.lambdacheck import (
    ClientInfo,
    FunctionPackage,
    LambdaReport,
    check_function,
    find_ids,
)
from iam_audit.preflight.nodecheck import node_check
from tests.preflight.conftest import make_zip

GOOD_PY = """\
import os

import helpers


def lambda_handler(event, context):
    return helpers.migrate(event)
"""
HELPERS = "def migrate(event):\n    return event\n"


def py(
    files: dict[str, str | bytes], handler: str = "lambda_function.lambda_handler", **kw: Any
) -> LambdaReport:
    check = kw.pop("check", {})
    package = FunctionPackage(
        handler=handler, runtime=kw.pop("runtime", "python3.11"), code=make_zip(files), **kw
    )
    return check_function(package, **({"lookup": None} | check))


def outcome(report: LambdaReport, error: str | None) -> list[tuple[str, str | None, int | None]]:
    """(status, file, line) of the results about ``error``."""
    return [(r.status.value, r.file, r.line) for r in report.results if r.error == error]


def test_good_python_package_passes() -> None:
    report = py({"lambda_function.py": GOOD_PY, "helpers.py": HELPERS}, timeout=5)
    assert [(r.error, r.status) for r in report.results] == [
        ("ImportModuleError", Status.PASS),
        ("UserCodeSyntaxError", Status.PASS),
        ("HandlerNotFound", Status.PASS),
        ("ResourceNotFoundException", Status.SKIP),
        (None, Status.PASS),
    ]
    assert not report.failed


def test_missing_module_is_import_module_error() -> None:
    report = py({"app.py": GOOD_PY})
    assert outcome(report, "ImportModuleError") == [("fail", None, None)]
    assert "Unable to import module 'lambda_function'" in report.results[0].message
    assert report.failed


def test_module_in_a_subfolder_gets_a_hint() -> None:
    report = py({"build/lambda_function.py": GOOD_PY})
    assert outcome(report, "ImportModuleError") == [("fail", None, None)]
    assert "found build/lambda_function.py" in report.results[0].message


def test_missing_module_with_layers_is_a_warning() -> None:
    report = py({"app.py": "x = 1\n"}, layers=("arn:aws:lambda:us-east-1:1:layer:deps:3",))
    assert outcome(report, "ImportModuleError") == [("warn", None, None)]


def test_package_module_with_slash_handler() -> None:
    report = py(
        {"src/app/__init__.py": "", "src/app/main.py": "def go(e, c):\n    return e\n"},
        handler="src/app/main.go",
    )
    assert outcome(report, "ImportModuleError") == [("pass", "src/app/main.py", None)]
    assert outcome(report, "HandlerNotFound") == [("pass", "src/app/main.py", None)]


def test_syntax_error_in_handler_gives_file_and_line() -> None:
    # the guide's example: "Syntax error in module 'lambda_function': unexpected indent"
    source = "def lambda_handler(event, context):\n    x = 1\n        return x\n"
    report = py({"lambda_function.py": source})
    assert outcome(report, "UserCodeSyntaxError") == [("fail", "lambda_function.py", 3)]
    message = next(r.message for r in report.results if r.error == "UserCodeSyntaxError")
    assert message == "Syntax error in module 'lambda_function': unexpected indent"


def test_compiler_level_error_is_caught_by_compile() -> None:
    # ast.parse accepts this; compile() rejects it, as the runtime's import would
    report = py({"lambda_function.py": "def lambda_handler(e, c):\n    return e\nreturn 1\n"})
    assert outcome(report, "UserCodeSyntaxError") == [("fail", "lambda_function.py", 3)]


def test_syntax_error_in_an_imported_module_fails() -> None:
    report = py(
        {"lambda_function.py": GOOD_PY, "helpers.py": "def migrate(event)\n    return event\n"}
    )
    assert outcome(report, "UserCodeSyntaxError") == [("fail", "helpers.py", 1)]


def test_syntax_error_in_an_unimported_file_warns() -> None:
    report = py(
        {"lambda_function.py": GOOD_PY, "helpers.py": HELPERS, "scripts/old.py": "print 'x'\n"}
    )
    assert ("warn", "scripts/old.py", 1) in outcome(report, "UserCodeSyntaxError")
    assert not report.failed


def test_installed_dependencies_are_not_compiled() -> None:
    report = py(
        {
            "lambda_function.py": GOOD_PY,
            "helpers.py": HELPERS,
            "legacy/__init__.py": "print 'py2'\n",
            "legacy-1.0.dist-info/RECORD": "legacy/__init__.py,,\n",
        }
    )
    assert all(r.file != "legacy/__init__.py" for r in report.results)


def test_newer_syntax_on_an_older_runtime_fails() -> None:
    # Python's parser reports a match statement at its last line
    source = "def lambda_handler(e, c):\n    match e:\n        case _:\n            return e\n"
    assert outcome(
        py({"lambda_function.py": source}, runtime="python3.9"), "UserCodeSyntaxError"
    ) == [("fail", "lambda_function.py", 4)]
    assert outcome(
        py({"lambda_function.py": source}, runtime="python3.11"), "UserCodeSyntaxError"
    ) == [("pass", "lambda_function.py", None)]


def test_missing_handler_function() -> None:
    report = py({"lambda_function.py": "def handler(event, context):\n    return event\n"})
    assert outcome(report, "HandlerNotFound") == [("fail", "lambda_function.py", None)]
    assert (
        "Handler 'lambda_handler' missing on module 'lambda_function'" in report.results[-3].message
    )


@pytest.mark.parametrize(
    "source",
    [
        "from impl import handle as lambda_handler\n",
        "lambda_handler = make()\n",
        "try:\n    import x\nexcept ImportError:\n    def lambda_handler(e, c):\n        return e\n",
        "class lambda_handler:\n    pass\n",
    ],
    ids=["import-as", "assignment", "inside-try", "class"],
)
def test_handler_bound_other_ways_passes(source: str) -> None:
    assert outcome(py({"lambda_function.py": source}), "HandlerNotFound") == [
        ("pass", "lambda_function.py", None)
    ]


def test_star_import_makes_the_handler_uncertain() -> None:
    report = py(
        {
            "lambda_function.py": "from impl import *\n",
            "impl.py": "def lambda_handler(e, c):\n    return e\n",
        }
    )
    assert outcome(report, "HandlerNotFound") == [("warn", "lambda_function.py", None)]


# -- Node.js --------------------------------------------------------------------------------

GOOD_JS = "exports.handler = async (event) => event;\n"


def node(
    files: dict[str, str], handler: str = "index.handler", checker: Any = None
) -> LambdaReport:
    package = FunctionPackage(handler=handler, runtime="nodejs20.x", code=make_zip(files))
    return check_function(package, node_check=checker)


@pytest.mark.parametrize("name", ["index.js", "index.mjs", "index.cjs"])
def test_node_handler_file_found(name: str) -> None:
    source = "export const handler = async (e) => e;\n" if name.endswith(".mjs") else GOOD_JS
    report = node({name: source})
    assert outcome(report, "ImportModuleError") == [("pass", name, None)]
    assert outcome(report, "HandlerNotFound") == [("pass", name, None)]


def test_node_handler_file_missing() -> None:
    report = node({"main.js": GOOD_JS})
    assert outcome(report, "ImportModuleError") == [("fail", None, None)]
    assert "Cannot find module 'index'" in report.results[0].message


def test_node_typescript_only_gets_a_hint() -> None:
    report = node({"index.ts": "export const handler = async () => 1;\n"})
    assert "compile TypeScript" in report.results[0].message


def test_node_missing_export_warns() -> None:
    report = node({"index.js": "async function handler(e) { return e; }\n"})
    assert outcome(report, "HandlerNotFound") == [("warn", "index.js", None)]


def test_node_without_node_installed_is_skipped() -> None:
    report = node(
        {"index.js": GOOD_JS},
        checker=lambda code, path: node_check(code, path, node="/nonexistent/node"),
    )
    assert outcome(report, "UserCodeSyntaxError") == [("skip", "index.js", None)]


needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


@needs_node
def test_node_syntax_error_with_line() -> None:
    report = node(
        {"index.js": "exports.handler = async (event) => {\n  return {;\n};\n"}, checker=node_check
    )
    assert outcome(report, "UserCodeSyntaxError") == [("fail", "index.js", 2)]
    assert "SyntaxError" in next(
        r.message for r in report.results if r.error == "UserCodeSyntaxError"
    )


@needs_node
def test_node_check_passes_esm_with_package_json() -> None:
    files = {
        "src/index.js": "export const handler = async (e) => e;\n",
        "package.json": json.dumps({"type": "module"}),
    }
    report = node(files, handler="src/index.handler", checker=node_check)
    assert outcome(report, "UserCodeSyntaxError") == [("pass", "src/index.js", None)]


# -- bad input, timeout, IDs ----------------------------------------------------------------


def test_not_a_zip_is_bad_input() -> None:
    package = FunctionPackage(handler="a.b", runtime="python3.12", code=b"not a zip", name="f.zip")
    with pytest.raises(InputError, match=r"f\.zip is not a zip file"):
        check_function(package)


@pytest.mark.parametrize("handler", ["lambda_handler", ".handler", "module."])
def test_handler_without_module_is_bad_input(handler: str) -> None:
    with pytest.raises(InputError, match="has no module part"):
        py({"lambda_function.py": GOOD_PY}, handler=handler)


@pytest.mark.parametrize(
    ("timeout", "status"), [(3, "pass"), (5, "pass"), (6, "warn"), (30, "warn")]
)
def test_timeout_against_cognitos_five_seconds(timeout: int, status: str) -> None:
    report = py({"lambda_function.py": GOOD_PY, "helpers.py": HELPERS}, timeout=timeout)
    result = report.results[-1]
    assert (result.error, result.status.value) == (None, status)
    if status == "warn":
        assert "After three unsuccessful attempts" in result.message


def test_find_ids_in_environment() -> None:
    pools, clients = find_ids(
        (
            ("OLD_USER_POOL_ID", "eu-central-1_YYYYOOOO"),
            ("POOL_ARN", "arn:aws:cognito-idp:us-east-1:1:userpool/us-east-1_Abc"),
            ("OLD_CLIENT_ID", "52rabcdefghijklmnopqrstuge"),
            ("appClientId", "abc123"),
            ("TABLE", "users"),
        )
    )
    assert pools == ("eu-central-1_YYYYOOOO", "us-east-1_Abc")
    assert clients == ("52rabcdefghijklmnopqrstuge", "abc123")


def test_offline_ids_are_skipped_naming_the_live_option() -> None:
    report = py(
        {"lambda_function.py": GOOD_PY, "helpers.py": HELPERS},
        environment=(("POOL", "us-east-1_Abc"), ("CLIENT_ID", "c1")),
    )
    skipped = [r.message for r in report.results if r.error == "ResourceNotFoundException"]
    assert len(skipped) == 2
    assert all("--function NAME" in m for m in skipped)


class FakeLookup:
    """A CognitoLookup over a dict, for the pure logic; moto covers the real one below."""

    def __init__(self, pools: dict[str, dict[str, tuple[str, ...]]]) -> None:
        self.pools = pools

    def pool_exists(self, pool_id: str) -> bool:
        return pool_id in self.pools

    def client(self, pool_id: str, client_id: str) -> ClientInfo | None:
        flows = self.pools.get(pool_id, {}).get(client_id)
        return None if flows is None else ClientInfo(client_id, pool_id, flows)


def test_code_calling_initiate_auth_needs_user_password_flow() -> None:
    code = {
        "lambda_function.py": "import boto3\ndef lambda_handler(e, c):\n    boto3.client('cognito-idp').initiate_auth()\n"
    }
    env = (("POOL", "us-east-1_Abc"), ("CLIENT_ID", "c1"))
    ok = py(
        code,
        environment=env,
        check={"lookup": FakeLookup({"us-east-1_Abc": {"c1": ("ALLOW_USER_PASSWORD_AUTH",)}})},
    )
    assert outcome(ok, "InvalidParameterException") == [("pass", None, None)]
    bad = py(
        code,
        environment=env,
        check={
            "lookup": FakeLookup({"us-east-1_Abc": {"c1": ("ALLOW_ADMIN_USER_PASSWORD_AUTH",)}})
        },
    )
    assert outcome(bad, "InvalidParameterException") == [("fail", None, None)]


# -- live, under moto -----------------------------------------------------------------------

MIGRATE_PY = """\
import os

import boto3

cognito = boto3.client("cognito-idp")


def lambda_handler(event, context):
    cognito.admin_initiate_auth(
        UserPoolId=os.environ["OLD_USER_POOL_ID"],
        ClientId=os.environ["OLD_CLIENT_ID"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": event["userName"], "PASSWORD": event["request"]["password"]},
    )
    return event
"""


@pytest.fixture
def moto_account(aws_env: None) -> Iterator[dict[str, Any]]:
    """A source pool with three clients and a migration function, in moto."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        idp = boto3.client("cognito-idp", region_name="us-east-1")
        pool = idp.create_user_pool(PoolName="old")["UserPool"]["Id"]
        clients = {
            flows: idp.create_user_pool_client(
                UserPoolId=pool, ClientName=flows, ExplicitAuthFlows=flows.split("+")
            )["UserPoolClient"]["ClientId"]
            for flows in (
                "ALLOW_ADMIN_USER_PASSWORD_AUTH+ALLOW_REFRESH_TOKEN_AUTH",
                "ADMIN_NO_SRP_AUTH",
                "ALLOW_USER_SRP_AUTH+ALLOW_REFRESH_TOKEN_AUTH",
            )
        }
        role = boto3.client("iam").create_role(
            RoleName="migration",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]["Arn"]
        code = make_zip({"lambda_function.py": MIGRATE_PY})
        yield {
            "pool": pool,
            "clients": clients,
            "role": role,
            "code": code,
            "lambda": boto3.client("lambda", region_name="us-east-1"),
            "idp": idp,
        }


def _deploy(account: dict[str, Any], env: dict[str, str], timeout: int = 5) -> None:
    account["lambda"].create_function(
        FunctionName="migrate",
        Runtime="python3.12",
        Role=account["role"],
        Handler="lambda_function.lambda_handler",
        Code={"ZipFile": account["code"]},
        Timeout=timeout,
        Environment={"Variables": env},
    )


def _live_report(account: dict[str, Any]) -> LambdaReport:
    import boto3

    from iam_audit.preflight import live

    package = live.load_function(
        "migrate", client=account["lambda"], fetch=lambda url: account["code"]
    )
    lookup = live.LiveCognitoLookup(lambda region: boto3.client("cognito-idp", region_name=region))
    return check_function(package, lookup=lookup)


def _refs(report: LambdaReport) -> list[tuple[str | None, str]]:
    return [
        (r.error, r.status.value)
        for r in report.results
        if r.error in ("ResourceNotFoundException", "InvalidParameterException")
    ]


@pytest.mark.parametrize(
    "flows",
    ["ALLOW_ADMIN_USER_PASSWORD_AUTH+ALLOW_REFRESH_TOKEN_AUTH", "ADMIN_NO_SRP_AUTH"],
    ids=["allow", "legacy"],
)
def test_live_pool_and_client_with_admin_flow_pass(
    moto_account: dict[str, Any], flows: str
) -> None:
    _deploy(
        moto_account,
        {"OLD_USER_POOL_ID": moto_account["pool"], "OLD_CLIENT_ID": moto_account["clients"][flows]},
    )
    report = _live_report(moto_account)
    assert _refs(report) == [
        ("ResourceNotFoundException", "pass"),
        ("ResourceNotFoundException", "pass"),
        ("InvalidParameterException", "pass"),
    ]
    assert not report.failed


def test_live_pool_missing(moto_account: dict[str, Any]) -> None:
    _deploy(moto_account, {"OLD_USER_POOL_ID": "us-east-1_DoesNotExist", "OLD_CLIENT_ID": "c1"})
    report = _live_report(moto_account)
    assert _refs(report) == [
        ("ResourceNotFoundException", "fail"),
        ("ResourceNotFoundException", "skip"),
    ]
    assert (
        "User pool us-east-1_DoesNotExist does not exist in us-east-1" in report.results[-3].message
    )


def test_live_client_missing(moto_account: dict[str, Any]) -> None:
    _deploy(
        moto_account,
        {"OLD_USER_POOL_ID": moto_account["pool"], "OLD_CLIENT_ID": "52rXXXXXXXXXXXXXXXXXXge"},
    )
    report = _live_report(moto_account)
    assert _refs(report) == [
        ("ResourceNotFoundException", "pass"),
        ("ResourceNotFoundException", "fail"),
    ]
    assert "User pool client 52rXXXXXXXXXXXXXXXXXXge does not exist" in report.results[-2].message


def test_live_client_without_admin_flow(moto_account: dict[str, Any]) -> None:
    srp = moto_account["clients"]["ALLOW_USER_SRP_AUTH+ALLOW_REFRESH_TOKEN_AUTH"]
    _deploy(
        moto_account, {"OLD_USER_POOL_ID": moto_account["pool"], "OLD_CLIENT_ID": srp}, timeout=30
    )
    report = _live_report(moto_account)
    assert _refs(report)[-1] == ("InvalidParameterException", "fail")
    message = report.results[-2].message
    assert message.startswith("Auth flow not enabled for this client")
    assert "ALLOW_ADMIN_USER_PASSWORD_AUTH" in message
    assert (report.results[-1].error, report.results[-1].status) == (
        None,
        Status.WARN,
    )  # 30 s timeout


class _ZipHandler(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        if self.path != "/code.zip":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def code_server() -> Iterator[str]:
    """An HTTP server on 127.0.0.1 standing in for the presigned Code.Location URL (moto returns
    an S3 URL it does not serve, so the download path is tested against this instead)."""
    _ZipHandler.body = make_zip({"lambda_function.py": GOOD_PY})
    server = HTTPServer(("127.0.0.1", 0), _ZipHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download_reads_the_code_location(code_server: str) -> None:
    from iam_audit.preflight import live

    assert live.download(f"{code_server}/code.zip") == _ZipHandler.body


def test_download_failure_is_bad_input(code_server: str) -> None:
    from iam_audit.preflight import live

    with pytest.raises(InputError, match="cannot download"):
        live.download(f"{code_server}/missing.zip")
    with pytest.raises(InputError, match="not an HTTP"):
        live.download("file:///etc/passwd")


def test_live_function_not_found(moto_account: dict[str, Any]) -> None:
    from iam_audit.preflight import live

    with pytest.raises(InputError, match="Lambda function nope not found"):
        live.load_function("nope", client=moto_account["lambda"])


@pytest.mark.parametrize(
    ("source", "status"),
    [
        ("def lambda_handler(e, c)\n    return e\n", "fail"),
        ("type Event = dict\n\ndef lambda_handler(e, c):\n    return e\n", "warn"),
        ("def lambda_handler[T](e: T, c) -> T:\n    return e\n", "warn"),
    ],
    ids=["missing-colon", "pep695-type", "pep695-generic"],
)
@pytest.mark.skipif(sys.version_info >= (3, 12), reason="needs a checker older than python3.12")
def test_newer_runtime_than_checker(source: str, status: str) -> None:
    """On a runtime newer than this interpreter, only lines using newer syntax are softened."""
    report = py({"lambda_function.py": source}, runtime="python3.13")
    assert [s for s, _, _ in outcome(report, "UserCodeSyntaxError")] == [status]
