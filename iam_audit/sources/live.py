"""Live source: reads roles, functions and pools from AWS through boto3.

Reads only what it is asked for, each document once: a managed policy attached to both roles is
fetched once. Every AWS error becomes an :class:`iam_audit.errors.IamAuditError` naming the
permission the auditor lacks (see ``policies/auditor-readonly.json``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from iam_audit import aws
from iam_audit.engine import parse_policy
from iam_audit.errors import InputError
from iam_audit.model import (
    Inventory,
    LambdaFunction,
    OrgPolicies,
    Origin,
    PolicyDocument,
    PolicyKind,
    Role,
    SourceKind,
    UserPool,
    parse_arn,
)
from iam_audit.sources.interface import may_name

__all__ = ["LiveSource", "read_function", "read_live_organization"]


class LiveSource:
    """The live account behind the default credential chain (or ``profile``)."""

    kind = SourceKind.LIVE

    def __init__(
        self, profile: str | None = None, region: str | None = None, session: Any = None
    ) -> None:
        self.session = session or aws.make_session(profile, region)
        self.region = region or self.session.region_name
        self._clients: dict[tuple[str, str | None, int], Any] = {}
        self._managed: dict[str, PolicyDocument | None] = {}
        self._roles: dict[str, Role] = {}
        self._account: str | None = None

    def client(self, service: str, region: str | None = None, retries: int = 0) -> Any:
        """One client per service, region and retry policy, made on first use."""
        key = (service, region, retries)
        if key not in self._clients:
            self._clients[key] = aws.client(
                self.session, service, region or self.region, retries=retries
            )
        return self._clients[key]

    # -- Source protocol -------------------------------------------------------------------

    def account_id(self) -> str | None:
        if self._account is None:
            identity = aws.call(self.client("sts"), "sts", "GetCallerIdentity")
            self._account = str(identity["Account"])
        return self._account

    def get_role(self, ref: str) -> Role:
        name = ref.rsplit("/", 1)[-1] if ref.startswith("arn:") else ref
        if name not in self._roles:
            self._roles[name] = self._read_role(name)
        return self._roles[name]

    def get_function(self, ref: str) -> LambdaFunction | None:
        return read_function(self.client("lambda", _region_of(ref) or self.region), ref)

    def get_user_pool(self, arn: str) -> UserPool | None:
        parsed = parse_arn(arn, expect_service="cognito-idp", what="user pool ARN")
        pool_id = parsed.resource.split("/", 1)[-1]
        idp = self.client("cognito-idp", parsed.region)
        try:
            pool = aws.call(idp, "cognito-idp", "DescribeUserPool", UserPoolId=pool_id)["UserPool"]
        except aws.ClientError as err:
            if aws.error_code(err) == "ResourceNotFoundException":
                return None
            raise
        lambda_config = pool.get("LambdaConfig") or {}
        return UserPool(
            arn=str(pool.get("Arn") or arn),
            pool_id=pool_id,
            origin=Origin(SourceKind.LIVE, arn),
            name=str(pool.get("Name", "")),
            migration_lambda_arn=lambda_config.get("UserMigration"),
            import_logs_role_arns=self._import_logs_roles(idp, pool_id),
            sms_role_arn=(pool.get("SmsConfiguration") or {}).get("SnsCallerArn"),
        )

    def inventory(self) -> Inventory:
        """Live discovery is driven from the pool; no account-wide listing here."""
        return Inventory()

    def trusted_roles(self, service: str) -> tuple[Role, ...]:
        """The roles whose trust policy names ``service`` or a ``*`` (``iam:ListRoles``, then each
        read in full): the logs-role candidates of discovery; the engine judges each trust."""
        iam = self.client("iam")
        names = []
        for role in aws.paginate(iam, "iam", "ListRoles", "Roles"):
            raw = role.get("AssumeRolePolicyDocument") or ""
            text = unquote(raw) if isinstance(raw, str) else json.dumps(raw)
            if may_name(text, service):
                names.append(str(role["RoleName"]))
        return tuple(self.get_role(name) for name in sorted(names))

    # -- reading ---------------------------------------------------------------------------

    def _import_logs_roles(self, idp: Any, pool_id: str) -> tuple[str, ...]:
        """The logs roles the pool's import jobs name (empty when the API is unavailable)."""
        quick = self.client("cognito-idp", idp.meta.region_name, retries=1)
        try:
            jobs = aws.call(
                quick, "cognito-idp", "ListUserImportJobs", UserPoolId=pool_id, MaxResults=60
            )
        except (aws.ClientError, NotImplementedError):
            return ()
        except Exception as err:  # moto's server answers unimplemented calls with HTML
            if type(err).__name__ in ("ResponseParserError", "ParamValidationError"):
                return ()
            raise
        arns = {j["CloudWatchLogsRoleArn"] for j in jobs.get("UserImportJobs", [])}
        return tuple(sorted(a for a in arns if a))

    def _read_role(self, name: str) -> Role:
        iam = self.client("iam")
        try:
            role = aws.call(iam, "iam", "GetRole", RoleName=name)["Role"]
        except aws.ClientError as err:
            if aws.error_code(err) == "NoSuchEntity":
                raise InputError(f"role {name!r} does not exist in this account") from None
            raise
        arn = role["Arn"]
        trust = _parse(role.get("AssumeRolePolicyDocument"), "trust", PolicyKind.TRUST, arn)
        inline = []
        for policy_name in aws.paginate(
            iam, "iam", "ListRolePolicies", "PolicyNames", RoleName=name
        ):
            doc = aws.call(iam, "iam", "GetRolePolicy", RoleName=name, PolicyName=policy_name)
            inline.append(_parse(doc["PolicyDocument"], policy_name, PolicyKind.INLINE, arn))
        managed: list[PolicyDocument] = []
        unknown: list[str] = []
        for attached in aws.paginate(
            iam, "iam", "ListAttachedRolePolicies", "AttachedPolicies", RoleName=name
        ):
            document = self.managed_policy(attached["PolicyArn"])
            if document is None:
                unknown.append(attached["PolicyArn"])
            else:
                managed.append(document)
        boundary_arn = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        boundary = None
        if boundary_arn:
            found = self.managed_policy(boundary_arn)
            if found is not None:
                boundary = PolicyDocument(
                    boundary_arn,
                    PolicyKind.BOUNDARY,
                    found.document,
                    found.origin,
                    found.text,
                    validated=found.validated,
                )
        return Role(
            arn=arn,
            name=role["RoleName"],
            origin=Origin(SourceKind.LIVE, arn),
            trust=trust,
            inline=tuple(inline),
            managed=tuple(managed),
            boundary=boundary,
            boundary_arn=boundary_arn,
            unknown_managed=tuple(sorted(unknown)),
            path=role.get("Path", "/"),
            tags=tuple((t["Key"], t["Value"]) for t in role.get("Tags") or ()),
        )

    def managed_policy(self, arn: str) -> PolicyDocument | None:
        """The default version of a managed policy, fetched once per run."""
        if arn not in self._managed:
            iam = self.client("iam")
            try:
                policy = aws.call(iam, "iam", "GetPolicy", PolicyArn=arn)["Policy"]
                version = aws.call(
                    iam,
                    "iam",
                    "GetPolicyVersion",
                    PolicyArn=arn,
                    VersionId=policy["DefaultVersionId"],
                )["PolicyVersion"]
            except aws.ClientError as err:
                if aws.error_code(err) != "NoSuchEntity":
                    raise
                self._managed[arn] = None
            else:
                parsed = _parse(version["Document"], arn, PolicyKind.MANAGED, arn)
                self._managed[arn] = PolicyDocument(
                    arn,
                    PolicyKind.MANAGED,
                    parsed.document,
                    parsed.origin,
                    parsed.text,
                    version_id=version.get("VersionId"),
                    validated=parsed.validated,
                )
        return self._managed[arn]


def read_function(lam: Any, ref: str) -> LambdaFunction | None:
    """A function's configuration and resource policy; ``None`` when it does not exist."""
    try:
        config = aws.call(lam, "lambda", "GetFunctionConfiguration", FunctionName=ref)
    except aws.ClientError as err:
        if aws.error_code(err) == "ResourceNotFoundException":
            return None
        raise
    policy = None
    try:
        raw = aws.call(lam, "lambda", "GetPolicy", FunctionName=config["FunctionArn"])
    except aws.ClientError as err:
        if aws.error_code(err) != "ResourceNotFoundException":
            raise
    else:
        policy = parse_policy(
            raw["Policy"],
            name=f"{config['FunctionName']} resource policy",
            kind=PolicyKind.RESOURCE,
            location=config["FunctionArn"],
        )
    env = (config.get("Environment") or {}).get("Variables") or {}
    return LambdaFunction(
        arn=config["FunctionArn"],
        name=config["FunctionName"],
        role_arn=config["Role"],
        origin=Origin(SourceKind.LIVE, config["FunctionArn"]),
        environment=tuple(sorted(env.items())),
        resource_policy=policy,
        handler=config.get("Handler"),
        runtime=config.get("Runtime"),
        timeout=config.get("Timeout"),
    )


_ORG_LISTS = {"ListParents": "Parents", "ListPoliciesForTarget": "Policies"}


def read_live_organization(session: Any, account_id: str) -> tuple[OrgPolicies | None, str]:
    """The SCPs and RCPs of ``account_id`` from AWS Organizations, and a note (see
    :func:`iam_audit.sources.organizations.read_organization`)."""
    from iam_audit.sources.organizations import OrganizationsUnreadable, read_organization

    org = aws.client(session, "organizations", session.region_name or "us-east-1")

    def call(operation: str, kwargs: dict[str, Any]) -> Any:
        try:
            if operation in _ORG_LISTS:
                return list(
                    aws.paginate(org, "organizations", operation, _ORG_LISTS[operation], **kwargs)
                )
            answer = aws.call(org, "organizations", operation, **kwargs)
        except aws.ClientError as err:
            code = aws.error_code(err)
            if code == "AWSOrganizationsNotInUseException":
                return None
            if code in ("PolicyTypeNotEnabledException", "InvalidInputException"):
                raise InputError(f"{operation}: {code}") from None
            raise OrganizationsUnreadable(f"{operation}: {code or err}") from None
        if operation == "DescribeOrganization":
            return answer.get("Organization", {})
        if operation == "DescribePolicy":
            return answer["Policy"]
        return answer

    return read_organization(call, account_id)


def _parse(value: Any, name: str, kind: PolicyKind, arn: str) -> PolicyDocument:
    text = json.dumps(value) if isinstance(value, dict) else None
    parsed = parse_policy(value, name=name, kind=kind, location=f"{arn} {name}")
    return PolicyDocument(
        name,
        kind,
        parsed.document,
        Origin(SourceKind.LIVE, arn, name),
        parsed.text or text,
        validated=parsed.validated,
    )


def _region_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] if arn.startswith("arn:") and len(parts) > 3 and parts[3] else None
