"""who-can's shortcuts never change an answer: compared with a plain evaluation of every policy.

The oracle builds each principal's complete policy set the slow, obvious way, from the JSON file
read with the standard library (roles, users with their groups' policies), asks :func:`evaluate`
once per principal with nothing filtered out and nothing shared, and must agree with ``who_can``
(the typed reader, the documents left out because they do not name the action, the answers the
engine's batch entry point shares between principals) on
generated accounts that mix wildcards, ``NotAction``, Denies, boundaries, conditions and policy
variables (``benchmarks/gen_account.py``).
"""

from __future__ import annotations

import copy
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from iam_audit import whocan, workers
from iam_audit.engine import ContextMode, Principal, PrincipalKind, Request, evaluate, parse_policy
from iam_audit.errors import InputError
from iam_audit.managed import aws_managed_policy
from iam_audit.model import PolicyDocument, PolicyKind
from iam_audit.sources.auth_details import AuthDetailsSource, UndecodedSource
from tests.scale.accounts import with_decoy_roles_key, with_role_not_json

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from gen_account import OTHER_POOL_ARN, POOL_ARN, Sizes, generate

QUESTIONS = [
    ("cognito-idp:AdminInitiateAuth", POOL_ARN),
    ("cognito-idp:AdminInitiateAuth", OTHER_POOL_ARN),
    ("cognito-idp:ListUsers", POOL_ARN),
    ("s3:GetObject", "arn:aws:s3:::home-bucket/user00003/report.csv"),
    ("iam:CreateRole", "arn:aws:iam::123456789012:role/x"),
]


def _context(detail: dict[str, Any], resource: str) -> dict[str, tuple[str, ...]]:
    tags = {t["Key"]: t["Value"] for t in detail.get("Tags") or []}
    context: dict[str, tuple[str, ...]] = {
        # the generator's conditions read only this tag
        "aws:PrincipalTag/team": (tags["team"],) if "team" in tags else (),
    }
    region = resource.split(":")[3]
    if region:
        context["aws:RequestedRegion"] = (region,)
    return context


def _oracle(
    source: AuthDetailsSource, action: str, resource: str
) -> list[tuple[str, str, tuple[str, ...]]]:
    answers = []

    def ask(
        arn: str, detail: dict[str, Any], identity: list[PolicyDocument], boundary: Any
    ) -> None:
        result = evaluate(
            Request(
                action,
                resource,
                Principal(PrincipalKind.AWS, arn),
                _context(detail, resource),
                ContextMode.OPEN,
            ),
            identity=identity,
            boundary=boundary,
            resource_account=resource.split(":")[4] or None,
        )
        if result.allowed or result.conditional:
            decision = "allowed" if result.allowed and not result.conditional else "conditional"
            answers.append((arn, decision, result.unresolved))

    data = json.loads(Path(source.path).read_text())
    policies = {
        p["Arn"]: next(v["Document"] for v in p["PolicyVersionList"] if v["IsDefaultVersion"])
        for p in data["Policies"]
    }

    def managed(arn: str, kind: PolicyKind = PolicyKind.MANAGED) -> PolicyDocument:
        if arn in policies:
            return parse_policy(policies[arn], name=arn, kind=kind)
        found = aws_managed_policy(arn)
        assert found is not None, arn
        return PolicyDocument(arn, kind, found.document)

    def inline(items: list[dict[str, Any]], prefix: str = "") -> list[PolicyDocument]:
        return [
            parse_policy(
                item["PolicyDocument"], name=prefix + item["PolicyName"], kind=PolicyKind.INLINE
            )
            for item in items
        ]

    groups = {g["GroupName"]: g for g in data["GroupDetailList"]}
    for detail in [*data["RoleDetailList"], *data["UserDetailList"]]:
        identity = inline(detail.get("RolePolicyList", detail.get("UserPolicyList", [])))
        identity += [managed(a["PolicyArn"]) for a in detail["AttachedManagedPolicies"]]
        for name in detail.get("GroupList", []):
            group = groups[name]
            identity += inline(group["GroupPolicyList"], f"group/{name}/")
            identity += [managed(a["PolicyArn"]) for a in group["AttachedManagedPolicies"]]
        boundary = None
        if "PermissionsBoundary" in detail:
            arn = detail["PermissionsBoundary"]["PermissionsBoundaryArn"]
            boundary = managed(arn, PolicyKind.BOUNDARY)
        ask(detail["Arn"], detail, identity, boundary)
    return sorted(answers)


@pytest.fixture(scope="module", params=[1, 2, 3])
def generated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AuthDetailsSource:
    path = tmp_path_factory.mktemp("gen") / "account.json"
    generate(path, Sizes(roles=250, policies=60, users=60, groups=8), seed=request.param)
    return AuthDetailsSource(path)


@pytest.mark.parametrize(("action", "resource"), QUESTIONS)
def test_who_can_agrees_with_evaluating_everything(
    generated: AuthDetailsSource, action: str, resource: str
) -> None:
    result = whocan.who_can(generated, action, resource)
    got = [(g.arn, g.decision.value, g.unresolved) for g in result.principals]
    assert got == _oracle(generated, action, resource)
    if action == "cognito-idp:AdminInitiateAuth":
        assert got  # the generated account does grant it: the comparison is not vacuous
        assert any(d == "conditional" for _, d, _ in got)


def test_generated_accounts_exercise_every_shape(generated: AuthDetailsSource) -> None:
    """The comparison above covers Denies, boundaries, NotAction, conditions and users."""
    text = Path(generated.path).read_text()
    for needle in ('"Deny"', "NotAction", "PermissionsBoundary", "Condition", "${aws:username}"):
        assert needle in text, needle
    assert generated.users
    assert generated.groups


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An account large enough that who-can shares its principals among processes (more than
    ``workers.MIN_ITEMS``), typed and URL-encoded (its documents then parsed as they are read)."""
    folder = tmp_path_factory.mktemp("large")
    sizes = Sizes(roles=2_100, policies=120, users=80, groups=8)
    paths = {}
    for layout in ("typed", "urlencoded"):
        paths[layout] = folder / f"{layout}.json"
        generate(paths[layout], sizes, seed=11, indent=None, urlencoded=layout == "urlencoded")
    return paths


#: (layout, question, jobs): every question typed; the URL-encoded file (every document parsed
#: as read, the slow path) on the first; the first also against the oracle
SPLITS = [
    ("typed", QUESTIONS[0], (1, 2, 3)),
    ("typed", QUESTIONS[1], (1, 2)),
    ("typed", QUESTIONS[2], (1, 2)),
    ("urlencoded", QUESTIONS[0], (1, 2)),
]


@pytest.mark.parametrize(("layout", "question", "jobs"), SPLITS)
def test_the_answer_is_the_same_in_one_process_or_several(
    large: dict[str, Path], layout: str, question: tuple[str, str], jobs: tuple[int, ...]
) -> None:
    path = large[layout]
    action, resource = question
    answers: dict[object, whocan.WhoCanResult] = {
        n: whocan.who_can(AuthDetailsSource(path), action, resource, jobs=n) for n in jobs
    }
    # as the command reads a file: each process decodes it
    answers["undecoded"] = whocan.who_can(UndecodedSource(path), action, resource, jobs=2)
    assert path.stat().st_size > whocan.MIN_BYTES
    assert answers[1].examined > workers.MIN_ITEMS
    assert answers[1].principals  # not vacuous
    assert all(answer == answers[1] for answer in answers.values())
    if layout == "typed" and question == QUESTIONS[0]:
        got = [(g.arn, g.decision.value, g.unresolved) for g in answers[2].principals]
        assert got == _oracle(AuthDetailsSource(path), action, resource)


@pytest.fixture(scope="module")
def base_account(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("base") / "account.json"
    generate(path, Sizes(roles=2_100, policies=40, users=10, groups=2), seed=5, indent=None)
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@pytest.mark.parametrize("bad", [[150], [1_900, 700], [2_050]])
def test_a_bad_role_document_is_refused_the_same_in_one_process_or_several(
    tmp_path: Path, base_account: dict[str, Any], bad: list[int]
) -> None:
    """The role a single pass would refuse first is the one named, whatever the split."""
    path = tmp_path / "account.json"
    data = copy.deepcopy(base_account)
    for index in bad:  # an inline policy naming a Principal: IAM refuses it
        role = data["RoleDetailList"][index]
        role["RolePolicyList"] = [
            {
                "PolicyName": "bad",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}
                    ],
                },
            }
        ]
    path.write_text(json.dumps(data))
    messages = []
    for jobs in (1, 2):
        with pytest.raises(InputError) as raised:
            whocan.who_can(AuthDetailsSource(path), *QUESTIONS[0], jobs=jobs)
        messages.append(raised.value.message)
        with pytest.raises(InputError) as raised:
            whocan.who_can(UndecodedSource(path), *QUESTIONS[0], jobs=jobs)
        messages.append(raised.value.message)
    assert len(set(messages)) == 1, messages
    assert f"/RoleDetailList/{min(bad)}/" in messages[0]


def _statement_breaking_the_grammar(kind: str) -> dict[str, Any]:
    """A statement the types let through that the policy grammar refuses (IAM User Guide, IAM
    JSON policy elements: NotAction, "use either Action or NotAction"; Action, "each action ...
    includes the service prefix"; Principal, a trust policy "must specify a principal")."""
    return {
        "both actions": {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "NotAction": "s3:PutObject",
            "Resource": "*",
        },
        "no service": {"Effect": "Allow", "Action": "GetObject", "Resource": "*"},
        "no principal": {"Effect": "Allow", "Action": "sts:AssumeRole"},
    }[kind]


@pytest.mark.parametrize(
    ("kind", "bad"),
    [("both actions", [150]), ("no service", [1_900, 700]), ("no principal", [2_050, 40])],
)
def test_a_role_breaking_the_grammar_is_refused_the_same_in_one_process_or_several(
    tmp_path: Path, base_account: dict[str, Any], kind: str, bad: list[int]
) -> None:
    """Each process checks the grammar of its own blocks' roles only: one that finds a
    document breaking it reads the file as plain JSON from there on, and the role a single
    pass over the whole file refuses first is still the one named."""
    path = tmp_path / "account.json"
    data = copy.deepcopy(base_account)
    for index in bad:
        role = data["RoleDetailList"][index]
        document = {"Version": "2012-10-17", "Statement": [_statement_breaking_the_grammar(kind)]}
        if kind == "no principal":
            role["AssumeRolePolicyDocument"] = document
        else:
            role["RolePolicyList"] = [{"PolicyName": "bad", "PolicyDocument": document}]
    path.write_text(json.dumps(data))
    messages = []
    for jobs in (1, 2):
        for source in (AuthDetailsSource(path), UndecodedSource(path)):
            with pytest.raises(InputError) as raised:
                whocan.who_can(source, *QUESTIONS[0], jobs=jobs)
            messages.append(raised.value.message)
    assert len(set(messages)) == 1, messages
    assert f"/RoleDetailList/{min(bad)}/" in messages[0]


@pytest.mark.parametrize("kind", ["both actions", "no service"])
def test_a_user_breaking_the_grammar_gets_the_same_answer_in_one_process_or_several(
    tmp_path: Path, base_account: dict[str, Any], kind: str
) -> None:
    """A user's statement the engine cannot use is skipped and named in the notes, whether the
    whole file was checked while decoding or each process checked its own blocks."""
    path = tmp_path / "account.json"
    data = copy.deepcopy(base_account)
    grant = {"Effect": "Allow", "Action": QUESTIONS[0][0], "Resource": QUESTIONS[0][1]}
    user = data["UserDetailList"][3]
    user["UserPolicyList"] = [
        {
            "PolicyName": "mixed",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [grant, _statement_breaking_the_grammar(kind)],
            },
        }
    ]
    path.write_text(json.dumps(data))
    eager = whocan.who_can(AuthDetailsSource(path), *QUESTIONS[0], jobs=1)
    assert user["Arn"] in {g.arn for g in eager.principals}  # its good statement still counts
    assert any("mixed" in note for note in eager.notes)
    for jobs in (1, 2):
        assert whocan.who_can(UndecodedSource(path), *QUESTIONS[0], jobs=jobs) == eager


def _recording(monkeypatch: pytest.MonkeyPatch, log: Path) -> None:
    """Each process that decodes the file appends what it decoded (the rest, a share's roles by
    index, or the whole file) and its pid to ``log`` (the forked workers inherit the wrappers)."""
    rest, roles, whole = UndecodedSource.load_rest, UndecodedSource.load_roles, UndecodedSource.load

    def note(what: object) -> None:
        with log.open("a") as out:
            out.write(f"{what} {os.getpid()}\n")

    def load_rest(self: UndecodedSource, plan: Any) -> AuthDetailsSource:
        note("rest")
        return rest(self, plan)

    def load_roles(self: UndecodedSource, plan: Any, index: int, into: Any) -> list[Any]:
        note(index)
        return roles(self, plan, index, into)

    def load(self: UndecodedSource, **kwargs: bool) -> AuthDetailsSource:
        note("whole")
        return whole(self, **kwargs)

    monkeypatch.setattr(UndecodedSource, "load_rest", load_rest)
    monkeypatch.setattr(UndecodedSource, "load_roles", load_roles)
    monkeypatch.setattr(UndecodedSource, "load", load)


@pytest.mark.skipif(not workers._can_fork(), reason="shares are for forked workers")
@pytest.mark.parametrize("jobs", [2, 3])
def test_each_worker_decodes_only_the_shares_it_takes_of_a_file_as_the_aws_cli_writes_it(
    tmp_path: Path, large: dict[str, Path], monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    log = tmp_path / "decoded.log"
    _recording(monkeypatch, log)
    answer = whocan.who_can(UndecodedSource(large["typed"]), *QUESTIONS[0], jobs=jobs)
    assert answer == whocan.who_can(AuthDetailsSource(large["typed"]), *QUESTIONS[0], jobs=1)
    seen = [line.split() for line in log.read_text().splitlines()]
    rests = [pid for what, pid in seen if what == "rest"]
    assert len(set(rests)) == len(rests) == jobs  # the rest of the file, once in each worker
    shares = sorted(int(what) for what, _pid in seen if what.isdigit())
    assert shares == list(range(jobs * whocan.SHARES))  # every share once, in some worker
    assert {pid for _what, pid in seen} == set(rests)
    assert str(os.getpid()) not in rests
    assert all(what != "whole" for what, _pid in seen)


def _twice(data: dict[str, Any]) -> None:
    """Role 5's ARN again on role 2,000, whose policies let it (a file the AWS CLI never writes;
    every reader keeps the last record of an ARN)."""
    grant = {"Effect": "Allow", "Action": QUESTIONS[0][0], "Resource": QUESTIONS[0][1]}
    twin = copy.deepcopy(data["RoleDetailList"][5])
    twin["RolePolicyList"] = [
        {"PolicyName": "twin", "PolicyDocument": {"Version": "2012-10-17", "Statement": [grant]}}
    ]
    twin["AttachedManagedPolicies"] = []
    twin.pop("PermissionsBoundary", None)
    data["RoleDetailList"][2_000] = twin


#: files whose shares cannot all answer: who-can reads them whole, as one process would
UNSHARED = [
    ("a role twice, in two shares", _twice),
    ("a decoy RoleDetailList key", with_decoy_roles_key),
    ("a role that is not JSON", lambda data: with_role_not_json(data, 1_800)),
]


@pytest.mark.parametrize(("what", "change"), UNSHARED, ids=[case[0] for case in UNSHARED])
def test_a_file_whose_shares_cannot_answer_gets_the_answer_of_one_process(
    tmp_path: Path, base_account: dict[str, Any], what: str, change: Any
) -> None:
    path = tmp_path / "account.json"
    data = copy.deepcopy(base_account)
    text = change(data)
    path.write_text(text if isinstance(text, str) else json.dumps(data))
    answers: list[object] = []
    for source, jobs in ((AuthDetailsSource, 1), (UndecodedSource, 1), (UndecodedSource, 2)):
        try:
            answers.append(whocan.who_can(source(path), *QUESTIONS[0], jobs=jobs))
        except InputError as error:
            answers.append(error.message)
    assert answers[1:] == answers[:1] * 2, what
    if what == "a role twice, in two shares":
        assert data["RoleDetailList"][5]["Arn"] in {g.arn for g in answers[0].principals}  # type: ignore[attr-defined]
