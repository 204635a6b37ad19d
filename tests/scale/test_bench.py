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
    assert re.search(r"^account: +small size, [1-9]\d* principals answer", out, re.M), out
    assert "same answer on every layout: yes" in out, out
    for layout in ("indent=4", "indent=2", "compact"):
        row = (
            rf"^{layout} +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+x +[\d.]+ +[\d.]+x +[\d.]+ +[\d.]+ +[\d.]+$"
        )
        assert re.search(row, out, re.M), out
    assert re.search(r"^targets: +who-can and audit at most 1\.0x json\.load", out, re.M), out
