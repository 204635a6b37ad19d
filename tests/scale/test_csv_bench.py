"""The ``csv check`` benchmark runs at a small size and prints every figure it promises (no
timing asserts: the figures are for people, on a known machine)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "csv_bench.py"


def test_small_csv_benchmark_prints_the_figures() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--small", "--runs", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert re.search(r"^machine: +\S.*\d+ cores, Python 3\.\d+", out, re.M), out
    # the generated file's bad rows are found: a national number, a date, a repeated username,
    # an email without @, an unverified user, each about one row in 5,000 (3,000 users: 1 each)
    assert re.search(
        r"^file: +[\d.]+ MB \(small size\), 3,000 users, 5 would fail, 5 errors, 0 warnings$",
        out,
        re.M,
    ), out
    assert re.search(r"^csv\+phonenumbers: +[\d.]+ s +peak RSS [\d.]+ MB$", out, re.M), out
    assert re.search(r"^csv check \(CLI\): +[\d.]+ s +peak RSS [\d.]+ MB$", out, re.M), out
    assert re.search(r"^time ratio: +[\d.]+x the floor", out, re.M), out
