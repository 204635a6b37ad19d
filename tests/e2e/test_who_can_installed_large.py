"""The installed `who-can` on a file large enough that its principals are shared among processes.

The command forks one worker per core after reading the file (``iam_audit.workers``); what it
prints must be exactly what one process answering every principal gives: the same JSON on
stdout (its notes included), exit 0, from a file and from standard input.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from iam_audit import whocan
from iam_audit.render import TextFormat, renderer_for
from iam_audit.results import WhoCanReport
from iam_audit.sources.auth_details import AuthDetailsSource

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from gen_account import POOL_ARN, Sizes, generate

ACTION = "cognito-idp:AdminInitiateAuth"


def test_the_installed_command_prints_what_one_process_answers(
    run_cli: Any, installed_cli: Path, tmp_path: Path
) -> None:
    path = tmp_path / "account.json"
    generate(path, Sizes(roles=2_100, policies=120, users=80, groups=8), seed=3, indent=None)
    assert path.stat().st_size > whocan.MIN_BYTES  # the command shares the work
    alone = whocan.who_can(AuthDetailsSource(path), ACTION, POOL_ARN, jobs=1)
    assert alone.principals  # not vacuous
    expected = renderer_for(TextFormat.JSON).render(WhoCanReport(alone))
    assert json.loads(expected)["principals"] == whocan.result_to_dict(alone)["principals"]

    args = ["who-can", ACTION, "--resource", POOL_ARN, "--format", "json"]
    done = run_cli([*args, "--authorization-details", str(path)])
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected

    piped = subprocess.run(  # standard input is read once, before the workers start
        [str(installed_cli), *args, "--authorization-details", "-"],
        env={"PYTHONPATH": str(installed_cli.parent.parent), "NO_COLOR": "1"},
        input=path.read_bytes(),
        capture_output=True,
        timeout=120,
    )
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.decode() == expected
