"""A sample of the bad-input matrix (tests/badinput.py) through the installed CLI, where a hang
or a traceback would reach a user's terminal: a FIFO with no writer, /dev/zero, 100k-deep
nesting and wrong types, for templates, log files, zips and an auto-discovered pyproject.toml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import badinput
from tests.badinput import Case, argv, expected_exit, make_input

SAMPLE = [
    c
    for c in badinput.cases()
    if c.variant in ("fifo", "device", "deep", "wrong-types")
    and c.kind.name in ("template", "log-file", "lambda-zip", "pyproject-discovered")
    and c.index == 0
    and expected_exit(c) == 3
]


@pytest.mark.e2e
@pytest.mark.parametrize("case", SAMPLE, ids=lambda c: c.id)
def test_installed_cli_neither_hangs_nor_prints_a_traceback(
    case: Case, tmp_path: Path, run_cli: Any
) -> None:
    path = make_input(case, tmp_path)
    done = run_cli(argv(case, path), cwd=tmp_path)  # run_cli times out after 120 s: a hang fails
    assert "Traceback" not in done.stderr
    assert done.returncode == 3, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert Path(path).name in done.stderr


@pytest.mark.e2e
def test_a_reader_that_leaves_early_is_not_an_internal_error(
    installed_cli: Path, tmp_path: Path
) -> None:
    """`iam-audit … | head`: the pipe closes before the report is written."""
    import os
    import subprocess

    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(installed_cli.parent.parent),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will read
    try:
        done = subprocess.run(
            [str(installed_cli), "checks", "--format", "json"],
            env=env,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 141, done.stderr
    assert done.stderr == ""
