"""The shared verdict for "the role must be allowed these actions on these resources"."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from iam_audit.checks.ask import Answer, ask_identity, boundary_allows, evidence_of, finding
from iam_audit.checks.base import CheckMeta
from iam_audit.engine import Decision, StatementRef
from iam_audit.findings import Finding, Status
from iam_audit.model import PolicyDocument, Role
from iam_audit.sources.symbolic import GENERATED_RE, UNRESOLVED_RE, describe, has_placeholder

__all__ = ["judge_grants", "only_actions"]


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
    when the answer hangs on a condition key or on a managed policy the source does not hold.
    ``caller_side`` asks only the caller's half of a cross-account request (see ``ask_identity``).
    """
    answers = [
        ask_identity(role, action, resource, caller_side=caller_side) for action, resource in needs
    ]
    organization = [a for a in answers if a.result.blocked_by in ("scp", "rcp")]
    if organization:
        first = organization[0]
        # the role's own policies, as if no organization policy applied: do they allow it?
        alone = dataclasses.replace(role, organization=None)
        lacking = tuple(
            a.action
            for a in organization
            if not ask_identity(alone, a.action, a.resource, caller_side=caller_side).allowed
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
    # does not settle the answer: it is "allowed only if conditions hold" (warn), as for who-can
    # and simulate. "If a condition key ... is not present in the request context, the values do
    # not match" (IAM User Guide, IAM JSON policy elements: Condition operators), so which way
    # such a condition goes depends on the real request.
    denied = [
        a
        for a in answers
        if a.result.decision is Decision.EXPLICIT_DENY and not a.result.conditional
    ]
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
            return finding(
                meta,
                role,
                Status.WARN,
                f"{what} role {name}: {_actions(missing)} is allowed only if conditions on "
                f"{', '.join(keys)} hold; check them against the real request",
                evidence=evidence_of([r for a in missing for r in a.result.matched]),
                missing=actions,
                unresolved=keys,
                locator=meta.id,
            )
        resting = _resting_on_unresolved(role, missing)
        if resting:
            described = "; ".join(describe(v) for v in resting)
            return finding(
                meta,
                role,
                Status.WARN,
                f"{what} role {name}: whether it may {_actions(missing)} on "
                f"{missing[0].resource} rests on values the template does not resolve: "
                f"{described}",
                missing=actions,
                unresolved=resting,
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
        why = (
            f"conditions on {', '.join(keys)}"
            if keys
            else f"permissions boundary {role.boundary_arn} (not in the source)"
        )
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


def _widen(document: PolicyDocument, values: Sequence[str]) -> PolicyDocument:
    """``document`` with every unresolved value in it read as ``*`` (any value at all)."""
    text = json.dumps(document.document)
    for value in values:
        text = text.replace(json.dumps(value)[1:-1], "*")
    return PolicyDocument(document.name, document.kind, json.loads(text))


def _resting_on_unresolved(role: Role, missing: Sequence[Answer]) -> tuple[str, ...]:
    """The unresolved template values that decide whether the ``missing`` actions are allowed.

    Asked of the engine: with each unresolved value in the role's policies read as any value
    (``*``), is one of them allowed (or conditionally)? Then the implicit deny rests on those
    values, not on the policies: the verdict is ``warn``, never ``fail``.
    """
    values = [v for v in role.symbolic if UNRESOLVED_RE.fullmatch(v)]
    documents = [*role.identity_policies, *([role.boundary] if role.boundary else [])]
    texts = [json.dumps(d.document) for d in documents]
    if all(not has_placeholder(a.resource) for a in missing):
        # A name the deployment generates (``<LegacyPool>``, a pool ID CloudFormation assigns)
        # asked about with a concrete value from elsewhere (the code, the command line): whether
        # the two are one resource is unknown until deployment. Asked with the template's own
        # placeholder, the comparison is exact and needs no widening.
        values += sorted(
            {g for t in texts for g in GENERATED_RE.findall(t) if not UNRESOLVED_RE.fullmatch(g)}
        )
    used = [v for v in values if any(v in text for text in texts)]
    if not used:
        return ()
    wide = dataclasses.replace(
        role,
        inline=tuple(_widen(d, used) for d in role.inline),
        managed=tuple(_widen(d, used) for d in role.managed),
        boundary=_widen(role.boundary, used) if role.boundary else None,
    )
    for answer in missing:
        again = ask_identity(wide, answer.action, answer.resource)
        if again.allowed or again.result.conditional:
            return tuple(sorted(used))
    return ()


def _actions(answers: Sequence[Answer]) -> str:
    return ", ".join(dict.fromkeys(a.action for a in answers))


def _labels(refs: Sequence[StatementRef]) -> str:
    return ", ".join(sorted({f"{r.policy}:{r.label}" for r in refs}))


def _unresolved(answers: Sequence[Answer]) -> tuple[str, ...]:
    return tuple(sorted({k for a in answers for k in a.result.unresolved}))
