"""What a command loads before it does its work (issue 14 item 2: start-up is part of every
figure). Each test runs the console script's entry point, :func:`iam_audit.__main__.main`, in a
fresh interpreter and lists the modules it loaded: a module named here that creeps back onto the path
(a top-level import of the audit's shapes, of a rarely used part of the standard library) fails
the test. Times are ``benchmarks/startup_bench.py``'s; nothing here asserts one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from iam_audit.cli import app, app_for
from tests.scale.accounts import ACTION, POOL
from tests.scale.test_whocan import EXPECTED, hand_built

#: What no offline ``who-can`` needs: the audit (its findings, checks, configuration, target
#: selection, fixes), the preflight commands, the code reader, the action catalogue, AWS's SDK
#: and the standard library's modules only they use.
NOT_FOR_WHO_CAN = (
    "iam_audit.audit",
    "iam_audit.awsdata",
    "iam_audit.checks",
    "iam_audit.cli.apply",
    "iam_audit.cli.demo",
    "iam_audit.codecalls",
    "iam_audit.config",
    "iam_audit.discover",
    "iam_audit.engine.actions",
    "iam_audit.findings",
    "iam_audit.fix",
    "iam_audit.preflight",
    "iam_audit.select",
    "base64",
    "boto3",
    "botocore",
    "hashlib",
    "jsonschema",
    "tomllib",
    "yaml",
)
#: What registering the commands needs beyond these: nothing that does a command's work.
NOT_FOR_REGISTERING = (
    *NOT_FOR_WHO_CAN,
    "iam_audit.engine",
    "iam_audit.model",
    "iam_audit.sources",
    "iam_audit.whocan",
    "importlib.resources",
    "msgspec",
    "orjson",
    "tempfile",
)

_RUN = """\
import gc, json, sys
from iam_audit.__main__ import main
sys.argv = ["iam-audit", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as exit:
    code = exit.code
print(
    json.dumps(
        {
            "exit": code,
            "modules": sorted(sys.modules),
            "collecting": gc.isenabled(),
            "frozen": gc.get_freeze_count(),
        }
    ),
    file=sys.stderr,
)
"""


def _main(*args: str, cwd: Path) -> tuple[int, str, set[str]]:
    """Exit code, stdout and the modules loaded of ``iam-audit ARGS`` in a fresh interpreter
    (which ends with the cycle collector on, every command line's start-up frozen)."""
    done = subprocess.run(
        [sys.executable, "-c", _RUN, json.dumps(args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=120,
    )
    last = json.loads(done.stderr.splitlines()[-1])
    assert last["collecting"] is True  # paused while the command line loads, never after
    assert last["frozen"] > 10_000  # Typer's, Click's and our modules' objects, at least
    return last["exit"], done.stdout, set(last["modules"])


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """Each of ``names`` that ``modules`` holds, itself or as a package of what it holds."""
    return sorted(n for n in names if any(m == n or m.startswith(n + ".") for m in modules))


@pytest.fixture
def account(tmp_path: Path) -> Path:
    path = tmp_path / "account.json"
    path.write_text(json.dumps(hand_built(), indent=4))
    return path


def test_who_can_answers_without_the_audit(account: Path, tmp_path: Path) -> None:
    code, out, modules = _main(
        "who-can", ACTION, "--resource", POOL, "--authorization-details", str(account),
        "--format", "json", cwd=tmp_path,
    )  # fmt: skip
    assert code == 0
    answer = [
        (p["arn"], p["type"], p["decision"], p["unresolved"], p["via"])
        for p in json.loads(out)["principals"]
    ]
    assert answer == EXPECTED  # the real answer: the engine ran, through the source reader
    assert "iam_audit.engine.evaluate" in modules
    assert _loaded(modules, NOT_FOR_WHO_CAN) == []


def test_who_can_table_needs_no_audit_shapes(account: Path, tmp_path: Path) -> None:
    code, out, modules = _main(
        "who-can", ACTION, "--resource", POOL, "--authorization-details", str(account),
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 0
    assert out.splitlines()[-1].startswith("13 allowed, 3 conditional, of 30 principals")
    assert _loaded(modules, NOT_FOR_WHO_CAN) == []


def test_who_can_on_an_empty_account(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text(
        '{"RoleDetailList": [], "UserDetailList": [], "GroupDetailList": [], "Policies": []}'
    )
    code, out, modules = _main(
        "who-can", ACTION, "--resource", POOL, "--authorization-details", str(empty),
        "--format", "json", cwd=tmp_path,
    )  # fmt: skip
    assert (code, json.loads(out)) == (0, {"principals": [], "notes": []})
    # no attached policy to look up in the AWS managed snapshot: not even its reader
    assert _loaded(modules, (*NOT_FOR_WHO_CAN, "iam_audit.managed", "importlib.resources")) == []


def test_an_audit_without_a_config_file_reads_no_toml(tmp_path: Path) -> None:
    account = Path(__file__).parent / "assets" / "auth_details" / "account.json"
    code, out, modules = _main(
        "audit", "--authorization-details", str(account), "--format", "json",
        "--user-pool-arn",
        "arn:aws:cognito-idp:eu-central-1:123456789012:userpool/eu-central-1_AbCdEf123",
        "--lambda-role", "TestingMigration-role", "--logs-role", "CognitoImportLogs",
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 1  # COG001 and COG003 fail on this account (README "audit")
    assert {r["check"] for r in json.loads(out)["results"] if r["status"] == "fail"} >= {
        "COG001",
        "COG003",
    }
    assert _loaded(modules, ("tomllib", "iam_audit.preflight", "boto3", "botocore")) == []
    # no template to change and no function code to read: neither the fix modules nor the code
    # reader is loaded (the checks name the reader's types in annotations only)
    unused = ("iam_audit.fix.iac", "iam_audit.fix.plan", "iam_audit.codecalls.interface")
    assert _loaded(modules, unused) == []


def test_registering_every_command_loads_no_command_work(tmp_path: Path) -> None:
    code = (
        "import sys, typer.main\n"
        "from iam_audit.cli import app\n"
        "typer.main.get_command(app)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert _loaded(set(done.stdout.split()), NOT_FOR_REGISTERING) == []


def _names() -> list[str]:
    command = typer.main.get_command(app)
    return sorted(getattr(command, "commands", {}))


def _described(command: object) -> object:
    """Everything of a Click command a user sees or its parsing depends on."""
    params = [
        (
            p.name,
            p.opts,
            p.secondary_opts,
            p.required,
            p.multiple,
            p.default,
            getattr(p, "help", ""),
        )
        for p in getattr(command, "params", [])
    ]
    subcommands = getattr(command, "commands", None)
    subs = {k: _described(v) for k, v in sorted(subcommands.items())} if subcommands else None
    return (type(command), getattr(command, "help", None), params, subs)


@pytest.mark.parametrize("name", _names())
def test_a_command_built_alone_is_the_same_command(name: str) -> None:
    """``main`` builds the command the command line names alone (:func:`app_for`); it is that
    command of the whole app in every option, help text and class."""
    whole = typer.main.get_command(app)
    alone = typer.main.get_command(app_for([name, "--help"]))
    assert sorted(alone.commands) == [name]  # type: ignore[attr-defined]
    assert _described(alone.commands[name]) == _described(whole.commands[name])  # type: ignore[attr-defined]
    assert _described(alone)[:3] == _described(whole)[:3]  # the root: --version, its help


@pytest.mark.parametrize("args", [[], ["--help"], ["--version"], ["who-cna"], ["--", "audit"]])
def test_no_command_named_first_gets_the_whole_app(args: list[str]) -> None:
    assert app_for(args) is app


def test_the_installed_command_runs_a_command_alone(account: Path) -> None:
    """The console script (and ``python -m iam_audit``) go through :func:`iam_audit.__main__.run`
    (:func:`~iam_audit.__main__.main`, then the process ends) and :func:`app_for`: its answer
    and exit code are the whole app's."""
    script = Path(sys.executable).with_name("iam-audit")
    assert "from iam_audit.__main__ import run" in script.read_text()
    args = ["who-can", ACTION, "--resource", POOL, "--authorization-details", str(account)]
    done = subprocess.run(
        [str(script), *args, "-f", "json"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["principals"]) == len(EXPECTED)
    wrong = subprocess.run(
        [str(script), "who-can", ACTION], capture_output=True, text=True, check=False
    )
    assert wrong.returncode == 2  # Click's usage error: --resource is missing
    assert "--resource" in wrong.stderr


_ENDING = """\
import atexit, sys
from pathlib import Path
import iam_audit.__main__ as entry
target, how = Path(sys.argv[1]), sys.argv[2]
atexit.register(lambda: target.write_text("ran"))
if how != "command":
    entry.main = {"code": lambda: sys.exit(3), "text": lambda: sys.exit("boom"), "none": lambda: None}[how]
sys.argv = ["iam-audit", "--version"]
print("before", end="")  # buffered: written only when the streams are flushed
entry.run()
"""


@pytest.mark.parametrize(
    ("how", "status", "err"),
    [("command", 0, ""), ("code", 3, ""), ("text", 1, "boom\n"), ("none", 0, "")],
)
def test_the_process_ends_with_the_commands_status_its_output_flushed_and_atexit_run(
    tmp_path: Path, how: str, status: int, err: str
) -> None:
    """``run`` skips the interpreter's teardown only: the exit status is what ``SystemExit`` says
    (``None`` 0, a number, text on stderr and 1, as the interpreter reports it), the buffered
    output is written and the ``atexit`` handlers run."""
    ran = tmp_path / "ran"
    done = subprocess.run(
        [sys.executable, "-c", _ENDING, str(ran), how], capture_output=True, text=True, check=False
    )
    assert done.returncode == status, done.stderr
    assert done.stdout.startswith("before")
    assert ("iam-audit 0.1" in done.stdout) is (how == "command")
    assert done.stderr == err
    assert ran.read_text() == "ran"
