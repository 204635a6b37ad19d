"""Peak memory of `iam-audit csv check` on a generated 100 MB user-import CSV.

Prints figures; asserts nothing. Each run is a fresh `python -m iam_audit` process, so its peak
resident set size (ru_maxrss of the child) is the command's whole footprint, interpreter and
imports included; a run on a 10-user file gives the baseline to compare with.

    .venv/bin/python benchmarks/csv_memory.py [--size-mb 100] [--no-split]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_csv import STANDARD_COLUMNS

HEADER = ",".join(STANDARD_COLUMNS)
POOL = {
    "UserPool": {
        "Id": "us-east-1_Bench0001",
        "AutoVerifiedAttributes": ["email"],
        "MfaConfiguration": "OFF",
        "SchemaAttributes": [
            {"Name": "family_name", "AttributeDataType": "String", "Required": True}
        ],
    }
}


def write_csv(path: Path, target_bytes: int) -> int:
    """Write about ``target_bytes`` of users (about 210 bytes each, so 100 MiB stays under the
    500,000-user limit; one in 1,000 has a bad phone number)."""
    users = 0
    size = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write(HEADER + "\n")
        size += len(HEADER) + 1
        while size < target_bytes:
            users += 1
            phone = "555-0100" if users % 1000 == 0 else f"+1425555{users % 10000:04d}"
            line = (
                f"user{users:07d},Jane Doe {users},Jane,Doe,,,,https://example.com/u/{users},,"
                f"https://example.com/~jane{users},jane{users}@example.com,TRUE,,"
                f"02/01/1985,,,{phone},FALSE,{users} Main Street\\, Apt {users % 97} Springfield,"
                "1471453471,FALSE\n"
            )
            out.write(line)
            size += len(line)
    return users


def run(args: list[str]) -> tuple[float, int, int]:
    """(seconds, peak RSS in MiB, exit code) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "iam_audit", *args], capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    if done.returncode not in (0, 1):
        print(done.stderr, file=sys.stderr)
    return elapsed, max(peak, before) // 1024, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=100.0, help="file size in MiB")
    parser.add_argument(
        "--no-split", action="store_true", help="skip --write-clean/--write-rejects"
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        header = root / "header.csv"
        header.write_text(HEADER + "\n")
        schema = root / "pool.json"
        schema.write_text(json.dumps(POOL))
        small, big = root / "small.csv", root / "big.csv"
        write_csv(small, 2_000)
        target = int(options.size_mb * 1024 * 1024) - 4096
        users = write_csv(big, target)
        common = ["--header-file", str(header), "--schema", str(schema), "--format", "json"]
        split = [] if options.no_split else [
            "--write-clean", str(root / "clean.csv"), "--write-rejects", str(root / "rejects.csv"),
        ]  # fmt: skip
        # ru_maxrss of RUSAGE_CHILDREN is a maximum over all children: measure small first
        t_small, rss_small, _ = run(
            ["csv", "check", str(small), *common, "--output", str(root / "s.json")]
        )
        t_big, rss_big, code = run(
            ["csv", "check", str(big), *common, *split, "--output", str(root / "b.json")]
        )
        report = json.loads((root / "b.json").read_text())["summary"]
        print(f"file:           {big.stat().st_size / 1024 / 1024:.1f} MiB, {users:,} users")
        print(f"baseline run:   {rss_small} MiB peak RSS, {t_small:.1f} s (10-user file)")
        print(f"100 MB run:     {rss_big} MiB peak RSS, {t_big:.1f} s, exit {code}")
        print(
            f"difference:     {rss_big - rss_small} MiB for {report['bytes'] / 1024 / 1024:.0f} MiB read"
        )
        print(
            f"problems:       {report['errors']:,} errors, {report['rejected_users']:,} rejected users"
        )
        if split:
            clean = (root / "clean.csv").stat().st_size
            rejects = (root / "rejects.csv").stat().st_size
            print(
                f"split:          clean {clean / 1024 / 1024:.1f} MiB, rejects {rejects / 1024:.1f} KiB"
            )


if __name__ == "__main__":
    main()
