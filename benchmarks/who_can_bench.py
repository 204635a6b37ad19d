"""`iam-audit who-can` and `audit` over a large account, against a process that only parses the file.

Generates a synthetic account with ``gen_account.py`` (10,000 roles, 2,000 managed policies, 1,000
users; ``--small`` for CI) written three ways: as the AWS CLI writes it (``indent=4``), with
``indent=2`` and compact. For each file it runs, alternately and ``--runs`` times each:

(a) ``python -c "import json, sys; json.load(open(sys.argv[1]))" FILE``: the floor, a process
    that does nothing but read the file;
(b) the installed ``iam-audit who-can cognito-idp:AdminInitiateAuth --resource POOL
    --authorization-details FILE --format json``: the whole command, start-up included;
(c) the installed ``iam-audit audit --authorization-details FILE --lambda-role A --logs-role B
    --source-pool-arn POOL --user-pool-arn POOL --format json``: an audit of two named roles of
    the same file (the first and the last role of the file).

It prints, side by side, the median wall time of each, the ratios to (a) (target: at most 1.0),
both of the medians and paired (the median of each round's ratio: the three processes run in
turn, so a round's ratio holds when the machine's speed drifts between rounds),
the peak resident memory of each process (``wait4`` rusage of that child, which takes in the
workers it forks and waits for, and no other process; target: no more
than (a)'s), and the machine. It checks that who-can gives the same answer on every layout, and
asserts nothing about time: the figures are the output.

    .venv/bin/python benchmarks/who_can_bench.py [--small] [--runs 5] [--file FILE] [--hard 0.22]
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

from gen_account import POOL_ARN, Sizes

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


def run_process(
    argv: list[str], stdout: int | None = subprocess.DEVNULL, *, findings_ok: bool = False
) -> tuple[Run, bytes]:
    """Run ``argv`` to completion; its own wall time and peak RSS (with the processes it forks
    and waits for, not this script's other children).
    ``findings_ok``: exit code 1 (findings) is a result, not a failure."""
    start = time.perf_counter()
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE if stdout is None else stdout, env=_environment()
    )
    output = process.stdout.read() if process.stdout is not None else b""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0 and not (findings_ok and process.returncode == 1):
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


LAYOUTS = (("indent=4", 4), ("indent=2", 2), ("compact", 0))


_GENERATOR = Path(__file__).resolve().parent / "gen_account.py"
_NAMES = (
    "import json, sys\n"
    "roles = json.load(open(sys.argv[1]))['RoleDetailList']\n"
    "print(roles[0]['RoleName'], roles[-1]['RoleName'])\n"
)


def _generate(path: Path, sizes: Sizes, indent: int) -> None:
    """Write the account in a process of its own (see :func:`_roles`)."""
    argv = [sys.executable, str(_GENERATOR), str(path), "--indent", str(indent)]
    argv += ["--roles", str(sizes.roles), "--policies", str(sizes.policies)]
    argv += ["--users", str(sizes.users), "--groups", str(sizes.groups), "--hard", str(sizes.hard)]
    subprocess.run(argv, check=True, stderr=subprocess.DEVNULL)


def _roles(path: Path) -> tuple[str, str]:
    """The names of the first and the last role of the file (the two the audit names).

    Read in a process of its own: a child's peak RSS as ``wait4`` reports it starts from this
    process's own (Linux carries the memory of the process that started it over ``exec``), so
    this process never holds an account in memory, or every figure would be at least that."""
    out = subprocess.run(
        [sys.executable, "-c", _NAMES, str(path)], check=True, capture_output=True, text=True
    )
    first, last = out.stdout.split()
    return first, last


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="a 300-role account (for CI)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each process (median)")
    parser.add_argument("--file", type=Path, help="use this authorization-details file only")
    parser.add_argument(
        "--hard", type=float, default=Sizes.hard, help="share of hard-case statements (0-1)"
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    rows: list[tuple[str, int, Run, Run, Run, float, float]] = []
    answers: list[object] = []
    with tempfile.TemporaryDirectory() as tmp:
        files: list[tuple[str, Path]] = []
        if args.file is not None:
            files.append((args.file.name, args.file))
        else:
            sizes = dataclasses.replace(SMALL if args.small else Sizes(), hard=args.hard)
            for name, indent in LAYOUTS:
                path = Path(tmp) / f"account-{indent}.json"
                started = time.perf_counter()
                _generate(path, sizes, indent)
                print(
                    f"generated {path.name} in {time.perf_counter() - started:.1f} s",
                    file=sys.stderr,
                )
                files.append((name, path))
        for name, path in files:
            first, last = _roles(path)
            loader = [sys.executable, "-c", LOADER, str(path)]
            who_can = [cli_path(), "who-can", ACTION, "--resource", POOL_ARN]
            who_can += ["--authorization-details", str(path), "--format", "json"]
            audit = [cli_path(), "audit", "--authorization-details", str(path)]
            audit += ["--lambda-role", first, "--logs-role", last, "--source-pool-arn", POOL_ARN]
            audit += ["--user-pool-arn", POOL_ARN]
            audit += ["--format", "json"]
            # warm the page cache and the bytecode cache, and check the answers
            _, output = run_process(who_can, stdout=None)
            answers.append(json.loads(output)["principals"])
            run_process(audit, findings_ok=True)
            loads: list[Run] = []
            whos: list[Run] = []
            audits: list[Run] = []
            for _ in range(args.runs):
                loads.append(run_process(loader)[0])
                whos.append(run_process(who_can)[0])
                audits.append(run_process(audit, findings_ok=True)[0])
            rows.append(
                (
                    name,
                    path.stat().st_size,
                    _median(loads),
                    _median(whos),
                    _median(audits),
                    _paired(whos, loads),
                    _paired(audits, loads),
                )
            )

    principals = answers[0]
    assert isinstance(principals, list)
    allowed = sum(1 for p in principals if p["decision"] == "allowed")
    mb = 1e6
    print(f"machine:        {machine()}")
    print(
        f"account:        {'small' if args.small and args.file is None else 'full'} size,"
        f" {len(principals)} principals answer ({allowed} allowed,"
        f" {len(principals) - allowed} conditional);"
        f" same answer on every layout: {'yes' if all(a == principals for a in answers) else 'NO'}"
    )
    print(
        f"runs:           {args.runs} of each, median wall time, largest peak RSS; ratio: of"
        " the medians; paired: the median of each round's ratio (the three run in turn, so a"
        " drift of the machine's speed moves both sides of a round)"
    )
    print(
        f"{'layout':<10} {'file MB':>8} {'json.load s':>12} {'who-can s':>10} {'ratio':>6}"
        f" {'paired':>6} {'audit s':>8} {'ratio':>6} {'paired':>6} {'json.load MB':>13}"
        f" {'who-can MB':>11} {'audit MB':>9}"
    )
    for name, size, load, who, audit_run, who_paired, audit_paired in rows:
        print(
            f"{name:<10} {size / mb:>8.1f} {load.seconds:>12.3f} {who.seconds:>10.3f}"
            f" {who.seconds / load.seconds:>5.2f}x {who_paired:>5.2f}x {audit_run.seconds:>8.3f}"
            f" {audit_run.seconds / load.seconds:>5.2f}x {audit_paired:>5.2f}x"
            f" {load.peak_rss / mb:>13.1f} {who.peak_rss / mb:>11.1f} {audit_run.peak_rss / mb:>9.1f}"
        )
    print("targets:        who-can and audit at most 1.0x json.load; peak RSS at most json.load's")
    return 0


def _paired(runs: list[Run], floors: list[Run]) -> float:
    """The median of ``runs[i] / floors[i]``: each run against the floor's run of its round."""
    return statistics.median(
        run.seconds / floor.seconds for run, floor in zip(runs, floors, strict=True)
    )


def _median(runs: list[Run]) -> Run:
    """The median wall time, with the largest peak RSS of the runs."""
    return Run(statistics.median(r.seconds for r in runs), max(r.peak_rss for r in runs))


if __name__ == "__main__":
    raise SystemExit(main())
