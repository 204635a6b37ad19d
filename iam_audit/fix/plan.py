"""From findings to a fix plan: pure, no AWS, no files.

Every fix lands in one named inline policy (``iam-audit-cognito-import``) or in the trust policy,
merged into what is there: existing statements stay as they are, a second plan over a fixed role
is empty.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from iam_audit.findings import Finding, Status
from iam_audit.model import Role

__all__ = [
    "INLINE_POLICY_NAME",
    "FixPlan",
    "PlannedFix",
    "SkippedFix",
    "merge_inline",
    "merge_trust",
    "plan_fixes",
    "service_trust_statement",
]

INLINE_POLICY_NAME = "iam-audit-cognito-import"
VERSION = "2012-10-17"


@dataclass(frozen=True, slots=True)
class PlannedFix:
    """One document to write: ``before`` is ``None`` when the inline policy does not exist yet."""

    role_arn: str
    role_name: str
    target: str  # "inline" | "trust"
    policy_name: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any]
    checks: tuple[str, ...]
    #: what the merge added: service principals (trust) or statements (inline), so that a
    #: backup can prove ``after`` is ``before`` plus these and nothing else
    added: tuple[Any, ...] = ()

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True, slots=True)
class SkippedFix:
    """A failing check that the plan will not fix, and why (a Deny, a boundary, no template)."""

    role_arn: str
    check: str
    reason: str


@dataclass(frozen=True, slots=True)
class FixPlan:
    actions: tuple[PlannedFix | SkippedFix, ...]

    @property
    def fixes(self) -> tuple[PlannedFix, ...]:
        return tuple(a for a in self.actions if isinstance(a, PlannedFix))

    @property
    def skipped(self) -> tuple[SkippedFix, ...]:
        return tuple(a for a in self.actions if isinstance(a, SkippedFix))

    @property
    def empty(self) -> bool:
        return not any(f.changed for f in self.fixes)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _statements(document: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    if not document:
        return []
    return [copy.deepcopy(s) for s in _as_list(document.get("Statement")) if isinstance(s, dict)]


def _canon(statement: Mapping[str, Any]) -> str:
    return json.dumps(statement, sort_keys=True)


def merge_inline(
    existing: Mapping[str, Any] | None, additions: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """``existing`` (our own inline policy, or nothing) with ``additions`` merged in.

    A statement with the same Sid gets the union of its actions and resources; an identical one is
    not added twice; every other existing statement is kept unchanged, in order.
    """
    statements = _statements(existing)
    for addition in additions:
        added = copy.deepcopy(dict(addition))
        same_sid = next(
            (s for s in statements if added.get("Sid") and s.get("Sid") == added.get("Sid")), None
        )
        if same_sid is not None and _mergeable(same_sid, added):
            for key in ("Action", "Resource"):
                union = list(dict.fromkeys(_as_list(same_sid.get(key)) + _as_list(added.get(key))))
                same_sid[key] = union[0] if len(union) == 1 else union
        elif _canon(added) not in {_canon(s) for s in statements}:
            statements.append(added)
    out: dict[str, Any] = {"Version": VERSION}
    if existing:
        out = {k: copy.deepcopy(v) for k, v in existing.items() if k != "Statement"}
        out.setdefault("Version", VERSION)
    out["Statement"] = statements
    return out


def _mergeable(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Statements that differ only in Action and Resource lists."""
    keys = {"Sid", "Effect", "Action", "Resource"}
    return set(a) <= keys and set(b) <= keys and a.get("Effect") == b.get("Effect") == "Allow"


def merge_trust(existing: Mapping[str, Any] | None, service: str) -> dict[str, Any]:
    """``existing`` trust with ``service`` allowed ``sts:AssumeRole``.

    An unconditioned ``Allow sts:AssumeRole`` statement that already names a ``Service`` gets
    ``service`` appended to its list; otherwise the documented statement is appended. Nothing
    else changes.
    """
    out: dict[str, Any] = copy.deepcopy(dict(existing)) if existing else {"Version": VERSION}
    out.setdefault("Version", VERSION)
    statements = _statements(existing)
    for statement in statements:
        principal = statement.get("Principal")
        actions = [str(a).lower() for a in _as_list(statement.get("Action"))]
        if (
            statement.get("Effect") == "Allow"
            and "Condition" not in statement
            and isinstance(principal, dict)
            and "Service" in principal
            and actions == ["sts:assumerole"]
        ):
            services = _as_list(principal["Service"])
            if service not in services:
                principal["Service"] = [*services, service]
            out["Statement"] = statements
            return out
    statements.append(service_trust_statement(service))
    out["Statement"] = statements
    return out


def service_trust_statement(service: str) -> dict[str, Any]:
    """The statement that lets ``service`` assume a role."""
    return {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}


def _trust_service(finding: Finding) -> str | None:
    if finding.fix is None:
        return None
    for statement in _as_list(finding.fix.get("Statement")):
        principal = statement.get("Principal") if isinstance(statement, dict) else None
        if isinstance(principal, dict) and isinstance(principal.get("Service"), str):
            return str(principal["Service"])
    return None


def plan_fixes(findings: Iterable[Finding], roles: Iterable[Role]) -> FixPlan:
    """The documents to write for every failing finding that carries a fix, per role.

    Findings that fail without a fix (an explicit Deny, a boundary, a cross-account pool) become
    :class:`SkippedFix` with the finding's message as the reason.
    """
    by_arn = {role.arn: role for role in roles}
    inline_adds: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    trust_adds: dict[str, list[tuple[str, str]]] = {}
    trust_statements: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    actions: list[PlannedFix | SkippedFix] = []
    for finding in findings:
        if finding.status not in (Status.FAIL, Status.WARN):
            continue
        if finding.fix is None:
            if finding.status is Status.FAIL and finding.role:
                actions.append(SkippedFix(finding.role, finding.check, finding.message))
            continue
        if finding.role not in by_arn:
            continue
        if finding.fix_target == "trust":
            service = _trust_service(finding)
            if service:
                trust_adds.setdefault(finding.role, []).append((finding.check, service))
            else:  # a statement naming an AWS principal (COG011): added as it is
                for statement in _as_list(finding.fix.get("Statement")):
                    trust_statements.setdefault(finding.role, []).append((finding.check, statement))
        else:
            for statement in _as_list(finding.fix.get("Statement")):
                inline_adds.setdefault(finding.role, []).append((finding.check, statement))
    for arn in sorted(set(inline_adds) | set(trust_adds) | set(trust_statements)):
        role = by_arn[arn]
        if arn in trust_adds or arn in trust_statements:
            after: dict[str, Any] | None = role.trust.document if role.trust else None
            checks = []
            for check, service in trust_adds.get(arn, ()):
                after = merge_trust(after, service)
                checks.append(check)
            if arn in trust_statements:
                after = merge_inline(after, [s for _, s in trust_statements[arn]])
                checks.extend(c for c, _ in trust_statements[arn])
            assert after is not None
            before = role.trust.document if role.trust else None
            # ``added`` records the services (what `fix --apply` writes and rollback checks); a
            # statement naming another account's principal (COG011) is never applied here
            services = tuple(service for _, service in trust_adds.get(arn, ()))
            actions.append(
                PlannedFix(arn, role.name, "trust", "trust", before, after, tuple(checks), services)
            )
        if arn in inline_adds:
            current = next((p for p in role.inline if p.name == INLINE_POLICY_NAME), None)
            before = current.document if current else None
            statements = tuple(s for _, s in inline_adds[arn])
            after = merge_inline(before, statements)
            checks = list(dict.fromkeys(c for c, _ in inline_adds[arn]))
            actions.append(
                PlannedFix(
                    arn,
                    role.name,
                    "inline",
                    INLINE_POLICY_NAME,
                    before,
                    after,
                    tuple(checks),
                    statements,
                )
            )
    return FixPlan(tuple(actions))
