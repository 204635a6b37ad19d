"""COG009: Cognito may invoke the migration function, for this pool only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from iam_audit.checks.ask import evidence_of, finding
from iam_audit.checks.base import AuditTarget, CheckMeta, Fixability, RoleKind
from iam_audit.engine import (
    ContextMode,
    Decision,
    EvalResult,
    Principal,
    PrincipalKind,
    Request,
    evaluate,
)
from iam_audit.findings import Finding, Severity, Status
from iam_audit.model import LambdaFunction, PolicyDocument
from iam_audit.render.escape import shell_command

ACTION = "lambda:InvokeFunction"
SERVICE = "cognito-idp.amazonaws.com"
STATEMENT_ID = "cognito-idp-user-migration"


def add_permission_command(function: LambdaFunction, pool_arn: str) -> str:
    """The AWS CLI command that grants Cognito, from ``pool_arn`` only, the right to invoke.

    Every value is shell-quoted: a template's ARN may hold ``<`` (an unresolved ``<UserPool>``),
    spaces or ``$(…)``.
    """
    return shell_command(
        [
            *("aws", "lambda", "add-permission", "--function-name", function.arn),
            *("--statement-id", STATEMENT_ID, "--action", ACTION, "--principal", SERVICE),
            *("--source-arn", pool_arn),
        ]
    )


def _account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def _probe_pool(pool_arn: str, account: str) -> str:
    """A user pool ARN in ``account`` that is certainly not ``pool_arn``."""
    parts = pool_arn.split(":")
    region = parts[3] if len(parts) > 5 and parts[3] else "us-east-1"
    partition = parts[1] if len(parts) > 5 else "aws"
    return f"arn:{partition}:cognito-idp:{region}:{account}:userpool/{region}_iamAuditProbe"


def ask_invoke(policy: PolicyDocument, function: LambdaFunction, pool_arn: str) -> EvalResult:
    """May Cognito, acting for ``pool_arn``, invoke ``function`` under its resource policy?

    The request is the one Lambda sees when Cognito calls a trigger: principal
    ``cognito-idp.amazonaws.com``, ``aws:SourceArn`` the pool, ``aws:SourceAccount`` the pool's
    account. ``REQUEST`` mode: any other key the policy asks for is absent, as it would be.
    """
    account = _account(pool_arn)
    request = Request(
        action=ACTION,
        resource=function.arn,
        principal=Principal(PrincipalKind.SERVICE, SERVICE),
        context={"aws:SourceArn": (pool_arn,), "aws:SourceAccount": (account,)},
        mode=ContextMode.REQUEST,
    )
    return evaluate(
        request, resource_policy=policy, resource_account=_account(function.arn) or None
    )


def _depends_on_source(policy: PolicyDocument, function: LambdaFunction) -> tuple[str, ...]:
    """The condition keys on which some grant to Cognito hinges, when the source is left open.

    Asks for the same invocation with no ``aws:SourceArn``/``aws:SourceAccount`` in an ``OPEN``
    context: if some value of the keys would allow it, a statement does grant Cognito, only for
    other sources. Returns those keys, or ``()`` when no value would do.
    """
    request = Request(
        action=ACTION,
        resource=function.arn,
        principal=Principal(PrincipalKind.SERVICE, SERVICE),
        mode=ContextMode.OPEN,
    )
    result = evaluate(
        request, resource_policy=policy, resource_account=_account(function.arn) or None
    )
    return result.unresolved if result.conditional else ()


class LambdaInvokePermission:
    """The migration function's resource policy lets Cognito invoke it, scoped to the import pool.

    **What it checks**
    Evaluates the function's resource-based policy (``lambda get-policy``) for
    ``lambda:InvokeFunction`` by the service principal ``cognito-idp.amazonaws.com`` with
    ``aws:SourceArn`` set to the pool that owns the ``UserMigration`` trigger and
    ``aws:SourceAccount`` to its account: the request Lambda sees when Cognito calls the
    trigger. When that is allowed, it asks again for another pool of the same account and for a
    pool of an unrelated account.

    **Why it matters**
    Without the permission Cognito cannot call the trigger and every migrating sign-in fails with
    a generic Lambda error. A permission bound by ``AWS:SourceArn`` to another pool (an old pool,
    a pool recreated by a stack update) fails the same way, silently: the statement is there, it
    just never matches. A permission with no ``AWS:SourceArn`` lets any user pool, in any
    account, make Cognito call the function for it (the confused deputy).

    **Example**
    A function created with the API or infrastructure as code and wired to the pool with
    ``update-user-pool``: only the console adds the permission by itself.

    **Fix**
    ``aws lambda add-permission --function-name FUNCTION_ARN --statement-id
    cognito-idp-user-migration --action lambda:InvokeFunction --principal
    cognito-idp.amazonaws.com --source-arn POOL_ARN`` (the finding prints it filled in).
    ``fix`` does not write Lambda permissions.

    **Known limits**
    Skipped when the source holds no Lambda functions (an authorization-details file): live
    ``audit`` and ``scan`` read ``get-policy``, templates and plans their Lambda permissions. The request carries
    only the two source keys; a statement that asks for any other key is judged as if the key
    were absent, and the key is listed as unresolved.
    """

    meta: ClassVar[CheckMeta] = CheckMeta(
        id="COG009",
        slug="lambda-invoke-permission",
        severity=Severity.ERROR,
        summary="Cognito may invoke the migration function, bound by AWS:SourceArn to the pool",
        role_kind=RoleKind.LAMBDA,
        fixability=Fixability.NONE,
    )

    def run(self, target: AuditTarget) -> Iterator[Finding]:
        function = target.function
        pool = target.user_pool_arn
        role = target.lambda_role
        if function is None:
            # With no Lambda role either, the reason is the same for both (no trigger, no role).
            reason = (
                target.lambda_skip_reason
                if role is None
                else "the migration function is unknown to this source (a live audit, a scan, a "
                "template or a plan reads its resource policy)"
            )
            yield finding(self.meta, role, Status.SKIP, reason, locator=self.meta.id)
            return
        arn = role.arn if role else function.role_arn
        if pool is None:
            yield finding(
                self.meta,
                role,
                Status.SKIP,
                f"no user pool: pass --user-pool-arn to check who may invoke {function.name}",
                role_arn=arn,
                locator=function.arn,
            )
            return
        command = add_permission_command(function, pool)
        policy = function.resource_policy
        if policy is None:
            yield finding(
                self.meta,
                role,
                Status.FAIL,
                f"function {function.name} has no resource policy, so {SERVICE} may not invoke "
                f"it for pool {pool}; run: {command}",
                role_arn=arn,
                missing=(ACTION,),
                locator=function.arn,
            )
            return
        result = ask_invoke(policy, function, pool)
        evidence = evidence_of(result.matched)
        if result.decision is Decision.EXPLICIT_DENY:
            yield finding(
                self.meta,
                role,
                Status.FAIL,
                f"a Deny in the resource policy of {function.name} stops {SERVICE} from invoking "
                "it; remove or narrow that Deny",
                role_arn=arn,
                evidence=evidence,
                missing=(ACTION,),
                unresolved=result.unresolved,
                locator=function.arn,
            )
            return
        if not result.allowed:
            keys = _depends_on_source(policy, function)
            if keys:
                why = (
                    f"a statement grants {SERVICE}, but its conditions on {', '.join(keys)} do "
                    f"not match pool {pool}: a permission bound to another pool's ARN is the "
                    "usual cause, and it fails silently (the trigger just errors)"
                )
            else:
                why = f"no statement lets {SERVICE} invoke it"
            yield finding(
                self.meta,
                role,
                Status.FAIL,
                f"function {function.name}: {why}; run: {command}",
                role_arn=arn,
                missing=(ACTION,),
                unresolved=result.unresolved,
                locator=function.arn,
            )
            return
        account = _account(pool)
        foreign = "999999999999" if account != "999999999999" else "888888888888"
        if ask_invoke(policy, function, _probe_pool(pool, foreign)).allowed:
            scope = "any user pool in any account"
        elif ask_invoke(policy, function, _probe_pool(pool, account)).allowed:
            scope = f"any user pool in account {account}"
        else:
            yield finding(
                self.meta,
                role,
                Status.PASS,
                f"{SERVICE} may invoke {function.name} for pool {pool} only",
                role_arn=arn,
                evidence=evidence,
                locator=function.arn,
            )
            return
        yield finding(
            self.meta,
            role,
            Status.WARN,
            f"{SERVICE} may invoke {function.name} for {scope}, not only pool {pool} (no "
            f"AWS:SourceArn condition binds it: a confused deputy); replace the statement with: "
            f"{command}",
            role_arn=arn,
            evidence=evidence,
            locator=function.arn,
        )
