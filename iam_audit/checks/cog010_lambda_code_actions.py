"""COG010: the function's role may make every AWS call the function's code makes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from iam_audit.checks.ask import finding
from iam_audit.checks.base import AuditTarget, CheckMeta, CodeCheck, Fixability, RoleKind
from iam_audit.checks.cog001_lambda_admin_initiate_auth import ACTION as ADMIN_INITIATE_AUTH
from iam_audit.checks.cog001_lambda_admin_initiate_auth import grant_fix
from iam_audit.checks.grants import grant_policy, judge_grants
from iam_audit.findings import Finding, Severity, Status
from iam_audit.model import Role

if TYPE_CHECKING:  # loaded only by a run that reads a function's code
    from iam_audit.codecalls.resolve import CodeFacts, ResolvedCall


def _fix(action: str, resource: str) -> dict[str, Any]:
    """The statement that grants one call; for COG001's grant, COG001's own statement."""
    if action.lower() == ADMIN_INITIATE_AUTH.lower():
        return grant_fix(resource)
    return grant_policy(action, resource)


class LambdaCodeActions(CodeCheck):
    """The migration function's role is allowed every AWS action its code calls, on its resource.

    **What it checks**
    Reads the function's package (never runs it): the boto3 and AWS SDK for JavaScript (v2 and
    v3) calls in its Python, JavaScript and TypeScript files, each mapped to its IAM action, and
    the resource the code names (a literal, or an environment variable set in the function's
    configuration). Asks the engine, for each action and resource, whether the role's identity
    policies and boundary allow it. Calls made with credentials the code obtains from
    ``sts:AssumeRole`` are judged by COG011, as is the ``sts:AssumeRole`` itself.

    **Why it matters**
    A role that passes COG001 still fails the migration when the code also calls
    ``AdminGetUser`` (the forgot-password flow), ``AdminListGroupsForUser`` (copying groups) or
    ``secretsmanager:GetSecretValue`` (the legacy database's password): the call fails with
    ``AccessDeniedException``, the trigger errors, and the user cannot sign in.

    **Example**
    A role allowed only ``cognito-idp:AdminInitiateAuth`` whose code branches on
    ``UserMigration_ForgotPassword`` and calls ``admin_get_user``.

    **Fix**
    One statement per missing action, on the resource the code names, in the inline policy
    ``iam-audit-cognito-import``. An explicit Deny or a boundary is reported, never patched over.

    **Known limits**
    Only calls the analyser can see: names passed between modules, attributes of objects other
    than ``self``, and computed method names are not followed (computed ones are listed in the
    notes). A resource
    the code computes, or names through an environment variable the configuration does not set,
    is reported unresolved (``warn``), never guessed. Secrets named by name (not ARN) are
    unresolved: their ARN ends in a random suffix. The IAM action is ``prefix:Operation``, which
    is the action AWS's service authorization reference gives for most operations.
    """

    meta: ClassVar[CheckMeta] = CheckMeta(
        id="COG010",
        slug="lambda-code-actions",
        severity=Severity.ERROR,
        summary="The migration Lambda role may make every AWS call the function's code makes",
        role_kind=RoleKind.LAMBDA,
        fixability=Fixability.SAFE,
    )

    def judge_code(self, target: AuditTarget, role: Role, code: CodeFacts) -> Iterator[Finding]:
        own = [c for c in code.own if not c.is_assume_role]
        if not own:
            yield finding(
                self.meta,
                role,
                Status.PASS,
                f"the code of {code.package} makes no AWS call with the role's own credentials"
                + (" (its sts:AssumeRole: COG011)" if code.assumptions else ""),
                locator=self.meta.id,
            )
            return
        needs: dict[tuple[str, str], list[ResolvedCall]] = {}
        unresolved: list[ResolvedCall] = []
        for call in own:
            if call.resource is None:
                unresolved.append(call)
            else:
                needs.setdefault((call.action, call.resource), []).append(call)
        for (action, resource), calls in sorted(needs.items()):
            fix = _fix(action, resource)
            found = judge_grants(self.meta, role, [(action, resource)], what="Lambda", fix=fix)
            where = ", ".join(dict.fromkeys(c.where for c in calls))
            yield replace(
                found,
                message=f"{found.message} (called at {where})",
                locator=f"{action} {resource}",
            )
        for call in unresolved:
            yield finding(
                self.meta,
                role,
                Status.WARN,
                f"the code calls {call.action} at {call.where} on a resource iam-audit cannot "
                f"resolve ({call.unresolved}); set it in the function's environment or pass "
                "--env KEY=VALUE",
                unresolved=(call.named_by,) if call.named_by else (),
                locator=f"{call.action} {call.where}",
            )
