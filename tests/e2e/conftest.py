"""End to end: the installed CLI (from a freshly built wheel) against a moto server on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def installed_cli(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel, install it (non-editable) into a folder; return its ``iam-audit``.

    Running that script with ``PYTHONPATH`` on the folder proves the wheel works on its own,
    ``policies/`` included; its dependencies come from the test environment.
    """
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(work / "dist"),
            str(ROOT),
        ],
        check=True,
    )
    wheels = list((work / "dist").glob("iam_audit-*.whl"))
    assert len(wheels) == 1, wheels
    target = work / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheels[0]),
        ],
        check=True,
    )
    script = target / "bin" / "iam-audit"
    assert script.exists()
    assert (target / "iam_audit" / "_policies" / "logs-role-permissions.json").exists()
    return script


@dataclass
class MotoServer:
    endpoint: str

    def session(self) -> Any:
        import boto3

        return boto3.session.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="eu-central-1",
        )

    def client(self, service: str) -> Any:
        return self.session().client(service, endpoint_url=self.endpoint)


@pytest.fixture
def moto_server() -> Iterator[MotoServer]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    # moto's backends are process-wide: start every test from an empty account
    import urllib.request

    reset = urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset, timeout=10).close()
    try:
        yield MotoServer(f"http://{host}:{port}")
    finally:
        server.stop()


@pytest.fixture
def run_cli(installed_cli: Path, tmp_path: Path) -> Any:
    """Run the installed CLI with fake keys, empty AWS config files, and the given endpoint."""
    empty = tmp_path / "aws-empty"
    empty.write_text("")

    def run(args: list[str], endpoint: str | None = None, cwd: Path | None = None) -> Any:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(installed_cli.parent.parent),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "eu-central-1",
            "AWS_CONFIG_FILE": str(empty),
            "AWS_SHARED_CREDENTIALS_FILE": str(empty),
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_COLOR": "1",
        }
        if endpoint:
            env["AWS_ENDPOINT_URL"] = endpoint
        return subprocess.run(
            [str(installed_cli), *args],
            env=env,
            cwd=cwd or tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )

    return run


@pytest.fixture
def fault_proxy(moto_server: MotoServer) -> Iterator[Any]:
    """A fault-injecting proxy on 127.0.0.1 in front of the moto server (tests/e2e/faultproxy.py)."""
    from tests.e2e.faultproxy import FaultProxy

    proxy = FaultProxy(moto_server.endpoint).start()
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def start_cli(installed_cli: Path, tmp_path: Path) -> Any:
    """Start the installed CLI without waiting (for signals): a ``subprocess.Popen``.

    The environment is ``run_cli``'s, plus ``AWS_MAX_ATTEMPTS=2`` so that a fault repeated on
    every attempt gives up after one retry instead of botocore's eight.
    """
    empty = tmp_path / "aws-empty-popen"
    empty.write_text("")
    started: list[subprocess.Popen[str]] = []

    def start(args: list[str], endpoint: str) -> subprocess.Popen[str]:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(installed_cli.parent.parent),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "eu-central-1",
            "AWS_CONFIG_FILE": str(empty),
            "AWS_SHARED_CREDENTIALS_FILE": str(empty),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_MAX_ATTEMPTS": "2",
            "AWS_ENDPOINT_URL": endpoint,
            "NO_COLOR": "1",
        }
        process = subprocess.Popen(
            [str(installed_cli), *args],
            env=env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()
