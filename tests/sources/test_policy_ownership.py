"""A run validates each document once and compiles each once; two runs share nothing.

The source parses (and validates) every document once; the :class:`PolicyDocument` it builds
says so (``validated``), so evaluation does not check it again. A managed policy or boundary
attached to many roles is one document object, so its compiled form (kept on that object) is
built once. Nothing is kept at module level: a second source over the same file builds its own.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from iam_audit.audit import run_checks
from iam_audit.checks import AuditTarget
from iam_audit.engine import Request, evaluate
from iam_audit.engine import compile as compile_module
from iam_audit.engine import parse as parse_module
from iam_audit.engine.compile import compile_policy
from iam_audit.engine.parse import statements_of
from iam_audit.findings import Status
from iam_audit.model import Role
from iam_audit.sources.auth_details import AuthDetailsSource
from tests.checks.casefile import LAMBDA_TRUST
from tests.conftest import asset

POOL = "arn:aws:cognito-idp:eu-central-1:123456789012:userpool/eu-central-1_AbCdEf123"
SHARED = "arn:aws:iam::123456789012:policy/MigrationLogging"
BOUNDARY = "arn:aws:iam::123456789012:policy/MigrationBoundary"
MIGRATION_ROLES = [f"Migration{n}" for n in range(4)]


def _account() -> dict[str, Any]:
    """The test account plus four migration roles that attach the same managed policy and the
    same permissions boundary (each role's trust and inline policies are its own objects)."""
    data: dict[str, Any] = json.loads(asset("auth_details", "account.json").read_text())
    good = next(r for r in data["RoleDetailList"] if r["RoleName"] == "GoodMigration")
    for name in MIGRATION_ROLES:
        role = copy.deepcopy(good)
        role["RoleName"] = name
        role["Arn"] = f"arn:aws:iam::123456789012:role/{name}"
        role["PermissionsBoundary"] = {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": BOUNDARY,
        }
        data["RoleDetailList"].append(role)
    boundary_body = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["cognito-idp:*", "logs:*"], "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
        ],
    }
    data["Policies"].append(
        {
            "Arn": BOUNDARY,
            "PolicyName": "MigrationBoundary",
            "DefaultVersionId": "v1",
            "PolicyVersionList": [
                {"Document": boundary_body, "VersionId": "v1", "IsDefaultVersion": True}
            ],
        }
    )
    return data


class Calls:
    """How often each statement object was validated and compiled (objects kept alive, so
    their ``id`` values stay unique)."""

    def __init__(self) -> None:
        self.validated: Counter[int] = Counter()
        self.compiled: Counter[int] = Counter()
        self.seen: list[Any] = []


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    found = Calls()
    validate = parse_module.validate_statement
    compile_statement = compile_module._compile_statement

    def counting_validate(statement: Any, path: str, **kwargs: Any) -> None:
        found.seen.append(statement)
        found.validated[id(statement)] += 1
        validate(statement, path, **kwargs)

    def counting_compile(
        name: str, kind: Any, index: int, raw: Any, variables: bool, meaning: Any = None
    ) -> Any:
        found.seen.append(raw)
        found.compiled[id(raw)] += 1
        return compile_statement(name, kind, index, raw, variables, meaning)

    # the parser's own use (validate_policy) and the compiler's (documents not validated)
    monkeypatch.setattr(parse_module, "validate_statement", counting_validate)
    monkeypatch.setattr(compile_module, "validate_statement", counting_validate)
    monkeypatch.setattr(compile_module, "_compile_statement", counting_compile)
    return found


def _audit_all(source: AuthDetailsSource) -> list[Role]:
    """Run every check on each migration role (with the healthy logs role), as ``audit`` does."""
    logs = source.get_role("GoodImportLogs")
    roles = [source.get_role(name) for name in MIGRATION_ROLES]
    for role in roles:
        target = AuditTarget(
            lambda_role=role, logs_role=logs, user_pool_arn=POOL, source_pool_arn=POOL
        )
        result = run_checks(target)
        assert any(f.status is Status.PASS for f in result.findings)  # the checks did evaluate
    return roles


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with one user document the typed reader refuses ("Effect" is case-sensitive):
    the file is then read with plain-JSON documents, each parsed and validated by the source's
    parser from the objects given, so the counts below are by those objects."""
    user = {
        "Arn": "arn:aws:iam::123456789012:user/odd",
        "UserName": "odd",
        "UserPolicyList": [
            {
                "PolicyName": "odd",
                "PolicyDocument": {
                    "Statement": [{"Effect": "allow", "Action": "s3:*", "Resource": "*"}]
                },
            }
        ],
    }
    return {**data, "UserDetailList": [*data.get("UserDetailList", []), user]}


def test_typed_documents_are_validated_while_decoding_and_never_again(
    calls: Calls, tmp_path: Path
) -> None:
    data = _account()
    source = AuthDetailsSource(tmp_path / "account.json", data)
    assert source.typed
    roles = _audit_all(source)
    # the decode checked every document's grammar: the engine validates none of them again
    assert calls.validated == Counter()
    documents = [d for role in roles for d in (role.trust, *role.identity_policies, role.boundary)]
    assert all(d is not None and d.validated for d in documents)
    # and a statement held by a document shared by the four roles is compiled once
    shared = source.managed_policy(SHARED)
    assert shared is not None
    assert [calls.compiled[id(s)] for _i, _p, s in statements_of(shared.document)] == [1]


def test_each_statement_is_validated_once_and_compiled_at_most_once(
    calls: Calls, tmp_path: Path
) -> None:
    data = _plain(_account())
    source = AuthDetailsSource(tmp_path / "account.json", data)
    assert not source.typed
    _audit_all(source)
    audited = [*MIGRATION_ROLES, "GoodImportLogs"]
    used = {id(s) for name in audited for s in _role_statements(data, name)}
    # every statement of the audited roles and of the policies they attach is validated exactly
    # once (by the source's parser), and nothing at all is validated twice
    assert {key: calls.validated[key] for key in used} == dict.fromkeys(used, 1)
    assert max(calls.validated.values()) == 1
    # compiled at most once each, however many roles share the document: the managed policy
    # and the boundary's Allow serve all four roles from one compiled form
    assert max(calls.compiled.values()) == 1
    (shared,) = (id(s) for _i, _p, s in statements_of(_default_document(data, SHARED)))
    allow, _deny = (id(s) for _i, _p, s in statements_of(_default_document(data, BOUNDARY)))
    assert (calls.compiled[shared], calls.compiled[allow]) == (1, 1)


def _default_document(data: dict[str, Any], arn: str) -> Any:
    policy = next(p for p in data["Policies"] if p["Arn"] == arn)
    return policy["PolicyVersionList"][0]["Document"]


def _role_statements(data: dict[str, Any], name: str) -> Iterator[Any]:
    """Every statement object of a role's documents and of the policies it attaches."""
    role = next(r for r in data["RoleDetailList"] if r["RoleName"] == name)
    yield from (s for _i, _p, s in statements_of(role["AssumeRolePolicyDocument"]))
    for item in role["RolePolicyList"]:
        yield from (s for _i, _p, s in statements_of(item["PolicyDocument"]))
    for attached in role["AttachedManagedPolicies"]:
        yield from (
            s for _i, _p, s in statements_of(_default_document(data, attached["PolicyArn"]))
        )
    boundary = role.get("PermissionsBoundary")
    if boundary:
        document = _default_document(data, boundary["PermissionsBoundaryArn"])
        yield from (s for _i, _p, s in statements_of(document))


def test_shared_policies_are_one_document_with_one_compiled_form(tmp_path: Path) -> None:
    source = AuthDetailsSource(tmp_path / "account.json", _account())
    roles = [source.get_role(name) for name in MIGRATION_ROLES]
    assert all(role.managed[0].validated for role in roles)
    assert len({id(role.managed[0]) for role in roles}) == 1
    assert all(role.boundary is not None and role.boundary.validated for role in roles)
    assert len({id(role.boundary) for role in roles}) == 1
    assert len({id(compile_policy(role.managed[0])) for role in roles}) == 1


def test_two_runs_share_no_state(tmp_path: Path) -> None:
    data = _account()
    first = AuthDetailsSource(tmp_path / "account.json", data).get_role("Migration0")
    request = Request("logs:CreateLogGroup", "arn:aws:logs:eu-central-1:123456789012:log-group:x")
    assert evaluate(request, identity=first.identity_policies).decision.value == "allowed"
    assert first.managed[0].compiled is not None
    second = AuthDetailsSource(tmp_path / "account.json", data).get_role("Migration0")
    # a new run reads its own documents: nothing compiled by the first run is handed to it
    assert second.managed[0] is not first.managed[0]
    assert second.managed[0].compiled is None
    assert evaluate(request, identity=second.identity_policies).decision.value == "allowed"
    assert compile_policy(second.managed[0]) is not compile_policy(first.managed[0])


def test_a_policy_attached_to_10000_roles_is_validated_and_compiled_once(
    calls: Calls, tmp_path: Path
) -> None:
    # Roles with only the attachment, so the count is the shared policy's alone.
    shared = "arn:aws:iam::123456789012:policy/Shared"
    body = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}],
    }
    data = {
        "RoleDetailList": [
            {
                "Arn": f"arn:aws:iam::123456789012:role/r{n}",
                "RoleName": f"r{n}",
                "AttachedManagedPolicies": [{"PolicyArn": shared}],
            }
            for n in range(10_000)
        ],
        "Policies": [
            {
                "Arn": shared,
                "DefaultVersionId": "v1",
                "PolicyVersionList": [
                    {"VersionId": "v1", "IsDefaultVersion": True, "Document": body}
                ],
            }
        ],
    }
    source = AuthDetailsSource(tmp_path / "account.json", _plain(data))
    request = Request("logs:PutLogEvents", "arn:aws:logs:eu-central-1:123456789012:log-group:x")
    documents = set()
    for role in source.inventory().roles:
        assert evaluate(request, identity=role.identity_policies).decision.value == "allowed"
        documents.add(id(role.managed[0]))
    assert len(documents) == 1
    (statement,) = body["Statement"]
    assert calls.validated == Counter({id(statement): 1})
    assert calls.compiled == Counter({id(statement): 1})


def test_live_documents_say_they_were_validated(moto_account: Any) -> None:
    # The live source rebuilds each parsed document with its origin: the fact that the parser
    # validated it goes with it, for the trust, inline, managed and boundary documents alike.
    from iam_audit.sources.live import LiveSource

    iam = moto_account.client("iam")
    body = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}],
    }
    arn = iam.create_policy(PolicyName="Shared", PolicyDocument=json.dumps(body))["Policy"]["Arn"]
    for name in ("a", "b"):
        iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST),
            PermissionsBoundary=arn,
        )
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        iam.put_role_policy(RoleName=name, PolicyName="own", PolicyDocument=json.dumps(body))
    source = LiveSource(session=moto_account)
    first, second = source.get_role("a"), source.get_role("b")
    for role in (first, second):
        documents = [role.trust, *role.inline, *role.managed, role.boundary]
        assert [d is not None and d.validated for d in documents] == [True] * 4
    assert first.managed[0] is second.managed[0]  # read once per run, compiled once
