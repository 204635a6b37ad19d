"""The benchmarks run at a small size and print every figure they promise (no timing asserts:
the figures are for people, on a known machine)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _small(script: str) -> str:
    """The output of ``benchmarks/SCRIPT --small --runs 1``, which must succeed."""
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--small", "--runs", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"^machine: +\S.*\d+ cores, Python 3\.\d+", done.stdout, re.M), done.stdout
    return done.stdout


def test_small_who_can_benchmark_prints_the_figures() -> None:
    out = _small("who_can_bench.py")
    assert re.search(r"^account: +small size, [1-9]\d* principals answer", out, re.M), out
    assert "same answer on every layout: yes" in out, out
    for layout in ("indent=4", "indent=2", "compact"):
        # size, json.load, who-can, its ratio and paired ratio, audit, its two, three RSS
        row = rf"^{layout} +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+x +[\d.]+x +[\d.]+ +[\d.]+x +[\d.]+x"
        row += r" +[\d.]+ +[\d.]+ +[\d.]+$"
        assert re.search(row, out, re.M), out
    assert re.search(r"^targets: +who-can and audit at most 1\.0x json\.load", out, re.M), out


def test_small_csv_benchmark_prints_the_figures() -> None:
    out = _small("csv_bench.py")
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


def test_startup_benchmark_prints_every_process() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "startup_bench.py"), "--runs", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr  # every process exited as it should (0, 3, 1)
    out = done.stdout
    assert re.search(r"^machine: +\S.*\d+ cores, Python 3\.\d+", out, re.M), out
    for process in (
        "python -c pass",
        "python -c 'import typer, msgspec'",
        "iam-audit --version",
        "iam-audit --help",
        "who-can, empty account",
        r"audit, empty account \(exit 3\)",
        r"audit, two named roles \(exit 1\)",
    ):
        assert re.search(rf"^{process} +\d+\.\d{{3}}$", out, re.M), (process, out)
