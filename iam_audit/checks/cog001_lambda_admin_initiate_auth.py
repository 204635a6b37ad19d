"""COG001: the migration Lambda may call AdminInitiateAuth on the source pool."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from iam_audit.checks.ask import finding
from iam_audit.checks.base import AuditTarget, CheckMeta, Fixability, RoleCheck, RoleKind
from iam_audit.checks.grants import judge_grants
from iam_audit.findings import Finding, Severity, Status
from iam_audit.model import Role
from iam_audit.sources.symbolic import describe, unresolved_in
from iam_audit.templates import fill

ACTION = "cognito-idp:AdminInitiateAuth"


def grant_fix(pool: str) -> dict[str, Any]:
    """The statement COG001 adds: ``policies/lambda-admin-initiate-auth.json`` on ``pool``
    (COG010 adds the same one for the same call, so a plan fixing both adds it once)."""
    return fill("lambda-admin-initiate-auth.json", SourcePoolArn=pool)


class LambdaAdminInitiateAuth(RoleCheck):
    """The migration Lambda's role is allowed ``cognito-idp:AdminInitiateAuth`` on the source pool.

    **What it checks**
    Evaluates the role's inline and managed policies, intersected with its permissions boundary,
    for ``cognito-idp:AdminInitiateAuth`` on the pool the function migrates users from
    (``--source-pool-arn``, default ``--user-pool-arn``).

    **Why it matters**
    Without it every sign-in through the trigger fails with ``AccessDeniedException ... is not
    authorized to perform: cognito-idp:AdminInitiateAuth on resource: arn:aws:cognito-idp:...``.

    **Example**
    A role whose only policy is ``AWSLambdaBasicExecutionRole``.

    **Fix**
    ``{"Effect": "Allow", "Action": "cognito-idp:AdminInitiateAuth", "Resource": "<source pool ARN>"}``
    in the inline policy ``iam-audit-cognito-import``. An explicit Deny or a boundary that blocks
    the action is reported, never patched over.

    **Known limits**
    A pool in another account cannot be reached with the role's own credentials (user pools have
    no resource policy): the function assumes a role there, which COG011 audits. When the
    function's code is known and makes no AdminInitiateAuth call with the role's own credentials
    (another user store, a forgot-password-only function, a role it assumes), the check is
    ``skip`` and COG010/COG011 judge the calls it does make.
    Organizations SCPs and session policies are not visible to the audit.
    """

    meta: ClassVar[CheckMeta] = CheckMeta(
        id="COG001",
        slug="lambda-admin-initiate-auth",
        severity=Severity.ERROR,
        summary="The migration Lambda role may call cognito-idp:AdminInitiateAuth on the source pool",
        role_kind=RoleKind.LAMBDA,
        fixability=Fixability.SAFE,
    )

    def judge(self, target: AuditTarget, role: Role) -> Iterator[Finding]:
        pool = target.source_pool_arn or target.user_pool_arn
        if target.source_pool_skip is not None and target.source_pool_arn is None:
            reason, option = target.source_pool_skip
            yield self.skip(role, f"{reason}; pass {option}", needs=option)
            return
        if pool is None:
            yield self.skip(
                role,
                "no source pool: pass --source-pool-arn or --user-pool-arn",
                needs="--source-pool-arn or --user-pool-arn",
            )
            return
        unknown = sorted(unresolved_in(pool))
        if unknown:
            what = "; ".join(describe(p) for p in unknown)
            yield finding(
                self.meta,
                role,
                Status.WARN,
                f"Lambda role {role.name}: the source pool is {pool}, which rests on {what}; "
                "AdminInitiateAuth on it cannot be judged (pass --source-pool-arn)",
                missing=(ACTION,),
                unresolved=tuple(unknown),
                locator=self.meta.id,
            )
            return
        skip = _code_skip(target)
        if skip:
            yield self.skip(role, skip)
            return
        found = judge_grants(self.meta, role, [(ACTION, pool)], what="Lambda", fix=grant_fix(pool))
        if found.status is Status.FAIL and not found.evidence and role.account_id:
            pool_account = pool.split(":")[4]
            if pool_account and pool_account != role.account_id:
                found = finding(
                    self.meta,
                    role,
                    Status.FAIL,
                    f"Lambda role {role.name} is in account {role.account_id} but the source pool "
                    f"is in {pool_account}: user pools have no resource policy, so no policy can "
                    "grant AdminInitiateAuth across accounts; the function must call it with the "
                    f"credentials of a role in {pool_account} that it assumes (COG011 "
                    "source-account-role audits that chain)",
                    missing=(ACTION,),
                    locator=self.meta.id,
                )
        yield found


def _code_skip(target: AuditTarget) -> str:
    """Why the function's known code makes this check moot, or ``""``."""
    code = target.code
    if code is None:
        return ""
    if not code.calls_cognito():
        return "the function calls no Cognito API: it authenticates against another store"
    own = [c for c in code.own if c.action.lower() == ACTION.lower()]
    if own:
        return ""
    if any(c.action.lower() == ACTION.lower() for c in code.calls):
        return (
            "the function calls AdminInitiateAuth with the credentials of a role it assumes, "
            "not its own: COG011 checks that role"
        )
    return "the function's code does not call AdminInitiateAuth; COG010 checks the calls it makes"
