"""The shared verdict for "the role must be allowed these actions on these resources"."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from iam_audit.checks.ask import (
    Answer,
    ask_identity,
    boundary_allows,
    evidence_of,
    finding,
    unknown_for,
    unknown_values,
)
from iam_audit.checks.base import CheckMeta
from iam_audit.engine import Decision, StatementRef
from iam_audit.findings import Finding, Status
from iam_audit.model import Role
from iam_audit.sources.symbolic import describe

__all__ = ["grant_policy", "judge_grants", "only_actions", "policy_of"]


def policy_of(*statements: dict[str, Any]) -> dict[str, Any]:
    """A policy document holding ``statements``."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


def grant_policy(
    action: str, resource: str, *, sid: str | None = None, prefix: str = "IamAudit"
) -> dict[str, Any]:
    """The policy a fix adds to grant one call: an Allow of ``action`` on ``resource``.

    Its Sid is ``sid``, or ``prefix`` followed by the letters and digits of the action's name
    (``cognito-idp:AdminGetUser``: ``IamAuditAdminGetUser``), so a plan that fixes the same call
    twice adds one statement.
    """
    name = "".join(ch for ch in action.split(":")[-1] if ch.isalnum())
    return policy_of(
        {"Sid": sid or prefix + name, "Effect": "Allow", "Action": action, "Resource": resource}
    )


def only_actions(document: dict[str, Any], actions: Sequence[str]) -> dict[str, Any]:
    """A copy of a one-statement template keeping only ``actions`` (in template order)."""
    out = copy.deepcopy(document)
    statement = out["Statement"][0]
    listed = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    wanted = {a.lower() for a in actions}
    kept = [a for a in listed if a.lower() in wanted]
    statement["Action"] = kept[0] if len(kept) == 1 else kept
    return out


def _short(role: Role) -> str:
    return role.name or role.arn


def judge_grants(
    meta: CheckMeta,
    role: Role,
    needs: Sequence[tuple[str, str]],
    *,
    what: str,
    fix: dict[str, Any] | None,
    fix_target: str = "inline",
    caller_side: bool = False,
) -> Finding:
    """One finding on whether ``role`` is allowed every ``(action, resource)`` in ``needs``.

    ``fail`` names the explicit Deny or the boundary that blocks (and then offers no fix, since an
    Allow cannot work), or the actions no policy allows (with ``fix`` narrowed to them). ``warn``
    when the answer hangs on a condition key, on a value the template leaves unresolved (asked
    of the engine as any value, see ``ask.unknown_values``; known limit: an ``Action`` holding one
    is compared as written) or on a managed policy the source does not hold. ``caller_side`` asks only the caller's half of a cross-account request (see ``ask_identity``).
    """
    holes = unknown_values(role)
    answers = [
        ask_identity(
            role,
            action,
            resource,
            caller_side=caller_side,
            unknown_values=unknown_for(holes, resource),
        )
        for action, resource in needs
    ]
    # an SCP or RCP that blocks only for some values of a key the source cannot resolve does not
    # settle the answer (``Answer.organization_blocks``): it is "allowed only if conditions hold"
    organization = [a for a in answers if a.organization_blocks]
    if organization:
        first = organization[0]
        # the role's own policies, as if no organization policy applied: do they allow it?
        lacking = tuple(
            a.action for a in organization if a.result.own_decision is not Decision.ALLOWED
        )
        also = f"; no policy of the role allows {', '.join(lacking)} either" if lacking else ""
        return finding(
            meta,
            role,
            Status.FAIL,
            f"{what} role {_short(role)}: {first.result.decided_by} blocks "
            f"{_actions(organization)} on {first.resource}; the organization's policy must "
            f"allow it (iam-audit never changes SCPs or RCPs){also}",
            evidence=evidence_of([r for a in organization for r in a.result.matched]),
            missing=tuple(a.action for a in organization),
            fix=only_actions(fix, lacking) if fix and lacking else None,
            fix_target=fix_target if fix and lacking else None,
            unresolved=_unresolved(answers),
            locator=meta.id,
        )
    # A Deny or a boundary that blocks only for some values of a key the source cannot resolve
    # does not settle the answer (``Answer.denied``): it is "allowed only if conditions hold".
    denied = [a for a in answers if a.denied]
    boundary = [
        a
        for a in answers
        if not a.allowed
        and not a.result.conditional
        and a not in denied
        and (a.result.blocked_by == "boundary" or not boundary_allows(role, a.action, a.resource))
    ]
    missing = [a for a in answers if not a.allowed and a not in denied and a not in boundary]
    name = _short(role)
    if denied:
        refs = [r for a in denied for r in a.result.matched]
        return finding(
            meta,
            role,
            Status.FAIL,
            f"{what} role {name}: explicit Deny {_labels(refs)} blocks "
            f"{_actions(denied)} on {denied[0].resource}; remove or narrow that Deny "
            "(iam-audit never removes a Deny)",
            evidence=evidence_of(refs),
            missing=tuple(a.action for a in denied),
            unresolved=_unresolved(answers),
            locator=meta.id,
        )
    if boundary:
        refs = [r for a in boundary for r in a.result.matched]
        return finding(
            meta,
            role,
            Status.FAIL,
            f"{what} role {name}: permissions boundary {role.boundary_arn or ''} does not allow "
            f"{_actions(boundary)}; an Allow in the role cannot work until the boundary allows it",
            evidence=evidence_of(refs),
            missing=tuple(a.action for a in boundary),
            unresolved=_unresolved(answers),
            locator=meta.id,
        )
    if missing:
        actions = tuple(a.action for a in missing)
        unknown = sorted({arn for a in missing for arn in a.unknown_managed})
        if any(a.result.conditional for a in missing):
            keys = _unresolved(missing)
            conditions = [k for k in keys if k not in holes]
            if conditions:
                return finding(
                    meta,
                    role,
                    Status.WARN,
                    f"{what} role {name}: {_actions(missing)} is allowed only if conditions on "
                    f"{', '.join(conditions)} hold; check them against the real request",
                    evidence=evidence_of([r for a in missing for r in a.result.matched]),
                    missing=actions,
                    unresolved=keys,
                    locator=meta.id,
                )
            described = "; ".join(describe(v) for v in keys)
            return finding(
                meta,
                role,
                Status.WARN,
                f"{what} role {name}: whether it may {_actions(missing)} on "
                f"{missing[0].resource} rests on values the template does not resolve: "
                f"{described}",
                missing=actions,
                unresolved=keys,
                locator=meta.id,
            )
        if unknown:
            return finding(
                meta,
                role,
                Status.WARN,
                f"{what} role {name}: no policy the source holds allows {_actions(missing)}; "
                f"attached managed policies it does not hold may: {', '.join(unknown)}",
                missing=actions,
                fix=only_actions(fix, actions) if fix else None,
                fix_target=fix_target,
                locator=meta.id,
            )
        return finding(
            meta,
            role,
            Status.FAIL,
            f"{what} role {name} is not allowed {_actions(missing)} on {missing[0].resource}",
            missing=actions,
            fix=only_actions(fix, actions) if fix else None,
            fix_target=fix_target,
            locator=meta.id,
        )
    allows = [r for a in answers for r in a.result.matched]
    uncertain = [a for a in answers if a.uncertain]
    if uncertain:
        keys = _unresolved(uncertain)
        conditions = [k for k in keys if k not in holes]
        if conditions:
            why = f"conditions on {', '.join(conditions)}"
        elif keys:
            why = "values the template does not resolve: " + "; ".join(describe(k) for k in keys)
        else:
            why = f"permissions boundary {role.boundary_arn} (not in the source)"
        return finding(
            meta,
            role,
            Status.WARN,
            f"{what} role {name}: {_actions(uncertain)} is allowed, but the answer depends on {why}",
            evidence=evidence_of(allows),
            unresolved=keys,
            locator=meta.id,
        )
    return finding(
        meta,
        role,
        Status.PASS,
        f"{what} role {name} is allowed {_actions(answers)}",
        evidence=evidence_of(allows),
        unresolved=_unresolved(answers),
        locator=meta.id,
    )


def _actions(answers: Sequence[Answer]) -> str:
    return ", ".join(dict.fromkeys(a.action for a in answers))


def _labels(refs: Sequence[StatementRef]) -> str:
    return ", ".join(sorted({f"{r.policy}:{r.label}" for r in refs}))


def _unresolved(answers: Sequence[Answer]) -> tuple[str, ...]:
    return tuple(sorted({k for a in answers for k in a.result.unresolved}))
