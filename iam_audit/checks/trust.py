"""The shared verdict for "this service may assume the role"."""

from __future__ import annotations

from iam_audit.checks.ask import ask_trust, evidence_of, finding
from iam_audit.checks.base import CheckMeta
from iam_audit.engine import Decision, Principal, PrincipalKind
from iam_audit.findings import Finding, Status
from iam_audit.model import Role
from iam_audit.templates import load_template

__all__ = ["judge_service_trust"]


def judge_service_trust(
    meta: CheckMeta, role: Role, service: str, template: str, what: str
) -> Finding:
    """Does ``role``'s trust policy let ``service`` call ``sts:AssumeRole``?"""
    fix = load_template(template)
    if role.trust is None:
        return finding(
            meta,
            role,
            Status.FAIL,
            f"{what} role {role.name}: the source holds no trust policy for it",
            missing=("sts:AssumeRole",),
            fix=fix,
            fix_target="trust",
            locator=service,
        )
    answer = ask_trust(role, Principal(PrincipalKind.SERVICE, service))
    result = answer.result
    evidence = evidence_of(result.matched)
    # an SCP or RCP that blocks only for some values of a key the request carries is a
    # condition (warn below), as a Deny of the trust policy is
    if answer.organization_blocks:
        return finding(
            meta,
            role,
            Status.FAIL,
            f"{what} role {role.name}: {result.decided_by} stops {service} from assuming it; "
            "the organization's policy must allow it (iam-audit never changes SCPs or RCPs)",
            evidence=evidence,
            missing=("sts:AssumeRole",),
            unresolved=result.unresolved,
            locator=service,
        )
    if answer.denied:
        return finding(
            meta,
            role,
            Status.FAIL,
            f"{what} role {role.name}: a Deny in the trust policy stops {service} from assuming it; "
            "remove or narrow that Deny (iam-audit never removes a Deny)",
            evidence=evidence,
            missing=("sts:AssumeRole",),
            unresolved=result.unresolved,
            locator=service,
        )
    if result.conditional:
        keys = ", ".join(result.unresolved)
        return finding(
            meta,
            role,
            Status.WARN,
            f"{what} role {role.name}: {service} may assume it only if conditions on {keys} hold; "
            f"AWS does not document that {service} sends them",
            evidence=evidence,
            unresolved=result.unresolved,
            locator=service,
        )
    if result.decision is Decision.ALLOWED:
        return finding(
            meta,
            role,
            Status.PASS,
            f"{what} role {role.name}: {service} may assume it",
            evidence=evidence,
            locator=service,
        )
    return finding(
        meta,
        role,
        Status.FAIL,
        f"{what} role {role.name}: its trust policy does not let {service} assume it",
        missing=("sts:AssumeRole",),
        fix=fix,
        fix_target="trust",
        locator=service,
    )
