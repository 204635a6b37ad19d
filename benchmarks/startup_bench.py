"""The fixed cost of every command: whole processes on inputs too small to take any time.

Runs, interleaved and ``--runs`` times each, and prints side by side the median wall time of:

(a) ``python -c pass``: the interpreter alone;
(b) ``python -c "import typer, msgspec"``: the libraries every run of ``who-can`` needs, the
    floor of what the command line can cost;
(c) the installed ``iam-audit --version`` and ``iam-audit --help``;
(d) ``iam-audit who-can cognito-idp:AdminInitiateAuth --resource POOL --authorization-details
    EMPTY --format json`` on an account with no principal;
(e) ``iam-audit audit --authorization-details EMPTY --format json`` (exit 3: nothing to audit)
    and ``audit`` of two named roles of a two-role account (``--lambda-role``, ``--logs-role``;
    exit 1: one check fails), every check run.

``--compare DIR`` adds a column: the same processes with ``DIR`` (a copy of another revision's
``iam_audit`` package and ``policies/``: ``git archive main iam_audit policies | tar -x -C DIR``)
first on the module path, so one run shows both. Every process runs in an empty temporary
folder (no configuration file is found) with bytecode caching on, as an installed package has
it. Nothing is asserted about time: the figures are the output.

    .venv/bin/python benchmarks/startup_bench.py [--runs 11] [--compare DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_account import ACCOUNT, POOL_ARN
from who_can_bench import cli_path, machine

ACTION = "cognito-idp:AdminInitiateAuth"
EMPTY = {"RoleDetailList": [], "UserDetailList": [], "GroupDetailList": [], "Policies": []}


def _role(name: str, service: str, statement: dict[str, object]) -> dict[str, object]:
    """A role as ``get-account-authorization-details`` lists it, with one inline policy."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }
    return {
        "Path": "/",
        "RoleName": name,
        "RoleId": f"AROA{name.upper():0<17}"[:21],
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "CreateDate": "2026-01-01T00:00:00Z",
        "AssumeRolePolicyDocument": trust,
        "RolePolicyList": [
            {
                "PolicyName": "inline",
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [statement]},
            }
        ],
        "AttachedManagedPolicies": [],
        "InstanceProfileList": [],
        "Tags": [],
    }


TWO_ROLES = {
    **EMPTY,
    "RoleDetailList": [
        _role(
            "migration",
            "lambda.amazonaws.com",
            {"Effect": "Allow", "Action": ACTION, "Resource": POOL_ARN},
        ),
        _role(
            "import-logs",
            "cognito-idp.amazonaws.com",
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"arn:aws:logs:*:{ACCOUNT}:log-group:/aws/cognito/*",
            },
        ),
    ],
}


def _processes(python: str, script: str, folder: Path) -> list[tuple[str, list[str], set[int]]]:
    """(label, argv, the exit codes it may end with) of every process timed."""
    empty = folder / "empty.json"
    empty.write_text(json.dumps(EMPTY, indent=4))
    two = folder / "two-roles.json"
    two.write_text(json.dumps(TWO_ROLES, indent=4))
    who_can = ["who-can", ACTION, "--resource", POOL_ARN]
    audit_two = ["audit", "--authorization-details", str(two), "--lambda-role", "migration"]
    audit_two += ["--logs-role", "import-logs", "--user-pool-arn", POOL_ARN, "--format", "json"]
    return [
        ("python -c pass", [python, "-c", "pass"], {0}),
        ("python -c 'import typer, msgspec'", [python, "-c", "import typer, msgspec"], {0}),
        ("iam-audit --version", [script, "--version"], {0}),
        ("iam-audit --help", [script, "--help"], {0}),
        (
            "who-can, empty account",
            [script, *who_can, "--authorization-details", str(empty), "--format", "json"],
            {0},
        ),
        (
            "audit, empty account (exit 3)",
            [script, "audit", "--authorization-details", str(empty), "--format", "json"],
            {3},
        ),
        ("audit, two named roles (exit 1)", [script, *audit_two], {1}),
    ]


def _environment(path: Path | None) -> dict[str, str]:
    """The caller's environment with bytecode caching on (an installed package has its bytecode
    compiled; a sandbox's PYTHONDONTWRITEBYTECODE would have every run compile it again), and
    ``path`` first on the module path when given."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")
    }
    if path is not None:
        env["PYTHONPATH"] = str(path)
    return env


def _time(argv: list[str], codes: set[int], env: dict[str, str], folder: Path) -> float:
    """Wall seconds of one run of ``argv`` (which must exit with one of ``codes``)."""
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=folder, capture_output=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode not in codes:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11, help="runs of each process (median)")
    parser.add_argument(
        "--compare", type=Path, help="a folder holding another revision's iam_audit package"
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.compare is not None and not (args.compare / "iam_audit" / "cli").is_dir():
        parser.error(f"--compare: no iam_audit package in {args.compare}")
    trees: list[tuple[str, Path | None]] = [("this tree", None)]
    if args.compare is not None:
        trees.append((str(args.compare), args.compare.resolve()))

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        processes = _processes(sys.executable, cli_path(), folder)
        times: dict[tuple[str, str], list[float]] = {}
        for _, argv, codes in processes:  # warm the bytecode and page caches
            for _, path in trees:
                _time(argv, codes, _environment(path), folder)
        for _ in range(args.runs):
            for label, argv, codes in processes:
                for tree, path in trees:
                    seconds = _time(argv, codes, _environment(path), folder)
                    times.setdefault((label, tree), []).append(seconds)

    width = max(len(label) for label, _, _ in processes)
    print(f"machine:  {machine()}")
    print(f"runs:     {args.runs} of each, interleaved; median wall time in seconds")
    print(f"{'process':<{width}}" + "".join(f"  {tree:>12}" for tree, _ in trees))
    for label, _, _ in processes:
        medians = [statistics.median(times[label, tree]) for tree, _ in trees]
        print(f"{label:<{width}}" + "".join(f"  {m:>12.3f}" for m in medians))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
