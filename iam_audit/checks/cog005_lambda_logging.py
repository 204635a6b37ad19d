"""COG005: the migration Lambda may write its own logs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from iam_audit.checks.base import AuditTarget, CheckMeta, Fixability, RoleCheck, RoleKind
from iam_audit.checks.grants import judge_grants
from iam_audit.checks.logs import LogGroup
from iam_audit.findings import Finding, Severity
from iam_audit.model import Role, parse_arn
from iam_audit.templates import fill

#: What the function's own logging calls: Lambda creates one stream per instance and writes to it.
NEEDED = ("logs:CreateLogStream", "logs:PutLogEvents")


class LambdaLogging(RoleCheck):
    """The Lambda role may write its own logs under ``/aws/lambda/``.

    **What it checks**
    ``logs:CreateLogStream`` and ``logs:PutLogEvents`` on the streams of
    ``/aws/lambda/FUNCTION`` in the function's region and account (the import pool's when the
    function is unknown; ``FUNCTION`` is then ``*``), each on the resource AWS authorizes it on:
    the Lambda console's ``log-group:/aws/lambda/FUNCTION:*`` and Amplify's
    ``log-group:/aws/lambda/FUNCTION:log-stream:*`` both grant them; the bare
    ``log-group:/aws/lambda/FUNCTION`` (the form for tagging actions) does not.

    **Why it matters**
    Without them the trigger's own errors (``Runtime.ImportModuleError``,
    ``Runtime.UserCodeSyntaxError``, ``AccessDeniedException``) never reach CloudWatch Logs, and the
    sign-in just fails with a generic Lambda error.

    **Example**
    A role with only the AdminInitiateAuth statement.

    **Fix**
    ``logs:CreateLogGroup``, ``logs:CreateLogStream``, ``logs:PutLogEvents`` on
    ``log-group:/aws/lambda/FUNCTION:*`` (what ``AWSLambdaBasicExecutionRole`` grants, scoped to
    the one function).

    **Known limits**
    ``logs:CreateLogGroup`` is not required: the group is often created by the deployment.
    """

    meta: ClassVar[CheckMeta] = CheckMeta(
        id="COG005",
        slug="lambda-logging",
        severity=Severity.WARNING,
        summary="The migration Lambda role may write its own /aws/lambda/ logs",
        role_kind=RoleKind.LAMBDA,
        fixability=Fixability.SAFE,
    )

    def judge(self, target: AuditTarget, role: Role) -> Iterator[Finding]:
        scope_arn = (
            (target.function.arn if target.function else None)
            or target.user_pool_arn
            or target.source_pool_arn
        )
        if scope_arn is None:
            yield self.skip(role, "no region known for the function: pass --user-pool-arn")
            return
        scope = parse_arn(scope_arn)
        function = target.function.name if target.function else "*"
        group = LogGroup(scope.partition, scope.region, scope.account, f"/aws/lambda/{function}")
        needs = group.needs(NEEDED)
        fix = fill("lambda-logging.json", LogGroupPolicyArn=group.policy_arn)
        yield judge_grants(self.meta, role, needs, what="Lambda", fix=fix)
