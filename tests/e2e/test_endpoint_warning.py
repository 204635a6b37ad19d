"""The installed CLI warns once about a plain-http endpoint off this machine, and never prints
the endpoint's password (issue 9, "Endpoints").

No request may leave 127.0.0.1, yet the endpoint must name another host. So ``HTTP_PROXY`` points
at the moto server on loopback: botocore sends every request for the documentation address
``192.0.2.1`` (TEST-NET-1, RFC 5737) to that proxy, which answers it as the IAM API.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

SECRET = "s3cr3t-pw"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
POOL = "arn:aws:cognito-idp:eu-central-1:123456789012:userpool/eu-central-1_AbCdEf123"


def _run(cli: Path, tmp_path: Path, proxy: str, endpoint: str, *args: str) -> Any:
    empty = tmp_path / "aws-empty"
    empty.write_text("")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(cli.parent.parent),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_CONFIG_FILE": str(empty),
        "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": endpoint,
        "HTTP_PROXY": proxy,
        "http_proxy": proxy,
        "NO_PROXY": "",
        "no_proxy": "",
    }
    return subprocess.run(
        [str(cli), *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("endpoint", "warned"),
    [
        (f"http://ci:{SECRET}@192.0.2.1:9", True),
        (f"http://ci:{SECRET}@127.0.0.1:9", False),
    ],
    ids=["off-machine", "loopback"],
)
def test_plain_http_endpoint(
    moto_server: Any, installed_cli: Path, tmp_path: Path, endpoint: str, warned: bool
) -> None:
    moto_server.client("iam").create_role(
        RoleName="migrate-role", AssumeRolePolicyDocument=json.dumps(TRUST)
    )
    result = _run(
        installed_cli, tmp_path, moto_server.endpoint, endpoint,
        "audit", "--lambda-role", "migrate-role", "--user-pool-arn", POOL, "--format", "json",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr  # the audit ran: the role lacks the grant
    assert json.loads(result.stdout)["results"]
    warnings = [line for line in result.stderr.splitlines() if "plain http" in line]
    if warned:
        host = endpoint.rsplit("@", 1)[1]
        assert warnings == [
            f"warning: AWS endpoint http://***@{host} is plain http to a host that is not this "
            "machine: requests and replies travel unencrypted (use https, or a loopback address "
            "for an emulator)"
        ]
    else:
        assert warnings == []
    assert SECRET not in result.stdout + result.stderr
