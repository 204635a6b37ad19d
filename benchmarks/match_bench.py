"""Worst-case wildcard patterns against plain ones, and `logs diagnose` on full-size events.

Prints, side by side (it asserts nothing: the figures are the output):

1. The matcher: the median time of one ``Glob.fullmatch`` for plain patterns (a prefix, ``*``, an
   exact ARN) and for the patterns that made a backtracking regex take minutes
   (``*?*?*?*?*?*?*?*?Z``, ``*a*a*a*a*a*a*a*a*b``, long runs of ``?`` and ``*?``), each against a
   short ARN and a 2,048-character one. Target: worst mean at most 2x the plain mean. Shown
   apart (``poly``): a segment mixing characters and ``?`` against a string of its characters,
   which costs len(value) x len(segment) steps at worst.
2. The commands: ``who-can`` and ``audit`` (the installed CLI, start-up included) on an
   authorization-details file of ``--roles`` roles whose inline policies hold a worst pattern
   versus a plain one in ``Resource``. Target: at most 2x.
3. ``logs diagnose``'s matching (``diagnose``) on one 256 KB event (CloudWatch's largest) made of
   each signature's trigger repeated, against a 256 KB line of plain text, and on 64/128/256 KB of
   the worst of them (linear: time doubles with the size).

    .venv/bin/python benchmarks/match_bench.py [--roles 300] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from who_can_bench import cli_path, machine, run_process

from iam_audit.engine.match import Glob
from iam_audit.preflight.logsdiag import MAX_EVENT_BYTES, LogEvent, diagnose, load_signatures

ACCOUNT = "111122223333"
POOL = f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/eu-west-1_Bench1"

PLAIN = (
    "*",
    "arn:aws:cognito-idp:*:*:userpool/*",
    f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/eu-west-1_Other",
    "arn:aws:logs:*:*:log-group:/aws/cognito/*",
    "arn:aws:s3:::bucket/*",
)
#: Shapes on which a backtracking regex is exponential (the first took minutes in who-can).
WORST = (
    "*?*?*?*?*?*?*?*?Z",
    "*a*a*a*a*a*a*a*a*a*a*b",
    "?" * 64 + "*",
    "*?" * 40,
    "arn:aws:*?*?*?*?*?*?*?*?:*?*?*?*?:userpool/*?*?*?*?X",
)
#: A segment mixing characters and ``?`` between stars, against a string of its characters:
#: found by trying each position (len(value) x len(segment) steps), polynomial, not linear.
POLYNOMIAL = ("*a?a?a?a?a?a?a?b*",)
SHORT = POOL
LONG = "arn:aws:s3:::bucket/" + "a" * 2028


def per_call(function: Callable[[], object], *, budget: float = 0.2) -> float:
    """Median seconds of one call, over batches sized to take ``budget`` seconds each."""
    count = 1
    while True:
        started = time.perf_counter()
        for _ in range(count):
            function()
        elapsed = time.perf_counter() - started
        if elapsed >= budget / 5 or count >= 1 << 20:
            break
        count *= 2
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(count):
            function()
        samples.append((time.perf_counter() - started) / count)
    return statistics.median(samples)


def matcher_table() -> None:
    print("1. Glob.fullmatch, median per call (microseconds)")
    print(f"   {'pattern':<56} {'short ARN':>10} {'2,048 chars':>12}")
    means: dict[str, list[float]] = {"plain": [], "worst": [], "poly": []}
    for label, patterns in (("plain", PLAIN), ("worst", WORST), ("poly", POLYNOMIAL)):
        for pattern in patterns:
            compiled = Glob(((pattern, True),))
            short = per_call(lambda c=compiled: c.fullmatch(SHORT)) * 1e6
            long = per_call(lambda c=compiled: c.fullmatch(LONG)) * 1e6
            means[label] += [short, long]
            shown = pattern if len(pattern) <= 54 else pattern[:51] + "..."
            print(f"   {label:<5} {shown:<50} {short:>10.2f} {long:>12.2f}")
    plain, worst = statistics.mean(means["plain"]), statistics.mean(means["worst"])
    print(f"   mean: plain {plain:.2f} us, worst {worst:.2f} us, ratio {worst / plain:.2f}x")
    print(
        "   poly: len(value) x len(segment) steps at worst (here 2,048 x 15), never exponential\n"
    )


def account(path: Path, roles: int, pattern: Callable[[int], str]) -> None:
    """An authorization-details file: ``roles`` Lambda roles, each allowed AdminInitiateAuth on
    ``pattern(i)`` (a distinct statement per role, so none is answered from a memo)."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    details = []
    for i in range(roles):
        details.append(
            {
                "RoleName": f"role-{i}",
                "RoleId": f"AROA{i:016d}",
                "Arn": f"arn:aws:iam::{ACCOUNT}:role/role-{i}",
                "Path": "/",
                "CreateDate": "2024-01-01T00:00:00Z",
                "AssumeRolePolicyDocument": trust,
                "RolePolicyList": [
                    {
                        "PolicyName": "auth",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": "cognito-idp:AdminInitiateAuth",
                                    "Resource": pattern(i),
                                }
                            ],
                        },
                    }
                ],
                "AttachedManagedPolicies": [],
                "Tags": [],
                "InstanceProfileList": [],
            }
        )
    document = {
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": details,
        "Policies": [],
    }
    path.write_text(json.dumps(document), encoding="utf-8")


def command_table(roles: int, runs: int) -> None:
    print(f"2. The installed CLI on {roles} roles, median of {runs} runs (seconds)")
    shapes = {
        "plain": lambda i: f"arn:aws:cognito-idp:*:*:userpool/eu-west-1_Pool{i}*",
        "worst": lambda i: "*?" * 8 + f"Z{i}",
    }
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for label, shape in shapes.items():
            files[label] = Path(tmp) / f"{label}.json"
            account(files[label], roles, shape)
        commands = {
            "who-can": lambda f: [
                cli_path(),
                "who-can",
                "cognito-idp:AdminInitiateAuth",
                "--resource",
                POOL,
                "--authorization-details",
                str(f),
            ],
            "audit": lambda f: [
                cli_path(),
                "audit",
                "--authorization-details",
                str(f),
                "--lambda-role",
                "role-0",
                "--user-pool-arn",
                POOL,
                "--fail-on",
                "never",
            ],
        }
        print(f"   {'command':<10} {'plain':>8} {'worst':>8} {'ratio':>7}")
        for name, argv in commands.items():
            times: dict[str, float] = {}
            for label, path in files.items():
                run_process(argv(path))  # warm
                times[label] = statistics.median(
                    run_process(argv(path))[0].seconds for _ in range(runs)
                )
            ratio = times["worst"] / times["plain"]
            print(f"   {name:<10} {times['plain']:>8.3f} {times['worst']:>8.3f} {ratio:>6.2f}x")
    print()


def logs_table() -> None:
    print(f"3. logs diagnose matching on one {MAX_EVENT_BYTES // 1024} KB event (seconds)")
    signatures = load_signatures()
    units = {
        "plain text": "The import job is running. ",
        "ResourceNotFoundException": "ResourceNotFoundException ",
        "Runtime.UserCodeSyntaxError": "Runtime.UserCodeSyntaxError ",
        "Runtime.ImportModuleError": "Runtime.ImportModuleError ",
        "[FAILED] Line Number 1 -": "[FAILED] Line Number 1 - invalid value for !",
        "cloudwatch logs role": "cloudwatch logs role ",
        "import job": "import job ",
        "header": "header ",
    }

    def event(unit: str, size: int) -> LogEvent:
        return LogEvent((unit * (size // len(unit) + 1))[:size])

    worst_name, worst_time = "", 0.0
    plain = 0.0
    for name, unit in units.items():
        one = event(unit, MAX_EVENT_BYTES)
        seconds = per_call(lambda e=one: diagnose([e], signatures=signatures), budget=0.5)
        if name == "plain text":
            plain = seconds
        elif seconds > worst_time:
            worst_name, worst_time = name, seconds
        print(f"   {name:<30} {seconds:>7.3f}")
    print(f"   worst ({worst_name}) / plain text: {worst_time / plain:.2f}x")
    unit = units[worst_name]
    scaling = []
    for size in (MAX_EVENT_BYTES // 4, MAX_EVENT_BYTES // 2, MAX_EVENT_BYTES):
        one = event(unit, size)
        scaling.append(per_call(lambda e=one: diagnose([e], signatures=signatures), budget=0.5))
    print(
        f"   {worst_name} at 64/128/256 KB: "
        + " / ".join(f"{seconds:.3f}" for seconds in scaling)
        + " s (linear: doubles with the size)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--roles", type=int, default=300, help="roles in the CLI's account")
    parser.add_argument("--runs", type=int, default=5, help="runs of each command (median)")
    args = parser.parse_args(argv)
    print(machine(), end="\n\n")
    matcher_table()
    command_table(args.roles, args.runs)
    logs_table()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
