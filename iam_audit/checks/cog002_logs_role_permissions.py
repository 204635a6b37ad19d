"""COG002: the CSV-import logs role may write the pool's import logs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from iam_audit.checks.base import AuditTarget, CheckMeta, Fixability, RoleCheck, RoleKind
from iam_audit.checks.grants import judge_grants
from iam_audit.checks.logs import LogGroup
from iam_audit.findings import Finding, Severity
from iam_audit.model import Role, parse_arn
from iam_audit.templates import fill

LOG_ACTIONS = (
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
)


def import_log_group(pool_arn: str, pool_name: str = "*") -> LogGroup:
    """``/aws/cognito/userpools/POOL_ID/POOL_NAME``: where Cognito writes a pool's import logs."""
    arn = parse_arn(pool_arn, expect_service="cognito-idp", what="user pool ARN")
    pool_id = arn.resource.split("/", 1)[-1]
    return LogGroup(
        arn.partition, arn.region, arn.account, f"/aws/cognito/userpools/{pool_id}/{pool_name}"
    )


class LogsRolePermissions(RoleCheck):
    """The CSV-import logs role is allowed the log actions AWS documents on ``/aws/cognito/``.

    **What it checks**
    ``logs:CreateLogGroup``, ``logs:CreateLogStream`` and ``logs:DescribeLogStreams`` on the log
    group ``/aws/cognito/userpools/POOL_ID/POOL_NAME`` of the import pool (``--user-pool-arn``),
    and ``logs:PutLogEvents`` on its streams (one stream per job, ``JOB_ID/JOB_NAME``), each on the
    resource AWS authorizes it on: ``log-group:NAME:*`` grants the group's actions, the bare
    ``log-group:NAME`` (the form for tagging actions) does not.

    **Why it matters**
    Without them the import job fails before reading a row: "The Amazon CloudWatch Logs role cannot
    be assumed, doesn't have the correct access policy, or has been deleted".

    **Example**
    A role allowed only ``logs:PutLogEvents``, or scoped to ``/aws/lambda/*``.

    **Fix**
    The policy AWS documents, with the pool's partition, region and account:
    ``logs:CreateLogGroup``, ``logs:CreateLogStream``, ``logs:DescribeLogStreams``,
    ``logs:PutLogEvents`` on ``arn:PARTITION:logs:REGION:ACCOUNT:log-group:/aws/cognito/*``.

    **Known limits**
    When the pool's name is unknown (offline), the log group is checked as
    ``/aws/cognito/userpools/POOL_ID/*``: a policy naming one exact pool name is judged against
    that pattern.
    """

    meta: ClassVar[CheckMeta] = CheckMeta(
        id="COG002",
        slug="logs-role-permissions",
        severity=Severity.ERROR,
        summary="The CSV-import logs role may create and write the pool's /aws/cognito/ log streams",
        role_kind=RoleKind.LOGS,
        fixability=Fixability.SAFE,
    )

    def judge(self, target: AuditTarget, role: Role) -> Iterator[Finding]:
        if target.user_pool_arn is None:
            yield self.skip(
                role,
                "no import pool: pass --user-pool-arn or --user-pool-id",
                needs="--user-pool-arn or --user-pool-id",
            )
            return
        pool = parse_arn(target.user_pool_arn, expect_service="cognito-idp", what="user pool ARN")
        needs = import_log_group(target.user_pool_arn).needs(LOG_ACTIONS)
        fix = fill(
            "logs-role-permissions.json",
            Partition=pool.partition,
            Region=pool.region,
            Account=pool.account,
        )
        yield judge_grants(self.meta, role, needs, what="Logs", fix=fix)
