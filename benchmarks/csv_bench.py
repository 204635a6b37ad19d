"""`iam-audit csv check` of a large import CSV, measured against a process that only reads it.

Generates a user-import CSV with ``gen_csv.py`` the way a migration writes one (the
``GetCSVHeader`` columns of a pool with two custom attributes, E.164 phone numbers of several
countries, email addresses, escaped commas in addresses, and one bad row in about 5,000: national
phone numbers, bad dates, duplicate usernames, unverified users; 480,000 users, about 100 MB;
``--small`` for CI), then runs, alternately and ``--runs`` times each:

(a) the floor: a Python process that reads the file with the ``csv`` module (the backslash escape
    of the Cognito format as ``escapechar``) and calls ``phonenumbers.parse`` on each phone number;
(b) the installed ``iam-audit csv check FILE --header-file H --schema S --format json``: the
    whole command, start-up and every rule included.

It prints the median wall time of each, their ratio (target: at most 2.0), the peak resident
memory of each process (``wait4`` rusage of that child alone) and the machine. It asserts nothing:
the figures are the output.

    .venv/bin/python benchmarks/csv_bench.py [--small] [--runs 5] [--users 480000]
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

from gen_csv import HEADER, POOL, write_csv
from who_can_bench import Run, cli_path, machine

USERS = 480_000
SMALL_USERS = 3_000

FLOOR = """\
import csv, sys
import phonenumbers
with open(sys.argv[1], encoding="utf-8", newline="") as f:
    rows = csv.reader(f, escapechar="\\\\")
    phone = next(rows).index("phone_number")
    for row in rows:
        if len(row) > phone and row[phone]:
            try:
                phonenumbers.parse(row[phone], None)
            except phonenumbers.NumberParseException:
                pass
"""


def run_process(argv: list[str], codes: tuple[int, ...] = (0,)) -> tuple[Run, bytes]:
    """Run ``argv``; its own wall time and peak RSS (``wait4``: not other children's)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, env=env)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in codes:
        raise SystemExit(f"{argv[0]} exited {code}")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: KiB on Linux, bytes on macOS
    return Run(seconds, usage.ru_maxrss * scale), output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help=f"{SMALL_USERS:,} users (for CI)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each process (median)")
    parser.add_argument("--users", type=int, help=f"users in the file (default {USERS:,})")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    users = args.users or (SMALL_USERS if args.small else USERS)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path, header, schema = root / "users.csv", root / "header.json", root / "pool.json"
        started = time.perf_counter()
        write_csv(path, users)
        header.write_text(json.dumps({"CSVHeader": list(HEADER), "UserPoolId": "x"}))
        schema.write_text(json.dumps(POOL))
        print(f"generated {path.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        size = path.stat().st_size
        floor = [sys.executable, "-c", FLOOR, str(path)]
        command = [
            cli_path(),
            *("csv", "check", str(path), "--header-file", str(header), "--schema", str(schema)),
            *("--format", "json"),
        ]
        # warm the page cache and the bytecode caches, and read the answer
        run_process(floor)
        _, output = run_process(command, codes=(0, 1))
        summary = json.loads(output)["summary"]
        floors: list[Run] = []
        checks: list[Run] = []
        for _ in range(args.runs):
            floors.append(run_process(floor)[0])
            checks.append(run_process(command, codes=(0, 1))[0])

    floor_s = statistics.median(r.seconds for r in floors)
    check_s = statistics.median(r.seconds for r in checks)
    floor_rss = max(r.peak_rss for r in floors)
    check_rss = max(r.peak_rss for r in checks)
    mb = 1e6
    print(f"machine:        {machine()}")
    print(
        f"file:           {size / mb:.1f} MB ({'small' if users < USERS else 'full'} size),"
        f" {summary['users']:,} users, {summary['rejected_users']:,} would fail,"
        f" {summary['errors']:,} errors, {summary['warnings']:,} warnings"
    )
    print(f"runs:           {args.runs} of each, median wall time")
    print(f"csv+phonenumbers: {floor_s:.3f} s   peak RSS {floor_rss / mb:.1f} MB")
    print(f"csv check (CLI):  {check_s:.3f} s   peak RSS {check_rss / mb:.1f} MB")
    print(f"time ratio:     {check_s / floor_s:.2f}x the floor (target <= 2.0)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
