"""Time the code-calls analyser on a large bundle (the esbuild fixture repeated to about 1 MB).

.venv/bin/python benchmarks/codecalls_bench.py
"""

from __future__ import annotations

import time
from pathlib import Path

from iam_audit.codecalls import analyse_package
from iam_audit.codecalls.botocore_map import BotocoreOperationMap

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "tests" / "assets" / "codecalls" / "packages" / "node_esbuild" / "index.js"
PYTHON = ROOT / "tests" / "assets" / "codecalls" / "packages" / "py_cognito" / "lambda_function.py"


def main() -> None:
    ops = BotocoreOperationMap()
    for name, source, copies in (("index.js", BUNDLE, 400), ("app.py", PYTHON, 200)):
        data = source.read_bytes() * copies
        start = time.perf_counter()
        found = analyse_package({name: data}, ops, "bench")
        took = time.perf_counter() - start
        print(f"{name}: {len(data) / 1e6:.2f} MB, {len(found.calls)} calls, {took:.2f} s")


if __name__ == "__main__":
    main()
