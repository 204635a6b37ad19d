"""The benchmark runs at a small size and prints every figure it promises (no timing asserts)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "who_can_bench.py"


def test_small_benchmark_prints_the_figures() -> None:
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
    assert re.search(r"^account: +[\d.]+ MB \(small size\), [1-9]\d* principals answer", out, re.M)
    assert re.search(r"^json\.load: +[\d.]+ s +peak RSS [\d.]+ MB$", out, re.M), out
    assert re.search(r"^who-can \(CLI\): +[\d.]+ s +peak RSS [\d.]+ MB$", out, re.M), out
    assert re.search(r"^time ratio: +[\d.]+x json\.load", out, re.M), out
    assert re.search(r"^memory ratio: +[\d.]+x file size", out, re.M), out
