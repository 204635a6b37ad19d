"""Every command reads a source the same way and asks the engine the same question.

Issue 10 item 3: ``who-can``, ``audit`` (check COG001) and ``simulate`` must give the same verdict
for every role of a generated account on "may this role call cognito-idp:AdminInitiateAuth on the
pool?": the same documents (read through the same parser), the same request context
(``aws:RequestedRegion`` is the pool's region: "aws:RequestedRegion ... the AWS Region that was
called in the request", IAM User Guide, AWS global condition context keys; a request to a pool goes
to the pool's region).

Issue 14 item 1 (the second half of this file): the same agreement over seeded accounts of every
shape (``tests/scale/mixed_accounts.py``), for roles and users, on questions about a pool, a pool
of another account, an S3 object and a log stream, through the Python API and the command line,
against a plain evaluation of every policy and against ``simulate`` asked every request that can
differ.
"""

from __future__ import annotations

import io
import itertools
import json
import random
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from iam_audit.checks import AuditTarget
from iam_audit.checks.ask import request_context
from iam_audit.checks.cog001_lambda_admin_initiate_auth import LambdaAdminInitiateAuth
from iam_audit.cli import app
from iam_audit.engine import (
    ContextMode,
    EvalResult,
    Principal,
    PrincipalKind,
    Request,
    evaluate,
    parse_policy,
    resource_account,
)
from iam_audit.model import PolicyDocument, PolicyKind
from iam_audit.scan import read_authorization_details, scan
from iam_audit.simulate import SimulateQuestion, simulate
from iam_audit.sources.auth_details import AuthDetailsSource
from iam_audit.whocan import who_can
from tests.scale import mixed_accounts as mixed
from tests.scale.accounts import ACCOUNT, allow, deny, doc, managed_arn, policy, role

ACTION = "cognito-idp:AdminInitiateAuth"
POOL = f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/eu-west-1_Pool1"
OTHER = f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/eu-west-1_Pool2"
BOUNDARIES = {
    "cognito-boundary": doc(allow("cognito-idp:*")),
    "s3-boundary": doc(allow("s3:*")),
    "eu-boundary": doc(
        allow("*", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})
    ),
}


def _region(rng: random.Random) -> dict[str, Any]:
    operator = rng.choice(["StringEquals", "StringNotEquals", "StringLike"])
    value = rng.choice(["eu-west-1", "us-east-1", "eu-*"])
    return {"Condition": {operator: {"aws:RequestedRegion": value}}}


def _statement(rng: random.Random) -> dict[str, Any]:
    extra = _region(rng) if rng.random() < 0.5 else {}
    shape = rng.randrange(5)
    if shape == 0:
        return allow(ACTION, POOL, **extra)
    if shape == 1:
        return allow("cognito-idp:Admin*", "*", **extra)
    if shape == 2:
        return {"Effect": "Allow", "Action": ACTION, "NotResource": OTHER, **extra}
    if shape == 3:
        return {"Effect": "Allow", "Action": ACTION, "NotResource": POOL, **extra}
    return allow(ACTION, OTHER, **extra)


def generate(count: int = 120, seed: int = 10) -> dict[str, Any]:
    """``count`` roles mixing grants, region conditions, Denies, boundaries and NotResource."""
    rng = random.Random(seed)
    roles = []
    for index in range(count):
        statements = [_statement(rng) for _ in range(rng.randrange(1, 3))]
        if rng.random() < 0.25:
            extra = _region(rng) if rng.random() < 0.5 else {}
            statements.append(deny(rng.choice([ACTION, "cognito-idp:*"]), POOL, **extra))
        boundary = rng.choice([None, None, *BOUNDARIES])
        detail = role(f"role{index:03d}", inline={"grant": doc(*statements)})
        if boundary is not None:
            detail["PermissionsBoundary"] = {
                "PermissionsBoundaryType": "Policy",
                "PermissionsBoundaryArn": managed_arn(boundary),
            }
        roles.append(detail)
    return {
        "RoleDetailList": roles,
        "UserDetailList": [],
        "GroupDetailList": [],
        "Policies": [policy(managed_arn(n), d) for n, d in BOUNDARIES.items()],
    }


def _audit(source: AuthDetailsSource, arn: str) -> str:
    (found,) = LambdaAdminInitiateAuth().run(
        AuditTarget(lambda_role=source.get_role(arn), source_pool_arn=POOL)
    )
    return {"pass": "allowed", "warn": "conditional", "fail": "denied"}[found.status.value]


def _simulate(source: AuthDetailsSource, arn: str) -> str:
    built = source.get_role(arn)
    result = simulate(
        SimulateQuestion(
            action=ACTION,
            resource=POOL,
            policies=built.identity_policies,
            boundary=built.boundary,
            caller_arn=arn,
            context=tuple(request_context(POOL).items()),
        )
    )
    if result.allowed:
        return "allowed"
    return "conditional" if result.conditional else "denied"


def test_who_can_audit_and_simulate_agree_on_every_role(tmp_path: Path) -> None:
    path = tmp_path / "account.json"
    path.write_text(json.dumps(generate()))
    source = AuthDetailsSource(path)
    listed = {g.arn: g.decision.value for g in who_can(source, ACTION, POOL).principals}
    verdicts = {
        arn: (listed.get(arn, "denied"), _audit(source, arn), _simulate(source, arn))
        for arn in source.role_arns()
    }
    disagree = {arn: v for arn, v in verdicts.items() if len(set(v)) > 1}
    assert disagree == {}
    # the generated account is a real test: every verdict occurs, regions decide some
    assert {v[0] for v in verdicts.values()} == {"allowed", "denied"}
    assert sum(v[0] == "allowed" for v in verdicts.values()) >= 20


def test_a_grant_conditioned_on_the_pool_region_is_allowed_in_audit_as_in_who_can() -> None:
    detail = role(
        "regional",
        inline={"grant": doc(allow(ACTION, POOL, **_region_equals("eu-west-1")))},
    )
    source = AuthDetailsSource(Path("account.json"), data={"RoleDetailList": [detail]})
    assert _audit(source, detail["Arn"]) == "allowed"
    assert [g.decision.value for g in who_can(source, ACTION, POOL).principals] == ["allowed"]


def _region_equals(region: str) -> dict[str, Any]:
    return {"Condition": {"StringEquals": {"aws:RequestedRegion": region}}}


@pytest.mark.parametrize("command", ["audit", "who-can"])
@pytest.mark.parametrize(
    ("bad", "why"),
    [
        (
            allow(ACTION, POOL, Principal="*"),
            "a inline (identity-based) policy must not name a Principal",
        ),
        (
            {"Effect": "allow", "Action": ACTION, "Resource": POOL},
            'Effect must be exactly "Allow" or "Deny" (case-sensitive), got \'allow\'',
        ),
    ],
    ids=["principal", "misspelt-effect"],
)
def test_an_invalid_inline_policy_is_refused_by_every_command(
    tmp_path: Path, command: str, bad: dict[str, Any], why: str
) -> None:
    # IAM refuses to store either document ("MalformedPolicyDocument"): no command answers from it
    path = tmp_path / "account.json"
    path.write_text(json.dumps({"RoleDetailList": [role("mig", inline={"p": doc(bad)})]}))
    args = {
        "audit": ["audit", "--authorization-details", str(path), "--lambda-role", "mig"],
        "who-can": ["who-can", ACTION, "--resource", POOL, "--authorization-details", str(path)],
    }[command]
    if command == "audit":
        args += ["--user-pool-arn", POOL]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 3, result.output
    where = "$.Statement[0].Effect" if "Effect" in why else "$.Statement[0]"
    assert result.stderr.strip() == (
        f"error: {path} /RoleDetailList/0/RolePolicyList/0/PolicyDocument {where}: {why}"
    )


# ---------------------------------------------------------------------------------------------
# Issue 14: every command, every principal, accounts of every shape
#
# The semantics every command must share, from "Policy evaluation logic"
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
# "An explicit allow in an identity-based or resource-based policy overrides this default. If a
# permissions boundary, Organizations SCP, or session policy is present, it might override the
# allow with an implicit deny. An explicit deny in any policy overrides any allows." Across
# accounts both sides must allow (reference_policies_evaluation-logic-cross-account.html): user
# pools have no resource-based policy, so no principal of another account may act on one. Actions:
# "The prefix and the action name are case insensitive" (IAM JSON policy elements: Action); ARNs
# are matched case-sensitively, ``*`` and ``?`` within them. A condition on a key the file cannot
# resolve leaves the answer "conditional" (who-can) or "warn" (audit); simulate, whose context is
# the whole request, is asked with every value that can decide such a condition, absence included
# (``mixed_accounts.UNRESOLVABLE_VALUES``), and must then agree.

SEEDS = (1, 2, 3, 4, 18, 55)
QUESTIONS: dict[str, tuple[str, str]] = {
    "pool": (mixed.ACTION, mixed.POOL),
    # the same question: "The prefix and the action name are case insensitive"
    "pool-action-case": ("COGNITO-IDP:adminInitiateAuth", mixed.POOL),
    "far-pool": (mixed.ACTION, mixed.FAR_POOL),
    "s3-object": ("s3:GetObject", mixed.OBJECT),
    "log-stream": ("logs:PutLogEvents", mixed.LOG_STREAM),
}
#: the questions COG001 asks: AdminInitiateAuth on the source pool
AUDITED = ("pool", "pool-action-case", "far-pool")

Verdict = tuple[str, tuple[str, ...]]  # ("allowed" | "conditional" | "denied", unresolved keys)


@dataclass(frozen=True)
class Subject:
    """One principal as read plainly: every identity policy, its boundary and its tags."""

    arn: str
    kind: str  # "role" or "user"
    identity: tuple[PolicyDocument, ...]
    boundary: PolicyDocument | None
    tags: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Mixed:
    """A generated account: its file, the source read from it, its principals."""

    seed: int
    path: Path
    source: AuthDetailsSource
    subjects: tuple[Subject, ...]


def _subjects(source: AuthDetailsSource, data: dict[str, Any]) -> tuple[Subject, ...]:
    """Roles through the source's own role builder; users with their groups' policies, the
    slow obvious way from the file's JSON (a user's permissions are its own policies and its
    groups')."""
    out = []
    for detail in data["RoleDetailList"]:
        built = source.get_role(detail["Arn"])
        out.append(
            Subject(built.arn, "role", tuple(built.identity_policies), built.boundary, built.tags)
        )
    groups = {g["GroupName"]: g for g in data["GroupDetailList"]}
    for detail in data["UserDetailList"]:
        identity: list[PolicyDocument] = []
        for holder in [detail, *(groups[name] for name in detail["GroupList"])]:
            for item in holder.get("UserPolicyList", holder.get("GroupPolicyList", [])):
                identity.append(
                    parse_policy(
                        item["PolicyDocument"], name=item["PolicyName"], kind=PolicyKind.INLINE
                    )
                )
            for attached in holder["AttachedManagedPolicies"]:
                found = source.managed_policy(attached["PolicyArn"])
                assert found is not None, attached  # every AWS managed one is in the snapshot
                identity.append(found)
        boundary = None
        if "PermissionsBoundary" in detail:
            found = source.managed_policy(detail["PermissionsBoundary"]["PermissionsBoundaryArn"])
            assert found is not None
            boundary = PolicyDocument(found.name, PolicyKind.BOUNDARY, found.document)
        tags = tuple((t["Key"], t["Value"]) for t in detail["Tags"])
        out.append(Subject(detail["Arn"], "user", tuple(identity), boundary, tags))
    return tuple(out)


@pytest.fixture(scope="module")
def mixed_accounts(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Mixed]:
    folder = tmp_path_factory.mktemp("mixed")
    out = {}
    for seed in SEEDS:
        path = folder / f"account-{seed}.json"
        data = mixed.generate(seed)
        path.write_text(json.dumps(data, indent=4))
        source = AuthDetailsSource(path)
        out[seed] = Mixed(seed, path, source, _subjects(source, data))
    return out


def _lower(keys: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({k.lower() for k in keys}))


def _verdict(result: EvalResult) -> str:
    if result.allowed and not result.conditional:
        return "allowed"
    return "conditional" if result.allowed or result.conditional else "denied"


def _who_can_verdicts(account: Mixed, action: str, resource: str) -> dict[str, Verdict]:
    listed = {
        g.arn: (g.decision.value, g.unresolved)
        for g in who_can(account.source, action, resource).principals
    }
    return {s.arn: listed.get(s.arn, ("denied", ())) for s in account.subjects}


def _tag_context(subject: Subject) -> dict[str, tuple[str, ...]]:
    # the generated policies read one tag; a principal without it is known not to have it (the
    # file lists every tag of the principal)
    tags = dict(subject.tags)
    return {"aws:PrincipalTag/team": (tags["team"],) if "team" in tags else ()}


def _oracle(subject: Subject, action: str, resource: str) -> Verdict:
    """The engine asked once with every policy of the principal and nothing filtered out."""
    result = evaluate(
        Request(
            action,
            resource,
            Principal(PrincipalKind.AWS, subject.arn),
            {**_tag_context(subject), **request_context(resource)},
            ContextMode.OPEN,
        ),
        identity=list(subject.identity),
        boundary=subject.boundary,
        resource_account=resource_account(resource),
    )
    verdict = _verdict(result)
    return verdict, result.unresolved if verdict != "denied" else ()


def _domains(resource: str) -> dict[str, tuple[str | None, ...]]:
    domains = dict(mixed.UNRESOLVABLE_VALUES)
    if not request_context(resource):  # no region in the ARN: the region is not known either
        domains["aws:RequestedRegion"] = mixed.REGION_VALUES
    return domains


def _requests(resource: str) -> list[dict[str, str]]:
    """Every request that can differ for the generated conditions (``None``: the key absent)."""
    domains = _domains(resource)
    keys = sorted(domains)
    return [
        {k: v for k, v in zip(keys, combo, strict=True) if v is not None}
        for combo in itertools.product(*(domains[k] for k in keys))
    ]


def _simulate_question(
    subject: Subject, action: str, resource: str, request: dict[str, str]
) -> SimulateQuestion:
    context = {k: (v,) for k, v in request.items()}
    context.update({f"aws:PrincipalTag/{k}": (v,) for k, v in subject.tags})
    return SimulateQuestion(
        action=action,
        resource=resource,
        policies=subject.identity,
        boundary=subject.boundary,
        caller_arn=subject.arn,
        context=tuple(sorted(context.items())),
    )


def _simulated(subject: Subject, action: str, resource: str) -> Verdict:
    """simulate asked every request: ``allowed`` if each is allowed, ``denied`` if none is, else
    ``conditional`` on the keys whose value alone changes the answer."""
    if not subject.identity:
        # simulate refuses a question without policies (exit 3); a principal without any is
        # allowed nothing
        return "denied", ()
    requests = _requests(resource)
    outcome = {
        tuple(sorted(r.items())): simulate(_simulate_question(subject, action, resource, r)).allowed
        for r in requests
    }
    kinds = set(outcome.values())
    if kinds == {True}:
        return "allowed", ()
    if kinds == {False}:
        return "denied", ()
    deciding = set()
    for key in _domains(resource):
        for request in requests:
            others = {k: v for k, v in request.items() if k != key}
            variants = [
                {**others, **({key: v} if v is not None else {})} for v in _domains(resource)[key]
            ]
            if len({outcome[tuple(sorted(v.items()))] for v in variants}) > 1:
                deciding.add(key.lower())
    return "conditional", tuple(sorted(deciding))


def _audited(account: Mixed, subject: Subject, pool: str) -> Verdict:
    """COG001 as ``audit --lambda-role ROLE --source-pool-arn POOL`` runs it."""
    (found,) = LambdaAdminInitiateAuth().run(
        AuditTarget(lambda_role=account.source.get_role(subject.arn), source_pool_arn=pool)
    )
    verdict = {"pass": "allowed", "warn": "conditional", "fail": "denied"}[found.status.value]
    # a fail also names the keys that would turn an explicit Deny into an implicit one: they
    # do not change whether the role may call it, and who-can lists no denied principal
    return verdict, found.unresolved if verdict != "denied" else ()


def _question_params(names: Iterable[str], known: dict[tuple[int, str], str]) -> list[Any]:
    return [
        pytest.param(
            seed,
            name,
            id=f"seed{seed}-{name}",
            marks=[pytest.mark.xfail(strict=True, reason=known[seed, name])]
            if (seed, name) in known
            else [],
        )
        for seed in SEEDS
        for name in names
    ]


@pytest.mark.parametrize(("seed", "question"), _question_params(QUESTIONS, {}))
def test_who_can_answers_as_evaluating_every_policy(
    mixed_accounts: dict[int, Mixed], seed: int, question: str
) -> None:
    account = mixed_accounts[seed]
    action, resource = QUESTIONS[question]
    got = _who_can_verdicts(account, action, resource)
    expected = {s.arn: _oracle(s, action, resource) for s in account.subjects}
    assert {a: v for a, v in got.items() if v != expected[a]} == {}


#: the engine's open (three-valued) logic takes each unknown condition as free of the others, so
#: two conditions on one key that exclude (or complete) each other leave the answer "conditional"
#: although every request gets the same answer (iam_audit/engine/evaluate.py ``_conclude`` tries
#: the layers' unknown values independently; within a layer, unknown OR unknown is unknown)
_EXCLUSIVE = (
    "role app-02 (seed 18): its identity Allow needs aws:MultiFactorAuthPresent false or absent "
    "(BoolIfExists false), its boundary needs it true: simulate denies every request, but who-can "
    "(like the engine's open evaluation and audit) says conditional on aws:MultiFactorAuthPresent"
)
_COMPLETE = (
    "role svc-05 (seed 55): one Allow holds with aws:SourceIp in 203.0.113.0/24 (IpAddress), "
    "another outside it or without it (NotIpAddress): simulate allows every request, but who-can "
    "(like the engine's open evaluation and audit) says conditional on aws:SourceIp"
)
SIMULATE_KNOWN = {
    (18, "pool"): _EXCLUSIVE,
    (18, "pool-action-case"): _EXCLUSIVE,
    (55, "pool"): _COMPLETE,
    (55, "pool-action-case"): _COMPLETE,
}


@pytest.mark.parametrize(("seed", "question"), _question_params(QUESTIONS, SIMULATE_KNOWN))
def test_simulate_of_every_request_agrees_with_who_can(
    mixed_accounts: dict[int, Mixed], seed: int, question: str
) -> None:
    account = mixed_accounts[seed]
    action, resource = QUESTIONS[question]
    listed = _who_can_verdicts(account, action, resource)
    got = {arn: (decision, _lower(keys)) for arn, (decision, keys) in listed.items()}
    simulated = {s.arn: _simulated(s, action, resource) for s in account.subjects}
    assert {a: (v, simulated[a]) for a, v in got.items() if v != simulated[a]} == {}


#: where audit and who-can disagree: none (the two that were found, a tag the role lacks and an
#: attached policy no source holds, are answered alike now: tests below)
AUDIT_KNOWN: dict[tuple[int, str], str] = {}


@pytest.mark.parametrize(("seed", "question"), _question_params(AUDITED, AUDIT_KNOWN))
def test_audit_cog001_agrees_with_who_can_on_every_role(
    mixed_accounts: dict[int, Mixed], seed: int, question: str
) -> None:
    account = mixed_accounts[seed]
    action, pool = QUESTIONS[question]
    listed = _who_can_verdicts(account, action, pool)
    roles = [s for s in account.subjects if s.kind == "role"]
    got = {s.arn: _audited(account, s, pool) for s in roles}
    disagree = {
        s.arn: {"audit": got[s.arn], "who-can": listed[s.arn]}
        for s in roles
        if (got[s.arn][0], _lower(got[s.arn][1])) != (listed[s.arn][0], _lower(listed[s.arn][1]))
    }
    assert disagree == {}


def _sample(account: Mixed, verdicts: dict[str, Verdict], kind: str, per: int = 2) -> list[Subject]:
    """Up to ``per`` principals of ``kind`` for each verdict (the command line is slower)."""
    chosen: list[Subject] = []
    for wanted in ("allowed", "conditional", "denied"):
        alike = [s for s in account.subjects if s.kind == kind and verdicts[s.arn][0] == wanted]
        chosen += alike[:per]
    return chosen


def _simulate_args(
    subject: Subject, action: str, resource: str, request: dict[str, str], folder: Path
) -> list[str]:
    args = ["simulate", "--action", action, "--resource", resource, "--caller-arn", subject.arn]
    for index, document in enumerate(subject.identity):
        path = folder / f"policy-{index}.json"
        path.write_text(json.dumps(document.document))
        args += ["--policy", str(path)]
    if subject.boundary is not None:
        path = folder / "boundary.json"
        path.write_text(json.dumps(subject.boundary.document))
        args += ["--boundary", str(path)]
    pairs = {**request, **{f"aws:PrincipalTag/{k}": v for k, v in subject.tags}}
    for key, value in sorted(pairs.items()):
        args += ["--context", f"{key}={value}"]
    return [*args, "--format", "json"]


@pytest.mark.parametrize("seed", [3])  # one account: the command line costs ~2 s
def test_the_command_line_answers_as_the_python_api(
    mixed_accounts: dict[int, Mixed], seed: int, tmp_path: Path
) -> None:
    """``who-can`` for every question, and ``simulate`` and ``audit`` for principals of every
    verdict, run through the command line on the file, answer as the API the tests above ask."""
    account = mixed_accounts[seed]
    runner = CliRunner()
    for name, (action, resource) in QUESTIONS.items():
        args = ["who-can", action, "--resource", resource, "--format", "json"]
        done = runner.invoke(app, [*args, "--authorization-details", str(account.path)])
        assert done.exit_code == 0, done.output
        got = {
            p["arn"]: (p["decision"], tuple(p["unresolved"]))
            for p in json.loads(done.stdout)["principals"]
        }
        api = _who_can_verdicts(account, action, resource)
        assert got == {a: v for a, v in api.items() if v[0] != "denied"}, name

    action, pool = QUESTIONS["pool"]
    verdicts = _who_can_verdicts(account, action, pool)
    asked = 0
    for subject in _sample(account, verdicts, "role") + _sample(account, verdicts, "user"):
        if not subject.identity:
            continue  # simulate refuses a question without policies (tested in test_simulate)
        for request in ({}, {"aws:SourceIp": "203.0.113.7", "aws:MultiFactorAuthPresent": "true"}):
            folder = tmp_path / f"q{asked}"
            folder.mkdir()
            done = runner.invoke(app, _simulate_args(subject, action, pool, request, folder))
            expected = simulate(_simulate_question(subject, action, pool, request))
            data = json.loads(done.stdout)
            assert (done.exit_code, data["decision"], data["unresolved"]) == (
                0 if expected.allowed else 1,
                expected.decision.value,
                list(expected.unresolved),
            ), (subject.arn, request)
            asked += 1
    assert asked >= 6

    for subject in _sample(account, verdicts, "role"):
        args = ["audit", "--lambda-role", subject.arn, "--user-pool-arn", pool, "--format", "json"]
        done = runner.invoke(app, [*args, "--authorization-details", str(account.path)])
        assert done.exit_code in (0, 1), done.output
        (found,) = [r for r in json.loads(done.stdout)["results"] if r["check"] == "COG001"]
        status = {"pass": "allowed", "warn": "conditional", "fail": "denied"}[found["status"]]
        unresolved = tuple(found["unresolved"]) if status != "denied" else ()
        assert (status, unresolved) == _audited(account, subject, pool), subject.arn


# scan has no offline form: it reads IAM (get-account-authorization-details) and every region's
# pools through a boto3 session, never from a file. So it is run against moto, in-process, on a
# generated account loaded through the IAM API, and compared with who-can and audit reading the
# same account live (``read_authorization_details``, as ``who-can`` without a file does).


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def _load_into_moto(session: Any, seed: int, names: Iterable[str]) -> str:
    """One pool in us-east-1 whose UserMigration trigger is the function ``migrate``, and the
    roles ``names`` of the generated account; returns the pool's ARN. The account's documents
    name that pool where they name ``mixed.POOL`` (moto chooses pool IDs). moto holds no AWS
    managed policy unless it loads them all, so only customer managed ones are attached."""
    iam = session.client("iam")
    idp = session.client("cognito-idp", region_name=mixed.REGION)
    lam = session.client("lambda", region_name=mixed.REGION)
    pool = idp.create_user_pool(PoolName="pool")["UserPool"]
    data = json.loads(
        json.dumps(mixed.generate(seed)).replace(mixed.POOL.rsplit("/", 1)[1], pool["Id"])
    )
    roles = [r for r in data["RoleDetailList"] if r["RoleName"] in set(names)]
    wanted = {a["PolicyArn"] for r in roles for a in r["AttachedManagedPolicies"]}
    wanted |= {
        r["PermissionsBoundary"]["PermissionsBoundaryArn"]
        for r in roles
        if "PermissionsBoundary" in r
    }
    for item in data["Policies"]:
        if item["Arn"] in wanted:
            document = item["PolicyVersionList"][0]["Document"]
            iam.create_policy(PolicyName=item["PolicyName"], PolicyDocument=json.dumps(document))
    for detail in roles:
        extra: dict[str, Any] = {"Tags": detail["Tags"]} if detail["Tags"] else {}
        if "PermissionsBoundary" in detail:
            extra["PermissionsBoundary"] = detail["PermissionsBoundary"]["PermissionsBoundaryArn"]
        name = detail["RoleName"]
        trust = json.dumps(detail["AssumeRolePolicyDocument"])
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, **extra)
        for item in detail["RolePolicyList"]:
            iam.put_role_policy(
                RoleName=name,
                PolicyName=item["PolicyName"],
                PolicyDocument=json.dumps(item["PolicyDocument"]),
            )
        for attached in detail["AttachedManagedPolicies"]:
            if ":iam::aws:" not in attached["PolicyArn"]:
                iam.attach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
    function = lam.create_function(
        FunctionName="migrate",
        Runtime="python3.12",
        Role=roles[0]["Arn"],
        Handler="index.handler",
        Code={"ZipFile": _zip()},
    )
    idp.update_user_pool(
        UserPoolId=pool["Id"], LambdaConfig={"UserMigration": function["FunctionArn"]}
    )
    return str(pool["Arn"])


def test_scan_agrees_with_who_can_and_audit(
    mixed_accounts: dict[int, Mixed], moto_account: Any
) -> None:
    """The pool's trigger runs as each of a few roles in turn (one of every verdict the file
    gives); each time scan's COG001, audit's and who-can's verdicts on the pool agree."""
    account = mixed_accounts[1]
    verdicts = _who_can_verdicts(account, *QUESTIONS["pool"])
    names = [
        s.arn.rsplit("/", 1)[1]
        for s in _sample(account, verdicts, "role", per=1)
        if s.arn.split(":")[4] == mixed.ACCOUNT
    ]
    pool = _load_into_moto(moto_account, 1, names)
    lam = moto_account.client("lambda", region_name=mixed.REGION)
    seen = set()
    for name in names:
        arn = f"arn:aws:iam::{mixed.ACCOUNT}:role/{name}"
        lam.update_function_configuration(FunctionName="migrate", Role=arn)
        scanned = scan(moto_account, [mixed.REGION])
        (found,) = [f for f in scanned.result.findings if f.check == "COG001"]
        source = read_authorization_details(session=moto_account)  # as who-can reads it live
        listed = {
            g.arn: (g.decision.value, g.unresolved)
            for g in who_can(source, mixed.ACTION, pool).principals
        }
        who = listed.get(arn, ("denied", ()))
        (audited,) = LambdaAdminInitiateAuth().run(
            AuditTarget(lambda_role=source.get_role(arn), source_pool_arn=pool)
        )
        assert found.role == arn
        # scan audits the pool's role with audit's own target builder and checks
        assert (found.status, found.unresolved) == (audited.status, audited.unresolved)
        status = {"allowed": "pass", "conditional": "warn", "denied": "fail"}[who[0]]
        assert found.status.value == status, (arn, who, found.message)
        if status != "fail":
            assert _lower(found.unresolved) == _lower(who[1]), arn
        seen.add(status)
    assert seen >= {"pass", "fail"}


def test_the_case_of_the_action_changes_no_answer(mixed_accounts: dict[int, Mixed]) -> None:
    for account in mixed_accounts.values():
        canonical = _who_can_verdicts(account, *QUESTIONS["pool"])
        assert _who_can_verdicts(account, *QUESTIONS["pool-action-case"]) == canonical


def test_the_generated_accounts_exercise_every_shape(mixed_accounts: dict[int, Mixed]) -> None:
    """The comparisons above are not vacuous: every verdict, key and shape occurs."""
    text = "".join(a.path.read_text() for a in mixed_accounts.values())
    for needle in (
        '"Deny"',
        '"NotAction"',
        '"NotResource"',
        "userpool/us-east-1_Pool?",
        "cognito-idp:admininitiateauth",
        "US-EAST-1_POOL1",
        '"PermissionsBoundaryArn": "arn:aws:iam::aws:policy/',
        '"PolicyArn": "arn:aws:iam::aws:policy/',
        f'"AWS": "arn:aws:iam::{mixed.OTHER}:root"',
        f'"Arn": "arn:aws:iam::{mixed.OTHER}:role/',
        '"GroupList": [\n                "group-',
        "aws:PrincipalArn",
        "aws:RequestedRegion",
    ):
        assert needle in text, needle
    seen: dict[str, set[str]] = {"role": set(), "user": set()}
    keys: set[str] = set()
    audits: set[str] = set()
    far: set[str] = set()
    for account in mixed_accounts.values():
        kinds = {s.arn: s.kind for s in account.subjects}
        for name, (action, resource) in QUESTIONS.items():
            for arn, (decision, unresolved) in _who_can_verdicts(account, action, resource).items():
                seen[kinds[arn]].add(decision)
                keys.update(unresolved)
                if name == "far-pool" and decision != "denied":
                    far.add(arn)
        audits.update(
            _audited(account, s, mixed.POOL)[0] for s in account.subjects if s.kind == "role"
        )
    assert seen == {"role": {"allowed", "conditional", "denied"}} | {
        "user": {"allowed", "conditional", "denied"}
    }
    assert {"aws:SourceIp", "aws:MultiFactorAuthPresent", "aws:RequestedRegion"} <= keys
    assert audits == {"allowed", "conditional", "denied"}
    # only the other account's own roles may act on its pool (user pools have no resource policy)
    assert far
    assert all(arn.split(":")[4] == mixed.OTHER for arn in far)


def test_a_tag_the_role_lacks_is_absent_for_every_command() -> None:
    # aws:PrincipalTag/tag-key is in the request context only when the principal has that tag
    # (AWS global condition context keys, reference_policies_condition-keys.html, the key's
    # Availability); the file lists every tag of the role, so a Deny on a tag it lacks never
    # applies: the key is absent, and "the values do not match"
    detail = role(
        "untagged",
        inline={
            "p": doc(
                allow(mixed.ACTION, mixed.POOL),
                deny("*", Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}}),
            )
        },
    )
    data = {"RoleDetailList": [detail], "UserDetailList": [], "GroupDetailList": []}
    source = AuthDetailsSource(Path("account.json"), data=data)
    (subject,) = _subjects(source, data)
    assert _who_can_verdicts(Mixed(0, Path(), source, (subject,)), *QUESTIONS["pool"]) == {
        subject.arn: ("allowed", ())
    }
    assert _simulated(subject, *QUESTIONS["pool"]) == ("allowed", ())
    assert _audited(Mixed(0, Path(), source, (subject,)), subject, mixed.POOL) == ("allowed", ())


def test_a_policy_no_source_holds_leaves_the_answer_open_for_every_command() -> None:
    detail = role("opaque", managed=["arn:aws:iam::aws:policy/NotInTheSnapshotPolicy"])
    source = AuthDetailsSource(Path("account.json"), data={"RoleDetailList": [detail]})
    account = Mixed(0, Path(), source, ())
    subject = Subject(detail["Arn"], "role", (), None, ())
    assert _audited(account, subject, mixed.POOL)[0] == "conditional"
    listed = {g.arn: g.decision.value for g in who_can(source, *QUESTIONS["pool"]).principals}
    assert listed == {detail["Arn"]: "conditional"}


_MFA_TRUE = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
_OFFICE = "203.0.113.0/24"


@pytest.mark.xfail(
    strict=True,
    reason="the engine's open logic tries each unknown condition independently: who-can says "
    "conditional where simulate gives one answer to every request (seeds 18 and 55 above)",
)
@pytest.mark.parametrize(
    ("inline", "boundary", "expected"),
    [
        pytest.param(
            allow(
                mixed.ACTION,
                mixed.POOL,
                Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
            ),
            doc(allow("*", Condition=_MFA_TRUE)),
            ("denied", ()),
            id="identity-and-boundary-exclude-each-other",
        ),
        pytest.param(
            [
                allow(mixed.ACTION, mixed.POOL, Condition={"IpAddress": {"aws:SourceIp": _OFFICE}}),
                allow(
                    mixed.ACTION, mixed.POOL, Condition={"NotIpAddress": {"aws:SourceIp": _OFFICE}}
                ),
            ],
            None,
            ("allowed", ()),
            id="two-allows-complete-each-other",
        ),
    ],
)
def test_conditions_that_decide_every_request_alike_are_not_conditional(
    inline: Any, boundary: dict[str, Any] | None, expected: Verdict
) -> None:
    statements = inline if isinstance(inline, list) else [inline]
    detail = role(
        "r", inline={"p": doc(*statements)}, boundary=managed_arn("b") if boundary else None
    )
    data = {
        "RoleDetailList": [detail],
        "UserDetailList": [],
        "GroupDetailList": [],
        "Policies": [policy(managed_arn("b"), boundary)] if boundary else [],
    }
    source = AuthDetailsSource(Path("account.json"), data=data)
    (subject,) = _subjects(source, data)
    assert _simulated(subject, *QUESTIONS["pool"]) == expected  # holds: every request alike
    account = Mixed(0, Path(), source, (subject,))
    assert _who_can_verdicts(account, *QUESTIONS["pool"]) == {subject.arn: expected}
