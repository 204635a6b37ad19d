"""Building a resolved template's roles, functions (with their permissions), user pools, outputs
and nested stacks.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from msgspec import structs

from iam_audit.model import (
    JSON,
    LambdaFunction,
    Origin,
    PolicyDocument,
    PolicyKind,
    SourceKind,
    UserPool,
)
from iam_audit.sources.cloudformation.decode import _escape, _key_line, _line, _unescape, _Written
from iam_audit.sources.cloudformation.resolve import _NO_VALUE, _Resolver
from iam_audit.sources.lambda_permission import permission_statement
from iam_audit.sources.roles import RoleParts, role_parts, tag_pairs
from iam_audit.sources.static import StaticSource
from iam_audit.sources.symbolic import has_placeholder, unresolved_in

__all__ = ["NestedStack", "TemplateSource"]


#: Amplify Gen 1 uploads category templates as ``…/amplify-cfn-templates/CATEGORY/FILE``.
_AMPLIFY_URL_RE = re.compile(r"/amplify-cfn-templates/([^/]+)/([^/?]+)$")


def _amplify_template(root: Path, url: str) -> Path | None:
    """The local copy of an Amplify Gen 1 category template the root stack names by S3 URL.

    The Amplify CLI builds each category stack to ``amplify/backend/CATEGORY/RESOURCE/build/FILE``
    and copies it under ``amplify/backend/awscloudformation/build/CATEGORY/RESOURCE/build/``
    beside the root stack; either is the same template. ``None`` unless exactly one file fits.
    """
    match = _AMPLIFY_URL_RE.search(url)
    if match is None:
        return None
    category, name = match.groups()
    build = root.parent  # amplify/backend/awscloudformation/build
    near = sorted(p for p in (build / category).glob(f"*/build/{name}") if p.is_file())
    far = sorted(p for p in (build.parent.parent / category).glob(f"*/build/{name}") if p.is_file())
    candidates = near or far  # the copy beside the root stack is the one deployed
    return candidates[0] if len(candidates) == 1 else None


class TemplateSource(StaticSource):
    """The roles, functions and user pools of one CloudFormation template.

    Roles are found by logical ID, ``RoleName`` (or generated-name placeholder) or ARN; functions
    also by a qualified ARN or name (the ``:alias``/``:version`` is ignored).
    """

    kind: SourceKind = SourceKind.CLOUDFORMATION

    def get_function(self, ref: str) -> LambdaFunction | None:
        return super().get_function(_unqualified(ref))


def _unqualified(ref: str) -> str:
    """A function ARN or name without its ``:alias``/``:version`` qualifier."""
    parts = ref.split(":")
    if ref.startswith("arn:") and len(parts) == 8:
        return ":".join(parts[:7])
    if not ref.startswith("arn:") and len(parts) == 2:
        return parts[0]
    return ref


class _Builder:
    """Turns a decoded template into roles, functions and pools."""

    def __init__(
        self,
        path: Path,
        resolver: _Resolver,
        *,
        stack: str = "",
        written: _Written | None = None,
    ) -> None:
        self.path = path
        self.r = resolver
        self.location = str(path)
        self.stack = stack
        self.written = written
        #: SAM function logical ID → its local ``CodeUri`` (relative to the template's folder)
        self.code_uris: Mapping[str, str] = {}

    def origin(self, pointer: str, line: int | None) -> Origin:
        """Where ``pointer`` is, with its resource's ``Metadata: iam-audit:`` (suppressions); a
        resource a transform generated points at the one written."""
        logical = _unescape(pointer.split("/")[2]) if pointer.startswith("/Resources/") else ""
        construct = ""
        own = None
        if logical:
            metadata = self.r.resource(logical).get("Metadata")
            path = metadata.get("aws:cdk:path") if isinstance(metadata, dict) else None
            construct = path if isinstance(path, str) else ""
            own = metadata.get("iam-audit") if isinstance(metadata, dict) else None
        if self.written is not None and logical:
            owner = self.written.owners.get(logical)
            if owner is not None:
                pointer = f"/Resources/{_escape(owner)}"
            line = line or self.written.lines.get(owner or logical)
        return Origin(
            SourceKind.CLOUDFORMATION,
            self.location,
            pointer=pointer,
            line=line,
            stack=self.stack,
            construct=construct,
            metadata=own,
        )

    def _resource_origin(self, logical: str) -> Origin:
        return self.origin(f"/Resources/{_escape(logical)}", _key_line(self.r.resources, logical))

    def _policy(
        self, value: Any, line: int | None, pointer: str, *, name: str, kind: PolicyKind
    ) -> PolicyDocument:
        """Validate ``value`` as a policy; its origin is ``pointer`` at ``line`` (its key's line)."""
        from iam_audit.engine import parse_policy

        document = parse_policy(
            value, name=name, kind=kind, location=f"{self.location}:{line or '?'} {pointer}"
        )
        return structs.replace(document, origin=self.origin(pointer, line))

    def _props(self, logical: str) -> Mapping[str, Any]:
        props = self.r.resource(logical).get("Properties")
        return props if isinstance(props, dict) else {}

    def _logicals(self, rtype: str) -> Iterator[tuple[str, set[str]]]:
        """Logical IDs of type ``rtype`` whose ``Condition`` does not rule them out."""
        for logical in self.r.resources:
            if self.r.rtype(logical) == rtype:
                marks: set[str] = set()
                if self.r.resource_condition(logical, marks):
                    yield str(logical), marks

    def _arn_list(self, value: Any) -> list[str]:
        if value is _NO_VALUE or value is None:
            return []
        items = value if isinstance(value, list) else [value]
        return [str(v) for v in items if isinstance(v, str)]

    def roles(self) -> dict[str, RoleParts]:
        out: dict[str, RoleParts] = {}
        for logical, marks in self._logicals("AWS::IAM::Role"):
            props = self._props(logical)
            base = f"/Resources/{_escape(logical)}/Properties"
            name = str(self.r.ref_resource(logical, self.r.resource(logical), marks))
            path = self.r.role_path(logical, marks)
            arn = self.r.role_arn(logical, marks)
            trust = None
            if "AssumeRolePolicyDocument" in props:
                node = props["AssumeRolePolicyDocument"]
                value = self.r.resolve(node, marks)
                trust = self._policy(
                    value,
                    _key_line(props, "AssumeRolePolicyDocument"),
                    f"{base}/AssumeRolePolicyDocument",
                    name="trust",
                    kind=PolicyKind.TRUST,
                )
            inline: list[PolicyDocument] = []
            policies = props.get("Policies")
            for index, entry in enumerate(policies if isinstance(policies, list) else []):
                resolved = self.r.resolve(entry, marks)
                if not isinstance(resolved, dict):
                    continue
                line = _key_line(entry, "PolicyDocument") if isinstance(entry, dict) else None
                inline.append(
                    self._policy(
                        resolved.get("PolicyDocument"),
                        line or _line(entry),
                        f"{base}/Policies/{index}/PolicyDocument",
                        name=str(resolved.get("PolicyName", f"Policies[{index}]")),
                        kind=PolicyKind.INLINE,
                    )
                )
            managed = self._arn_list(self.r.prop(logical, "ManagedPolicyArns", marks))
            boundary = self._arn_list(self.r.prop(logical, "PermissionsBoundary", marks))
            out[logical] = role_parts(
                key=logical,
                arn=arn,
                name=name,
                path=path,
                origin=self._resource_origin(logical),
                trust=trust,
                inline=inline,
                managed_arns=managed,
                boundary_arn=boundary[0] if boundary else None,
                tags=tag_pairs(self.r.prop(logical, "Tags", marks)),
                marks=marks,
            )
        return out

    def _targets(self, roles: Mapping[str, RoleParts], names: Any) -> list[RoleParts]:
        """The template roles that ``Roles``/``RoleName`` values (names) name."""
        wanted = set(self._arn_list(names))
        return [parts for parts in roles.values() if parts.name in wanted]

    def attach_policies(self, roles: Mapping[str, RoleParts]) -> dict[str, PolicyDocument]:
        """Attach ``AWS::IAM::Policy``/``RolePolicy``/``ManagedPolicy``; the managed ones by ARN."""
        for rtype, key in (("AWS::IAM::Policy", "Roles"), ("AWS::IAM::RolePolicy", "RoleName")):
            for logical, marks in self._logicals(rtype):
                props = self._props(logical)
                targets = self._targets(roles, self.r.prop(logical, key, marks))
                if not targets or "PolicyDocument" not in props:
                    continue
                node = props["PolicyDocument"]
                value = self.r.resolve(node, marks)
                name = self.r.prop(logical, "PolicyName", marks)
                document = self._policy(
                    value,
                    _key_line(props, "PolicyDocument"),
                    f"/Resources/{_escape(logical)}/Properties/PolicyDocument",
                    name=str(name) if isinstance(name, str) else logical,
                    kind=PolicyKind.INLINE,
                )
                for parts in targets:
                    parts.inline.append(document)
                    parts.marks |= marks | unresolved_in(value)
        managed: dict[str, PolicyDocument] = {}
        for logical, marks in self._logicals("AWS::IAM::ManagedPolicy"):
            props = self._props(logical)
            if "PolicyDocument" not in props:
                continue
            arn = self.r.managed_policy_arn(logical, marks)
            node = props["PolicyDocument"]
            value = self.r.resolve(node, marks)
            managed[arn] = self._policy(
                value,
                _key_line(props, "PolicyDocument"),
                f"/Resources/{_escape(logical)}/Properties/PolicyDocument",
                name=arn,
                kind=PolicyKind.MANAGED,
            )
            for parts in self._targets(roles, self.r.prop(logical, "Roles", marks)):
                if arn not in parts.managed_arns:
                    parts.managed_arns.append(arn)
                parts.marks |= marks | unresolved_in(value)
        return managed

    def functions(
        self, foreign: Sequence[tuple[set[str], dict[str, Any]]] = ()
    ) -> dict[str, LambdaFunction]:
        """Each ``AWS::Lambda::Function``, with the permissions of this and ``foreign`` stacks."""
        permissions = [*self._permissions(), *foreign]
        out: dict[str, LambdaFunction] = {}
        for logical, marks in self._logicals("AWS::Lambda::Function"):
            node = self.r.resource(logical)
            arn = self.r.get_att(logical, "Arn", node, marks)
            name = self.r.ref_resource(logical, node, marks)
            role = self.r.prop(logical, "Role", marks)
            environment = self.r.prop(logical, "Environment", marks)
            variables = environment.get("Variables") if isinstance(environment, dict) else None
            env = tuple(
                sorted(
                    (str(k), v if isinstance(v, str) else json.dumps(v))
                    for k, v in (variables or {}).items()
                )
            )
            # AddPermission names the function ARN as the statement's Resource.
            statements = [
                {**s, "Resource": str(arn)}
                for targets, s in permissions
                if {str(arn), str(name)} & targets
            ]
            policy = None
            if statements:
                document = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
                first = statements[0]["Sid"]
                policy = self._policy(
                    document,
                    _key_line(self.r.resources, first),
                    f"/Resources/{_escape(first)}",
                    name=f"{name} resource policy",
                    kind=PolicyKind.RESOURCE,
                )
            timeout = self.r.prop(logical, "Timeout", marks)
            handler = self.r.prop(logical, "Handler", marks)
            runtime = self.r.prop(logical, "Runtime", marks)
            out[logical] = LambdaFunction(
                arn=str(arn),
                name=str(name),
                role_arn=str(role) if isinstance(role, str) else "",
                origin=self._resource_origin(logical),
                environment=env,
                resource_policy=policy,
                handler=handler if isinstance(handler, str) else None,
                runtime=runtime if isinstance(runtime, str) else None,
                timeout=int(str(timeout)) if str(timeout).isdigit() else None,
                code_path=self._code_path(logical, marks),
                inline_code=self._inline_code(logical, marks),
            )
        return out

    def permissions(self) -> list[tuple[set[str], dict[str, Any]]]:
        """This template's ``AWS::Lambda::Permission`` statements (see :meth:`_permissions`)."""
        return self._permissions()

    def _code_path(self, logical: str, marks: set[str]) -> str | None:
        """Where the function's code is on disk, where the deployment tool left it there.

        A SAM ``CodeUri`` folder (what ``sam build`` would package); the folder ``cdk synth``
        staged it in (``aws:asset:path``); or the package a deployment tool wrote beside the
        template and names by ``Code.S3Key`` (``sls package``'s ``.serverless/SERVICE.zip``).
        """
        uri = self.code_uris.get(logical)
        if uri is not None:
            return str(self.path.parent / uri)
        metadata = self.r.resource(logical).get("Metadata")
        asset = metadata.get("aws:asset:path") if isinstance(metadata, dict) else None
        if isinstance(asset, str) and asset:
            return str(self.path.parent / asset)
        code = self.r.prop(logical, "Code", marks)
        key = code.get("S3Key") if isinstance(code, dict) else None
        if isinstance(key, str) and key.endswith(".zip"):
            beside = self.path.parent / key.rsplit("/", 1)[-1]
            if beside.is_file():
                return str(beside)
        return None

    def _inline_code(self, logical: str, marks: set[str]) -> str | None:
        code = self.r.prop(logical, "Code", marks)
        inline = code.get("ZipFile") if isinstance(code, dict) else None
        return inline if isinstance(inline, str) else None

    def _permissions(self) -> list[tuple[set[str], dict[str, Any]]]:
        """Each ``AWS::Lambda::Permission`` as a resource-policy statement, with its targets.

        The statement is what Lambda's AddPermission writes (:func:`permission_statement`).
        """
        out: list[tuple[set[str], dict[str, Any]]] = []
        for logical, marks in self._logicals("AWS::Lambda::Permission"):
            resolved = self.r.resolve(self._props(logical), marks)
            if not isinstance(resolved, dict):
                continue
            target = _unqualified(str(resolved.get("FunctionName", "")))
            statement = permission_statement(
                logical,
                str(resolved.get("Principal", "")),
                str(resolved.get("Action", "lambda:InvokeFunction")),
                target,
                source_arn=resolved.get("SourceArn"),
                source_account=resolved.get("SourceAccount"),
                principal_org_id=resolved.get("PrincipalOrgID"),
                function_url_auth_type=resolved.get("FunctionUrlAuthType"),
            )
            out.append(({target}, statement))
        return out

    def user_pools(self) -> dict[str, UserPool]:
        out: dict[str, UserPool] = {}
        for logical, marks in self._logicals("AWS::Cognito::UserPool"):
            node = self.r.resource(logical)
            config = self.r.prop(logical, "LambdaConfig", marks)
            migration = config.get("UserMigration") if isinstance(config, dict) else None
            name = self.r.prop(logical, "UserPoolName", marks)
            sms = self.r.prop(logical, "SmsConfiguration", marks)
            sms_role = sms.get("SnsCallerArn") if isinstance(sms, dict) else None
            out[logical] = UserPool(
                arn=str(self.r.get_att(logical, "Arn", node, marks)),
                pool_id=str(self.r.ref_resource(logical, node, marks)),
                origin=self._resource_origin(logical),
                name=name if isinstance(name, str) else "",
                migration_lambda_arn=migration if isinstance(migration, str) else None,
                sms_role_arn=sms_role if isinstance(sms_role, str) else None,
            )
        return out

    def outputs(self) -> tuple[dict[str, JSON], dict[str, JSON]]:
        """``Outputs``: name → value, and export name → value (what ``Fn::ImportValue`` gets)."""
        outputs = self.r.template.get("Outputs")
        values: dict[str, JSON] = {}
        exports: dict[str, JSON] = {}
        for key, body in (outputs if isinstance(outputs, dict) else {}).items():
            if not isinstance(body, dict) or "Value" not in body:
                continue
            condition = body.get("Condition")
            if condition is not None and self.r.condition(condition, body) is False:
                continue
            marks: set[str] = set()
            value = self.r.resolve(body["Value"], marks)
            values[str(key)] = value
            if isinstance(body.get("Export"), dict):
                name = self.r.resolve(body["Export"].get("Name"), marks)
                if isinstance(name, str) and not has_placeholder(name):
                    exports[name] = value
        return values, exports

    def nested_stacks(self) -> tuple[NestedStack, ...]:
        """Each ``AWS::CloudFormation::Stack``: its local template (if any) and its parameters.

        A CDK nested stack names its template in the ``aws:asset:path`` metadata (a file beside
        the parent in ``cdk.out``); a packaged or hand-written one in ``TemplateURL`` (a relative
        path or ``file://``); an ``https://``/``s3://`` URL is not local.
        """
        out: list[NestedStack] = []
        for logical, marks in self._logicals("AWS::CloudFormation::Stack"):
            body = self.r.resource(logical)
            metadata = body.get("Metadata")
            asset = metadata.get("aws:asset:path") if isinstance(metadata, dict) else None
            url = self.r.prop(logical, "TemplateURL", marks)
            url_text = str(url) if isinstance(url, str) else ""
            local: Path | None = None
            if isinstance(asset, str) and asset.endswith(".json"):
                local = self.path.parent / asset
                url_text = url_text or asset
            elif url_text.startswith("file://"):
                local = self.path.parent / url_text[len("file://") :]
            elif url_text and "://" not in url_text and not has_placeholder(url_text):
                local = self.path.parent / url_text
            elif _AMPLIFY_URL_RE.search(url_text):
                local = _amplify_template(self.path, url_text)
            given = self.r.prop(logical, "Parameters", marks)
            values: dict[str, str] = {}
            for key, value in (given if isinstance(given, dict) else {}).items():
                if isinstance(value, list):
                    values[str(key)] = ",".join(str(v) for v in value)
                elif isinstance(value, str | int | float) and not isinstance(value, bool):
                    values[str(key)] = str(value)
            out.append(NestedStack(str(logical), local, url_text, values))
        return tuple(out)

    def transform_notes(self) -> None:
        transform = self.r.template.get("Transform")
        names = transform if isinstance(transform, list) else [transform] if transform else []
        for name in names:
            if name == "AWS::Serverless-2016-10-31":
                continue  # expanded before the template is read
            self.r.notes.add(
                f"the template uses Transform {name}; resources it would generate are not read "
                "(audit the processed template, e.g. from `sam build` or the console)"
            )
        for logical in self.r.resources:
            if str(logical).startswith("Fn::ForEach"):
                self.r.notes.add(f"{logical} is not expanded (AWS::LanguageExtensions)")


@dataclasses.dataclass(frozen=True)
class NestedStack:
    """An ``AWS::CloudFormation::Stack`` of a template: where its template is, what it is passed."""

    logical: str
    #: the local file its template is in, when the template names one (``None``: not local)
    path: Path | None
    #: what the template says of it (``TemplateURL`` or the CDK asset path), for notes
    url: str
    parameters: Mapping[str, str]
