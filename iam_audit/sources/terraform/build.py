"""Building a resolved plan's roles, functions (with their permissions) and user pools."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from msgspec import structs

from iam_audit.model import (
    LambdaFunction,
    Origin,
    PolicyDocument,
    PolicyKind,
    SourceKind,
    UserPool,
)
from iam_audit.sources.lambda_permission import permission_statement
from iam_audit.sources.roles import RoleParts, role_parts, tag_pairs
from iam_audit.sources.static import StaticSource
from iam_audit.sources.symbolic import unresolved, unresolved_in
from iam_audit.sources.terraform.resolve import _Plan, _Resource

__all__ = ["PlanSource"]


class PlanSource(StaticSource):
    """The roles, functions and user pools of one Terraform plan.

    Roles are found by resource address (``aws_iam_role.logs``, ``module.m.aws_iam_role.x``),
    name or ARN; the account is ``--account-id``, else ``data.aws_caller_identity`` in the plan.
    """

    kind: SourceKind = SourceKind.TERRAFORM


class _Builder:
    def __init__(self, plan: _Plan) -> None:
        self.plan = plan
        self.location = str(plan.path)

    def origin(self, address: str) -> Origin:
        return Origin(SourceKind.TERRAFORM, self.location, pointer=address)

    def of_type(self, rtype: str, mode: str = "managed") -> Iterator[_Resource]:
        for address in sorted(self.plan.resources):
            resource = self.plan.resources[address]
            if resource.type == rtype and resource.mode == mode:
                yield resource

    def _policy(
        self, value: Any, address: str, *, name: str, kind: PolicyKind
    ) -> PolicyDocument | None:
        from iam_audit.engine import parse_policy

        if not isinstance(value, str | dict) or value == "":
            return None
        if isinstance(value, str) and not value.lstrip().startswith("{"):
            # Terraform writes every known policy as JSON text; anything else was followed from
            # a reference inside the expression (``jsonencode({... Resource = x.arn})`` reaches
            # the plan as just ``x.arn``): the document is unknown until apply.
            return None
        document = parse_policy(value, name=name, kind=kind, location=f"{self.location} {address}")
        return structs.replace(document, origin=self.origin(address))

    def _unknown_policy(self, address: str, what: str, marks: set[str]) -> None:
        mark = unresolved(address, what)
        marks.add(mark)
        self.plan.notes.add(f"{address}: {what} is unknown until apply; its policy is not judged")

    def roles(self) -> dict[str, RoleParts]:
        plan = self.plan
        out: dict[str, RoleParts] = {}
        for resource in self.of_type("aws_iam_role"):
            marks: set[str] = set()
            arn = str(plan.attribute(resource, ("arn",), marks))
            name = str(plan.attribute(resource, ("name",), marks))
            path_value = plan.value(resource, "path", marks=marks)
            role_path = path_value if isinstance(path_value, str) and path_value else "/"
            trust_value = plan.value(resource, "assume_role_policy", marks=marks)
            trust = self._policy(trust_value, resource.address, name="trust", kind=PolicyKind.TRUST)
            if trust is None:
                self._unknown_policy(resource.address, "assume_role_policy", marks)
            inline: list[PolicyDocument] = []
            blocks = plan.value(resource, "inline_policy", marks=marks)
            for index, block in enumerate(blocks if isinstance(blocks, list) else []):
                policy_name = plan.value(resource, "inline_policy", index, "name", marks=marks)
                policy = plan.value(resource, "inline_policy", index, "policy", marks=marks)
                if not isinstance(block, dict) or not policy_name:
                    continue
                document = self._policy(
                    policy, resource.address, name=str(policy_name), kind=PolicyKind.INLINE
                )
                if document is None:
                    self._unknown_policy(resource.address, f"inline_policy {policy_name}", marks)
                else:
                    inline.append(document)
            managed_value = plan.value(resource, "managed_policy_arns", marks=marks)
            managed = [str(a) for a in managed_value] if isinstance(managed_value, list) else []
            boundary = plan.value(resource, "permissions_boundary", marks=marks)
            out[resource.address] = role_parts(
                key=resource.address,
                arn=arn,
                name=name,
                path=role_path,
                origin=self.origin(resource.address),
                trust=trust,
                inline=inline,
                managed_arns=managed,
                boundary_arn=boundary if isinstance(boundary, str) and boundary else None,
                tags=tag_pairs(plan.value(resource, "tags", marks=marks)),
                marks=marks,
            )
        return out

    def _targets(self, roles: Mapping[str, RoleParts], value: Any) -> list[RoleParts]:
        if not isinstance(value, str):
            return []
        return [p for p in roles.values() if value in (p.name, p.arn)]

    def _role_targets(
        self, roles: Mapping[str, RoleParts], resource: _Resource, key: str, marks: set[str]
    ) -> list[RoleParts]:
        """The roles a policy resource's ``key`` names (a role name or ARN).

        When the plan cannot tell which role, the policy is not dropped: it may land on any role
        of the plan, so every role lists ``<Unresolved.ADDRESS.KEY>`` among the managed policies
        the source does not hold (a grant it lacks is then ``warn``, never ``fail``), and none
        gets the policy's statements (nothing passes on them). No role is returned.
        """
        value = self.plan.value(resource, key, marks=marks)
        if isinstance(value, str) and value:
            return self._targets(roles, value)
        mark = unresolved(resource.address, key)
        self.plan.notes.add(
            f"{resource.address}: {key} is unknown until apply; the policy may land on any role "
            "of the plan and counts as unknown on each"
        )
        for parts in roles.values():
            parts.marks.add(mark)
            if mark not in parts.managed_arns:
                parts.managed_arns.append(mark)
        return []

    def attach(self, roles: Mapping[str, RoleParts]) -> dict[str, PolicyDocument]:
        """Attach role policies and managed policies; apply the ``*_exclusive`` resources."""
        plan = self.plan
        for resource in self.of_type("aws_iam_role_policy"):
            marks: set[str] = set()
            targets = self._role_targets(roles, resource, "role", marks)
            name = plan.value(resource, "name", marks=marks)
            policy = plan.value(resource, "policy", marks=marks)
            document = self._policy(
                policy, resource.address, name=str(name), kind=PolicyKind.INLINE
            )
            for parts in targets:
                if document is None:
                    self._unknown_policy(resource.address, "policy", parts.marks)
                    continue
                parts.inline.append(document)
                parts.marks |= marks | unresolved_in(document.document)
        managed: dict[str, PolicyDocument] = {}
        for resource in self.of_type("aws_iam_policy"):
            marks = set()
            arn = str(plan.attribute(resource, ("arn",), marks))
            document = self._policy(
                plan.value(resource, "policy", marks=marks),
                resource.address,
                name=arn,
                kind=PolicyKind.MANAGED,
            )
            if document is not None:
                managed[arn] = document
        for resource in self.of_type("aws_iam_role_policy_attachment"):
            marks = set()
            arn = plan.value(resource, "policy_arn", marks=marks)
            if not isinstance(arn, str) or not arn:
                arn = unresolved(resource.address, "policy_arn")
                plan.notes.add(
                    f"{resource.address}: policy_arn is unknown until apply; "
                    "the policy it attaches is not judged"
                )
            for parts in self._role_targets(roles, resource, "role", marks):
                if arn not in parts.managed_arns:
                    parts.managed_arns.append(arn)
                    parts.marks |= marks | unresolved_in(arn)
        for resource in self.of_type("aws_iam_role_policies_exclusive"):
            marks = set()
            names = plan.value(resource, "policy_names", marks=marks)
            for parts in self._targets(roles, plan.value(resource, "role_name", marks=marks)):
                if isinstance(names, list):
                    kept = [d for d in parts.inline if d.name in names]
                    dropped = sorted(d.name for d in parts.inline if d.name not in names)
                    parts.inline[:] = kept
                    if dropped:
                        plan.notes.add(
                            f"{resource.address} removes inline policies {', '.join(dropped)} "
                            f"from {parts.name}"
                        )
        for resource in self.of_type("aws_iam_role_policy_attachments_exclusive"):
            marks = set()
            arns = plan.value(resource, "policy_arns", marks=marks)
            for parts in self._targets(roles, plan.value(resource, "role_name", marks=marks)):
                if isinstance(arns, list):
                    parts.managed_arns[:] = [str(a) for a in arns]
                    parts.marks |= marks | unresolved_in(arns)
        return managed

    def functions(self) -> dict[str, LambdaFunction]:
        plan = self.plan
        permissions: list[tuple[str, dict[str, Any], str]] = []
        for resource in self.of_type("aws_lambda_permission"):
            marks: set[str] = set()
            target = plan.value(resource, "function_name", marks=marks)
            sid = plan.value(resource, "statement_id", marks=marks)
            statement = permission_statement(
                sid if isinstance(sid, str) and sid else resource.address,
                str(plan.value(resource, "principal", marks=marks)),
                str(plan.value(resource, "action", marks=marks)),
                str(target),
                source_arn=plan.value(resource, "source_arn", marks=marks),
                source_account=plan.value(resource, "source_account", marks=marks),
                principal_org_id=plan.value(resource, "principal_org_id", marks=marks),
                function_url_auth_type=plan.value(resource, "function_url_auth_type", marks=marks),
            )
            if isinstance(target, str):
                permissions.append((target, statement, resource.address))
        out: dict[str, LambdaFunction] = {}
        for resource in self.of_type("aws_lambda_function"):
            marks = set()
            arn = str(plan.attribute(resource, ("arn",), marks))
            name = str(plan.attribute(resource, ("function_name",), marks))
            role = plan.value(resource, "role", marks=marks)
            variables = plan.value(resource, "environment", 0, "variables", marks=marks)
            env = (
                tuple(sorted((str(k), str(v)) for k, v in variables.items()))
                if isinstance(variables, dict)
                else ()
            )
            statements = [
                {**s, "Resource": arn} for target, s, _ in permissions if target in (arn, name)
            ]
            policy = None
            if statements:
                first = next(a for t, _, a in permissions if t in (arn, name))
                policy = self._policy(
                    {"Version": "2012-10-17", "Id": "default", "Statement": statements},
                    first,
                    name=f"{name} resource policy",
                    kind=PolicyKind.RESOURCE,
                )
            timeout = plan.value(resource, "timeout", marks=marks)
            handler = plan.value(resource, "handler", marks=marks)
            runtime = plan.value(resource, "runtime", marks=marks)
            out[resource.address] = LambdaFunction(
                arn=arn,
                name=name,
                role_arn=role if isinstance(role, str) else "",
                origin=self.origin(resource.address),
                environment=env,
                resource_policy=policy,
                handler=handler if isinstance(handler, str) else None,
                runtime=runtime if isinstance(runtime, str) else None,
                timeout=timeout if isinstance(timeout, int) else None,
                code_path=self._code_path(resource, marks),
            )
        return out

    def _code_path(self, resource: _Resource, marks: set[str]) -> str | None:
        """The package ``filename`` names (relative to the plan's folder, where terraform ran),
        or the ``source_dir`` of the ``archive_file`` whose ``output_path`` it is."""
        filename = self.plan.value(resource, "filename", marks=marks)
        if not isinstance(filename, str) or not filename:
            return None
        base = Path(self.location).parent
        for archive in self.of_type("archive_file", mode="data"):
            output = self.plan.value(archive, "output_path", marks=marks)
            source_dir = self.plan.value(archive, "source_dir", marks=marks)
            if output == filename and isinstance(source_dir, str) and source_dir:
                return str(base / source_dir)
        return str(base / filename)

    def user_pools(self) -> dict[str, UserPool]:
        plan = self.plan
        out: dict[str, UserPool] = {}
        for resource in self.of_type("aws_cognito_user_pool"):
            marks: set[str] = set()
            migration = plan.value(resource, "lambda_config", 0, "user_migration", marks=marks)
            name = plan.value(resource, "name", marks=marks)
            sms_role = plan.value(resource, "sms_configuration", 0, "sns_caller_arn", marks=marks)
            out[resource.address] = UserPool(
                arn=str(plan.attribute(resource, ("arn",), marks)),
                pool_id=str(plan.attribute(resource, ("id",), marks)),
                origin=self.origin(resource.address),
                name=name if isinstance(name, str) else "",
                migration_lambda_arn=migration
                if isinstance(migration, str) and migration
                else None,
                sms_role_arn=sms_role if isinstance(sms_role, str) and sms_role else None,
            )
        return out
