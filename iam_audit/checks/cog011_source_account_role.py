"""COG011: the chain of roles a cross-account migration function uses is complete."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from iam_audit.checks.ask import ask_trust, evidence_of, finding
from iam_audit.checks.base import AuditTarget, CheckMeta, CodeCheck, Fixability, RoleKind
from iam_audit.checks.grants import grant_policy, judge_grants, policy_of
from iam_audit.engine import Decision
from iam_audit.findings import Finding, Severity, Status
from iam_audit.model import Role
from iam_audit.sources.symbolic import describe, has_placeholder

if TYPE_CHECKING:  # loaded only by a run that reads a function's code
    from iam_audit.codecalls.resolve import CodeFacts, ResolvedCall

ASSUME = "sts:AssumeRole"
_EXTERNAL_ID = "sts:externalid"


def _account(arn: str | None) -> str:
    parts = (arn or "").split(":")
    return parts[4] if len(parts) > 5 else ""


class SourceAccountRole(CodeCheck):
    """The role the function's code assumes is reachable, trusts it, and may make its calls.

    **What it checks**
    For each ``sts:AssumeRole`` the function's code makes (``boto3`` ``assume_role``, v3
    ``AssumeRoleCommand``, ``fromTemporaryCredentials``, v2 ``ChainableTemporaryCredentials``),
    on the role ARN the code names (a literal or an environment variable), three links:
    the function's role may call ``sts:AssumeRole`` on that role (its identity policies and
    boundary); that role's trust policy lets the function's role assume it, with the
    ``sts:ExternalId`` the code passes; and that role may make, on the resources the code names
    (the source pool), every call the code makes with the credentials it gets. When the source
    pool is in another account and the code calls Cognito with the function role's own
    credentials, that is a failure too. The other account's roles come from
    ``--source-authorization-details FILE``, ``--source-template FILE`` (that account's stack of
    the same deployment) or ``--source-profile NAME``.

    **Why it matters**
    User pools have no resource policy, so a function in one account reaches a pool in another
    only through a role there. A cross-account ``AssumeRole`` needs both sides: the caller's
    identity policy and the role's trust. Any missing link fails every sign-in with
    ``AccessDenied`` on ``sts:AssumeRole`` or on the Cognito call.

    **Example**
    The function role may ``sts:AssumeRole`` on ``arn:aws:iam::222233334444:role/legacy-reader``,
    but that role trusts only ``arn:aws:iam::999988887777:root``.

    **Fix**
    The statement each failing link needs: ``sts:AssumeRole`` on the role in the function
    role's inline policy; a trust statement naming the function's role (with the
    ``sts:ExternalId`` the code passes); the Cognito actions on the source pool in the source
    role's inline policy. Deny and boundaries are reported, never patched over.

    **Known limits**
    Skipped when the code is unknown, assumes no role, or the other account's side is not given.
    In one account a trust that names the role itself suffices; this check still asks for the
    identity permission too. The trust is bounded by the other account's RCPs when its roles
    carry them (its SCPs bind only its own principals, not the function's role). Role chains
    longer than one hop and session policies are not evaluated.
    """

    meta: ClassVar[CheckMeta] = CheckMeta(
        id="COG011",
        slug="source-account-role",
        severity=Severity.ERROR,
        summary="The role the function assumes trusts it and may make its calls on the source pool",
        role_kind=RoleKind.LAMBDA,
        fixability=Fixability.SAFE,
    )

    def judge_code(self, target: AuditTarget, role: Role, code: CodeFacts) -> Iterator[Finding]:
        pool = target.source_pool_arn
        pool_account = _account(pool)
        own_cognito = [c for c in code.own if c.call.service == "cognito-idp"]
        cross = bool(pool and pool_account and role.account_id and pool_account != role.account_id)
        if cross and own_cognito:
            yield finding(
                self.meta,
                role,
                Status.FAIL,
                f"the source pool is in account {pool_account} but the code calls "
                f"{own_cognito[0].action} at {own_cognito[0].where} with the credentials of "
                f"{role.name} ({role.account_id}); it must assume a role in {pool_account}",
                missing=(own_cognito[0].action,),
                locator=f"{self.meta.id} own-credentials",
            )
        if not code.assumptions:
            if not (pool and pool_account and pool_account != role.account_id and own_cognito):
                yield self.skip(role, "the function's code assumes no role")
            return
        for assume in code.assumptions:
            yield from self._chain(target, role, code, assume)

    def _chain(
        self, target: AuditTarget, role: Role, code: CodeFacts, assume: ResolvedCall
    ) -> Iterator[Finding]:
        arn = assume.resource
        if arn is None:
            yield finding(
                self.meta,
                role,
                Status.WARN,
                f"the code assumes a role at {assume.where} that iam-audit cannot resolve "
                f"({assume.unresolved}); set it in the function's environment or pass --env",
                unresolved=(assume.named_by,) if assume.named_by else (),
                locator=f"{ASSUME} {assume.where}",
            )
            return
        fix = grant_policy(ASSUME, arn, sid="IamAuditAssumeSourceRole")
        found = judge_grants(
            self.meta, role, [(ASSUME, arn)], what="Lambda", fix=fix, caller_side=True
        )
        yield replace(
            found, message=f"{found.message} (assumed at {assume.where})", locator=f"{ASSUME} {arn}"
        )
        source = next((r for r in target.chain_roles if r.arn == arn), None)
        if source is None:
            reason = target.chain_skip_reason or (
                f"role {arn} is in account {_account(arn)}: pass --source-authorization-details "
                "FILE, --source-template FILE or --source-profile NAME to audit its trust and "
                "permissions"
            )
            yield finding(self.meta, role, Status.SKIP, reason, locator=f"{arn} trust")
            return
        yield self._trust(code.environment, role, source, assume)
        yield from self._permissions(source, code.through(assume), assume)

    def _trust(
        self,
        environment: tuple[tuple[str, str], ...],
        role: Role,
        source: Role,
        assume: ResolvedCall,
    ) -> Finding:
        passed, external_id = assume.external_id(dict(environment))
        context = {"sts:ExternalId": (external_id,)} if passed and external_id is not None else {}
        answer = ask_trust(source, role, context=context)
        result = answer.result
        statement: dict[str, Any] = {
            "Sid": "IamAuditTrustMigrationFunction",
            "Effect": "Allow",
            "Principal": {"AWS": role.arn},
            "Action": ASSUME,
        }
        if passed and external_id is not None:
            statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
        unresolved = tuple(k for k in result.unresolved)
        lowered = {k.lower() for k in unresolved}

        def said(status: Status, message: str, **fields: Any) -> Finding:
            """A finding on the source role's trust, with the statements that decided it."""
            evidence = evidence_of(result.matched)
            locator = f"{source.arn} trust"
            return finding(
                self.meta, source, status, message, evidence=evidence, locator=locator, **fields
            )

        missing = (ASSUME,)
        if answer.organization_blocks:
            return said(
                Status.FAIL,
                f"{result.decided_by} stops {role.name} from assuming {source.name}; the "
                "organization's policy must allow it (iam-audit never changes SCPs or RCPs)",
                missing=missing,
                unresolved=unresolved,
            )
        if answer.denied:
            return said(
                Status.FAIL,
                f"a Deny in the trust policy of {source.name} stops {role.name} from assuming it; "
                "remove or narrow that Deny",
                missing=missing,
            )
        if result.decision is Decision.ALLOWED and not result.conditional:
            return said(
                Status.PASS, f"the trust policy of {source.name} lets {role.name} assume it"
            )
        if result.conditional and lowered == {_EXTERNAL_ID} and not passed:
            return said(
                Status.FAIL,
                f"{role.name} may not assume {source.name}: its trust requires an "
                f"sts:ExternalId the code does not pass at {assume.where}; pass it there "
                "(iam-audit does not drop the condition)",
                missing=missing,
                unresolved=unresolved,
            )
        if result.conditional and _EXTERNAL_ID in lowered and passed and external_id is None:
            given = assume.call.param("ExternalId")
            return said(
                Status.WARN,
                f"the trust of {source.name} requires an sts:ExternalId; the code passes one "
                f"({given.describe() if given else ''}) whose value iam-audit cannot resolve",
                unresolved=unresolved,
            )
        elif result.conditional:
            conditions = [k for k in unresolved if not has_placeholder(k)]
            if conditions:
                return said(
                    Status.WARN,
                    f"the trust policy of {source.name} lets {role.name} assume it only if "
                    f"conditions on {', '.join(conditions)} hold",
                    unresolved=unresolved,
                )
            return said(
                Status.WARN,
                f"whether the trust policy of {source.name} lets {role.name} assume it rests on "
                "values the template does not resolve: "
                + "; ".join(describe(k) for k in unresolved),
                unresolved=unresolved,
            )
        elif passed and external_id is not None and self._wants_external_id(role, source):
            why = f"its trust does not accept the sts:ExternalId {external_id!r} the code passes"
        else:
            why = f"its trust policy does not name {role.arn} (or its account)"
        return said(
            Status.FAIL,
            f"{role.name} may not assume {source.name}: {why}",
            missing=missing,
            fix=policy_of(statement),
            fix_target="trust",
            unresolved=unresolved,
        )

    def _wants_external_id(self, role: Role, source: Role) -> bool:
        """Would some ``sts:ExternalId`` let ``role`` assume ``source``? (the value is wrong)."""
        result = ask_trust(source, role).result
        return result.conditional and _EXTERNAL_ID in {k.lower() for k in result.unresolved}

    def _permissions(
        self, source: Role, calls: tuple[ResolvedCall, ...], assume: ResolvedCall
    ) -> Iterator[Finding]:
        needs: dict[tuple[str, str], list[ResolvedCall]] = {}
        for call in calls:
            if call.resource is None:
                yield finding(
                    self.meta,
                    source,
                    Status.WARN,
                    f"the code calls {call.action} at {call.where} as {source.name} on a resource "
                    f"iam-audit cannot resolve ({call.unresolved})",
                    unresolved=(call.named_by,) if call.named_by else (),
                    locator=f"{call.action} {call.where}",
                )
            else:
                needs.setdefault((call.action, call.resource), []).append(call)
        if not calls:
            yield finding(
                self.meta,
                source,
                Status.PASS,
                f"the code makes no call with the credentials of {source.name} "
                f"(assumed at {assume.where})",
                locator=f"{source.arn} calls",
            )
        for (action, resource), found_calls in sorted(needs.items()):
            fix = grant_policy(action, resource, prefix="IamAuditSource")
            found = judge_grants(self.meta, source, [(action, resource)], what="Source", fix=fix)
            where = ", ".join(dict.fromkeys(c.where for c in found_calls))
            yield replace(
                found,
                message=f"{found.message} (called at {where})",
                locator=f"{action} {resource}",
            )
