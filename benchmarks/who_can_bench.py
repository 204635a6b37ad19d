"""`iam-audit who-can` over a large account, measured against a process that only parses the file.

Generates a synthetic account with ``gen_account.py`` (10,000 roles, 2,000 managed policies, 1,000
users; ``--small`` for CI), then runs, alternately and ``--runs`` times each:

(a) ``python -c "import json, sys; json.load(open(sys.argv[1]))" FILE``: the floor, a process
    that does nothing but read the file;
(b) the installed ``iam-audit who-can cognito-idp:AdminInitiateAuth --resource POOL
    --authorization-details FILE --format json``: the whole command, start-up included.

It prints the median wall time of each, their ratio (target: at most 2.0; stretch: below 1.0), the
peak resident memory of each process (``wait4`` rusage of that child alone) against the file size
(target: at most 4x), and the machine. It asserts nothing: the figures are the output.

    .venv/bin/python benchmarks/who_can_bench.py [--small] [--runs 5] [--file FILE] [--compact]
        [--hard 0.22]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_account import POOL_ARN, Sizes, generate

SMALL = Sizes(roles=300, policies=60, users=30, groups=6)
ACTION = "cognito-idp:AdminInitiateAuth"
LOADER = "import json, sys\nwith open(sys.argv[1], encoding='utf-8') as f:\n    json.load(f)\n"


@dataclass(frozen=True)
class Run:
    """One process: wall seconds and peak resident set size in bytes."""

    seconds: float
    peak_rss: int


def _environment() -> dict[str, str]:
    """The caller's environment with Python's defaults: bytecode is cached, as it is in an
    installed package (``pip`` compiles at install time). Without that a sandbox that sets
    PYTHONDONTWRITEBYTECODE makes every run compile the package from source again."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_process(argv: list[str], stdout: int | None = subprocess.DEVNULL) -> tuple[Run, bytes]:
    """Run ``argv`` to completion; its own wall time and peak RSS (not other children's)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE if stdout is None else stdout, env=_environment()
    )
    output = process.stdout.read() if process.stdout is not None else b""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{argv[0]} exited {process.returncode}")
    # ru_maxrss is in kilobytes on Linux, bytes on macOS
    scale = 1 if sys.platform == "darwin" else 1024
    return Run(seconds, usage.ru_maxrss * scale), output


def machine() -> str:
    """CPU model, cores, Python and OS: what the figures were measured on."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{model}, {os.cpu_count()} cores, Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.system()} {platform.release()}"
    )


def cli_path() -> str:
    """The ``iam-audit`` script installed next to this interpreter."""
    script = Path(sys.executable).with_name("iam-audit")
    if not script.exists():
        raise SystemExit(f"no iam-audit next to {sys.executable}: install the project first")
    return str(script)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="a 300-role account (for CI)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each process (median)")
    parser.add_argument("--file", type=Path, help="use this authorization-details file")
    parser.add_argument("--compact", action="store_true", help="generate compact JSON")
    parser.add_argument(
        "--hard", type=float, default=Sizes.hard, help="share of hard-case statements (0-1)"
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    with tempfile.TemporaryDirectory() as tmp:
        path = args.file
        if path is None:
            path = Path(tmp) / "account.json"
            started = time.perf_counter()
            sizes = SMALL if args.small else Sizes()
            sizes = dataclasses.replace(sizes, hard=args.hard)
            generate(path, sizes, indent=0 if args.compact else 4)
            print(
                f"generated {path.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr
            )
        size = path.stat().st_size
        loader = [sys.executable, "-c", LOADER, str(path)]
        command = [
            cli_path(),
            "who-can",
            ACTION,
            "--resource",
            POOL_ARN,
            "--authorization-details",
            str(path),
            "--format",
            "json",
        ]
        # warm the page cache and the bytecode cache, and check the answer
        _, output = run_process(command, stdout=None)
        principals = json.loads(output)["principals"]
        loads: list[Run] = []
        clis: list[Run] = []
        for _ in range(args.runs):
            loads.append(run_process(loader)[0])
            clis.append(run_process(command)[0])

    load_s = statistics.median(r.seconds for r in loads)
    cli_s = statistics.median(r.seconds for r in clis)
    cli_rss = max(r.peak_rss for r in clis)
    load_rss = max(r.peak_rss for r in loads)
    allowed = sum(1 for p in principals if p["decision"] == "allowed")
    mb = 1e6
    print(f"machine:        {machine()}")
    print(
        f"account:        {size / mb:.1f} MB"
        f" ({'small' if args.small and args.file is None else 'full'} size),"
        f" {len(principals)} principals answer ({allowed} allowed,"
        f" {len(principals) - allowed} conditional)"
    )
    print(f"runs:           {args.runs} of each, median wall time")
    print(f"json.load:      {load_s:.3f} s   peak RSS {load_rss / mb:.1f} MB")
    print(f"who-can (CLI):  {cli_s:.3f} s   peak RSS {cli_rss / mb:.1f} MB")
    print(f"time ratio:     {cli_s / load_s:.2f}x json.load (target <= 2.0, stretch < 1.0)")
    print(f"memory ratio:   {cli_rss / size:.2f}x file size (target <= 4.0)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
