"""Fixes written where the user makes them: CloudFormation / SAM YAML or JSON, and a diff of the file.

A template or plan cannot be written to AWS; what helps is the change to make in the file the user
deploys. For each planned fix on a role read from a CloudFormation or SAM template this module
writes:

* a snippet in the template's own syntax (YAML with short-form tags, or JSON), with references
  instead of literals: a pool of the same stack is ``!GetAtt ImportPool.Arn``, one another stack
  exports is ``!ImportValue name``, and any other ARN of the stack's own account and region is a
  ``!Sub`` over ``${AWS::Partition}``, ``${AWS::Region}`` and ``${AWS::AccountId}`` (and
  ``${Logical}`` for a value the stack generates);
* where the resource is in a YAML file the tool read, a unified diff of that file that inserts the
  snippet and changes nothing else (every other byte, comments included, stays);
* for a ``cdk synth`` template, which is generated, the snippet only, with the construct path to
  change in the CDK app.

The snippet goes where CloudFormation reads it: a new entry in the role's ``Policies``
(``AWS::IAM::Role``), a ``Statement`` entry in the function's ``Policies`` (SAM
``AWS::Serverless::Function``, whose role SAM generates), a statement in the role's
``AssumeRolePolicyDocument``, or a new ``AWS::Lambda::Permission`` resource bound to the pool by
``SourceArn``.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iam_audit.errors import InputError
from iam_audit.findings import AuditResult, Finding, Status, TemplateFix
from iam_audit.fix.plan import (
    INLINE_POLICY_NAME,
    FixPlan,
    PlannedFix,
    plan_fixes,
    service_trust_statement,
)

__all__ = [
    "IacFix",
    "Tagged",
    "attach_template_fixes",
    "iac_fixes",
    "iac_target",
    "iac_to_dict",
    "permission_fix",
    "template_changes",
    "to_yaml",
]


@dataclass(frozen=True, slots=True)
class Tagged:
    """An intrinsic function in short form: ``!GetAtt X.Arn``, ``!Sub "…"``, ``!ImportValue n``."""

    tag: str
    value: str

    def long_form(self) -> dict[str, Any]:
        if self.tag == "GetAtt":
            return {"Fn::GetAtt": self.value.split(".", 1)}
        if self.tag == "Ref":
            return {"Ref": self.value}
        return {f"Fn::{self.tag}": self.value}


@dataclass(frozen=True, slots=True)
class IacFix:
    """One change to make in a template: where, the snippet, and the file's diff when known."""

    role_arn: str
    checks: tuple[str, ...]
    file: str
    language: str  # "yaml" | "json"
    where: str  # e.g. "Resources.MigrationRole.Properties.Policies"
    snippet: str
    diff: str | None
    note: str = ""
    #: the same change as an insertion before this 0-based line of the unchanged file
    insert_at: int | None = None
    inserted: str | None = None

    def as_template_fix(self) -> TemplateFix:
        return TemplateFix(
            file=self.file,
            language=self.language,
            where=self.where,
            snippet=self.snippet,
            diff=self.diff,
            insert_line=None if self.insert_at is None else self.insert_at + 1,
            inserted=self.inserted,
            note=self.note,
        )


# -- a YAML emitter for the small documents we write ---------------------------------------------

_PLAIN = re.compile(r"^[A-Za-z0-9_./*-][A-Za-z0-9_./:*${}-]*$")
_RESERVED = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|"
    r"null|Null|NULL|~|[-+]?[0-9][0-9_.:eE+-]*)$"
)


def _scalar(value: Any) -> str:
    if isinstance(value, Tagged):
        text = value.value
        return f"!{value.tag} {text if _PLAIN.match(text) else json.dumps(text)}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if _PLAIN.match(text) and not _RESERVED.match(text) and ": " not in text:
        return text
    return json.dumps(text)


def to_yaml(node: Any, indent: int = 0) -> list[str]:
    """``node`` as block-style YAML lines (no trailing newlines), indented by ``indent``."""
    pad = " " * indent
    if isinstance(node, dict):
        lines: list[str] = []
        for key, value in node.items():
            if isinstance(value, dict | list) and value:
                lines.append(f"{pad}{key}:")
                lines.extend(to_yaml(value, indent + 2))
            else:
                lines.append(f"{pad}{key}: {_scalar(value) if value != [] else '[]'}")
        return lines
    if isinstance(node, list):
        lines = []
        for item in node:
            inner = to_yaml(item, indent + 2)
            if isinstance(item, dict | list) and item and inner:
                first = inner[0][indent + 2 :]
                lines.append(f"{pad}- {first}")
                lines.extend(inner[1:])
            else:
                lines.append(f"{pad}- {_scalar(item)}")
        return lines
    return [f"{pad}{_scalar(node)}"]


def _to_json(node: Any) -> Any:
    if isinstance(node, Tagged):
        return node.long_form()
    if isinstance(node, dict):
        return {k: _to_json(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_to_json(v) for v in node]
    return node


# -- references instead of literals --------------------------------------------------------------

_PLACEHOLDER = re.compile(r"<([A-Za-z0-9]+)(?:\.([A-Za-z0-9.]+))?>")
_PSEUDO = {
    "<Unresolved.AWS.Region>": "${AWS::Region}",
    "<Unresolved.AWS.AccountId>": "${AWS::AccountId}",
    "<Unresolved.AWS.Partition>": "${AWS::Partition}",
}


class _References:
    """Turns values the audit computed back into expressions of one stack."""

    def __init__(self, context: Any, exported: Mapping[str, tuple[str, str]]) -> None:
        self.context = context
        self.exported = exported

    def expr(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.expr(v) for v in value]
        if isinstance(value, dict):
            return {k: self.expr(v) for k, v in value.items()}
        if not isinstance(value, str):
            return value
        ref = self.context.references.get(value)
        if ref is not None:
            return Tagged(*ref)
        if value in self.context.parameters:
            return Tagged("Ref", self.context.parameters[value])
        export = self.exported.get(value)
        if export is not None and export[0] != str(self.context.path):
            return Tagged("ImportValue", export[1])
        return self._sub(value)

    def _sub(self, text: str) -> Any:
        parts = text.split(":", 5)
        changed = False
        if text.startswith("arn:") and len(parts) == 6:
            _, partition, service, region, account, rest = parts
            ctx = self.context
            if ctx.partition and partition == ctx.partition:
                partition, changed = "${AWS::Partition}", True
            if ctx.region and region == ctx.region:
                region, changed = "${AWS::Region}", True
            if ctx.account_id and account == ctx.account_id:
                account, changed = "${AWS::AccountId}", True
            text = ":".join(["arn", partition, service, region, account, rest])
        for placeholder, pseudo in _PSEUDO.items():
            if placeholder in text:
                text, changed = text.replace(placeholder, pseudo), True

        def local(match: re.Match[str]) -> str:
            nonlocal changed
            logical, attribute = match.groups()
            if logical in self.context.logical_ids:
                changed = True
                return "${" + logical + (f".{attribute}" if attribute else "") + "}"
            return match.group(0)

        text = _PLACEHOLDER.sub(local, text)
        head, sep, last = text.rpartition("/") if "/" in text else text.rpartition(":")
        parameter = self.context.parameters.get(last) if sep else None
        if parameter is not None:
            text, changed = f"{head}{sep}${{{parameter}}}", True
        return Tagged("Sub", text) if changed else text


# -- where a snippet goes, and the file's diff ---------------------------------------------------


def _mark(node: Any) -> tuple[int, int] | None:
    mark = getattr(node, "start_mark", None)
    return (mark.line, mark.column) if mark is not None else None


def _end(node: Any) -> tuple[int, int] | None:
    mark = getattr(node, "end_mark", None)
    return (mark.line, mark.column) if mark is not None else None


def _stop(lines: Sequence[str], end: tuple[int, int]) -> int:
    """The line after a node's content, from its end mark (where the next token starts)."""
    line, column = end
    if line >= len(lines) or not lines[line][:column].strip():
        return line
    return line + 1


def _last_content_line(lines: Sequence[str], start: int, stop: int) -> int:
    """The last line in ``lines[start:stop]`` that is not blank or a comment (0-based)."""
    last = start
    for index in range(start, min(stop, len(lines))):
        stripped = lines[index].strip()
        if stripped and not stripped.startswith("#"):
            last = index
    return last


_Insert = tuple[int, list[str]]


def _insert_into_list(lines: list[str], seq: Any, items: list[Any]) -> _Insert | None:
    """Where and what to insert in ``lines`` to add ``items`` at the end of the sequence ``seq``."""
    if not isinstance(seq, list) or not seq:
        return None
    first, last = _mark(seq[0]), _end(seq[-1])
    if first is None or last is None:
        return None
    line = lines[first[0]]
    dash = line.rfind("-", 0, first[1])
    if dash < 0 or line[:dash].strip():
        return None  # a flow sequence ([a, b]) or an item not on its own line
    at = _last_content_line(lines, first[0], _stop(lines, last)) + 1
    return at, [n + "\n" for n in to_yaml(items, dash)]


def _insert_key(lines: list[str], mapping: Any, key: str, value: Any) -> _Insert | None:
    """Where and what to insert in ``lines`` to add ``key: value`` at the end of ``mapping``."""
    if not isinstance(mapping, dict) or not mapping:
        return None
    keys = list(mapping)
    first, last = _mark(keys[0]), _end(mapping[keys[-1]])
    if first is None or last is None:
        return None
    at = _last_content_line(lines, first[0], _stop(lines, last)) + 1
    return at, [n + "\n" for n in to_yaml({key: value}, first[1])]


@dataclass
class _Template:
    """A template file as read, and the insertions the changes so far made to it."""

    path: str
    text: list[str]
    decoded: Mapping[str, Any]
    yaml: bool
    inserted: list[_Insert]

    def _apply(self, inserts: Sequence[_Insert]) -> list[str]:
        out = list(self.text)
        # from the bottom up; of two at one line, the later goes in first so it ends up below
        for _, (at, lines) in sorted(enumerate(inserts), key=lambda e: (e[1][0], e[0]))[::-1]:
            out[at:at] = lines
        return out

    def diff(self, insert: _Insert | None) -> str | None:
        """The diff of ``insert`` on top of the earlier changes (apply them in order)."""
        if insert is None:
            return None
        before = self._apply(self.inserted)
        self.inserted.append(insert)
        after = self._apply(self.inserted)
        # the file's own path on both sides: `patch -p0` applies it from the folder audited in
        return "".join(difflib.unified_diff(before, after, fromfile=self.path, tofile=self.path))


def _read(path: str, cache: dict[str, _Template | None]) -> _Template | None:
    if path not in cache:
        try:
            from cfnlint.decode import decode

            text = Path(path).read_text(encoding="utf-8").splitlines(keepends=True)
            decoded, matches = decode(path)
        except (OSError, UnicodeDecodeError, ImportError):
            cache[path] = None
        else:
            ok = not matches and isinstance(decoded, dict)
            is_yaml = not "".join(text).lstrip().startswith("{")
            cache[path] = _Template(path, text, decoded, is_yaml, []) if ok else None
    return cache[path]


def _statements(fix: PlannedFix) -> list[dict[str, Any]]:
    before = fix.before.get("Statement", []) if fix.before else []
    after = fix.after.get("Statement", [])
    return [s for s in after if s not in before]


def _snippet(template: _Template | None, node: Any, path: str) -> tuple[str, str]:
    if template is not None and not template.yaml:
        return "json", json.dumps(_to_json(node), indent=2) + "\n"
    if path.endswith(".json"):
        return "json", json.dumps(_to_json(node), indent=2) + "\n"
    return "yaml", "\n".join(to_yaml(node)) + "\n"


def iac_fixes(
    plan: FixPlan, source: Any, cache: dict[str, _Template | None] | None = None
) -> tuple[IacFix, ...]:
    """The template changes for every changed fix of ``plan`` on a role of a template source.

    ``source`` is a :class:`iam_audit.sources.deployment.DeploymentSource`; any other source gives
    no template changes (its fixes are the IAM documents :mod:`iam_audit.fix.emit` shows).
    """
    contexts = getattr(source, "contexts", None)
    if not contexts:
        return ()
    cache = {} if cache is None else cache
    out: list[IacFix] = []
    for fix in plan.fixes:
        if not fix.changed:
            continue
        try:
            role = source.get_role(fix.role_arn)
        except InputError:  # a role the plan names that the source does not hold
            continue
        context = contexts.get(role.origin.location)
        if context is None or not role.origin.pointer.startswith("/Resources/"):
            continue
        out.append(_one(fix, role, context, source, cache))
    return tuple(out)


def _one(fix: PlannedFix, role: Any, context: Any, source: Any, cache: dict[str, Any]) -> IacFix:
    refs = _References(context, getattr(source, "exported", {}))
    logical = role.origin.pointer.split("/")[2].replace("~1", "/").replace("~0", "~")
    path = role.origin.location
    template = _read(path, cache)
    resources = template.decoded.get("Resources", {}) if template else {}
    resource = resources.get(logical) if isinstance(resources, dict) else None
    props = resource.get("Properties") if isinstance(resource, dict) else None
    rtype = resource.get("Type") if isinstance(resource, dict) else None
    note = ""
    if getattr(source, "from_cdk", False):
        construct = role.origin.construct or logical
        note = (
            f"{path} is generated by `cdk synth`: make this change in the CDK app "
            f"(construct {construct}), e.g. with addToRolePolicy / addToPrincipalPolicy"
        )
    if fix.target == "trust":
        statements = [service_trust_statement(service) for service in _added_services(fix)]
        if not statements:  # a statement naming another account's principal (COG011)
            statements = [refs.expr(s) for s in _statements(fix)]
        where = f"Resources.{logical}.Properties.AssumeRolePolicyDocument.Statement"
        node: Any = statements
        edited = None
        if template and template.yaml and isinstance(props, dict) and not note:
            trust = props.get("AssumeRolePolicyDocument")
            seq = trust.get("Statement") if isinstance(trust, dict) else None
            edited = _insert_into_list(template.text, seq, statements)
    else:
        statements = [refs.expr(s) for s in _statements(fix)]
        document = {"Version": "2012-10-17", "Statement": statements}
        role_ref = context.references.get(role.arn, ("", ""))[1].split(".")[0] or logical
        if _refers_to(statements, context.logical_ids):
            # A role's own policy that names the pool its function triggers is a circular
            # dependency (pool → function → role → pool); a separate AWS::IAM::Policy is not.
            name = f"{role_ref}CognitoImportPolicy"
            body = {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyName": INLINE_POLICY_NAME,
                    "Roles": [Tagged("Ref", role_ref)],
                    "PolicyDocument": document,
                },
            }
            node = {name: body}
            where = "Resources"
            edited = None
            if template and template.yaml and not note:
                edited = _insert_key(template.text, template.decoded.get("Resources"), name, body)
        elif rtype == "AWS::Serverless::Function":
            node = [{"Statement": statements}]
            where = f"Resources.{logical}.Properties.Policies"
            edited = _policies_edit(template, props, node[0], note)
        else:
            entry = {"PolicyName": INLINE_POLICY_NAME, "PolicyDocument": document}
            node = [entry]
            where = f"Resources.{logical}.Properties.Policies"
            edited = _policies_edit(template, props, entry, note)
    language, snippet = _snippet(template, node, path)
    diff = template.diff(edited) if template else None
    return IacFix(
        fix.role_arn, fix.checks, path, language, where, snippet, diff, note, *_at(edited)
    )


_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


def _refers_to(node: Any, logical_ids: frozenset[str]) -> bool:
    """Whether ``node`` references (``Ref``, ``GetAtt``, ``${X}``) a resource of the template."""
    if isinstance(node, Tagged):
        if node.tag in ("Ref", "GetAtt"):
            return node.value.split(".")[0] in logical_ids
        if node.tag == "Sub":
            return any(m.group(1) in logical_ids for m in _SUB_NAME.finditer(node.value))
        return False
    if isinstance(node, dict):
        return any(_refers_to(v, logical_ids) for v in node.values())
    if isinstance(node, list):
        return any(_refers_to(v, logical_ids) for v in node)
    return False


def _services(document: Mapping[str, Any] | None) -> set[str]:
    out: set[str] = set()
    statements = document.get("Statement", []) if document else []
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal") if isinstance(statement, dict) else None
        service = principal.get("Service") if isinstance(principal, dict) else None
        out.update([service] if isinstance(service, str) else service or [])
    return out


def _added_services(fix: PlannedFix) -> list[str]:
    """The service principals the planned trust adds."""
    return sorted(_services(fix.after) - _services(fix.before))


def _policies_edit(template: _Template | None, props: Any, entry: Any, note: str) -> _Insert | None:
    """The insertion that adds ``entry`` to the resource's ``Policies`` (YAML only)."""
    if template is None or not template.yaml or note or not isinstance(props, dict):
        return None
    lines = template.text
    policies = props.get("Policies")
    if policies is not None:
        return _insert_into_list(lines, policies, [entry])
    return _insert_key(lines, props, "Policies", [entry])


def permission_fix(
    source: Any,
    function_arn: str,
    pool_arn: str,
    cache: dict[str, _Template | None] | None = None,
    checks: tuple[str, ...] = ("COG009",),
) -> IacFix | None:
    """An ``AWS::Lambda::Permission`` for the pool, as a new resource of the function's stack."""
    contexts = getattr(source, "contexts", None)
    function = source.get_function(function_arn) if contexts else None
    if function is None or contexts is None:
        return None
    context = contexts.get(function.origin.location)
    if context is None:
        return None
    refs = _References(context, getattr(source, "exported", {}))
    logical = function.origin.pointer.split("/")[2]
    name = f"{logical}CognitoInvoke"
    body = {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "Action": "lambda:InvokeFunction",
            "FunctionName": refs.expr(function.arn),
            "Principal": "cognito-idp.amazonaws.com",
            "SourceArn": refs.expr(pool_arn),
        },
    }
    path = function.origin.location
    template = _read(path, {} if cache is None else cache)
    edited = None
    if template and template.yaml and not getattr(source, "from_cdk", False):
        resources = template.decoded.get("Resources")
        edited = _insert_key(template.text, resources, name, body)
    language, snippet = _snippet(template, {name: body}, path)
    diff = template.diff(edited) if template else None
    return IacFix(
        function.role_arn, checks, path, language, "Resources", snippet, diff, "", *_at(edited)
    )


def _at(insert: _Insert | None) -> tuple[int | None, str | None]:
    return (None, None) if insert is None else (insert[0], "".join(insert[1]))


def template_changes(
    result: AuditResult, planned: Sequence[Any], source: Any
) -> tuple[IacFix, ...]:
    """Every template change the run's failing findings call for (fixes and COG009 permission).

    ``planned`` are the run's targets (:class:`iam_audit.select.Planned`). CloudFormation and SAM
    changes are YAML/JSON (this module); a Terraform plan's are HCL (:mod:`iam_audit.fix.hcl`);
    other sources have none.
    """
    files: dict[str, _Template | None] = {}
    if getattr(source, "contexts", None):
        changes = iac_fixes(plan_fixes(result.findings, _roles(planned)), source, files)
        for target in _needs_permission(result, planned):
            permission = permission_fix(source, target.function.arn, target.user_pool_arn, files)
            changes += (permission,) if permission is not None else ()
    else:
        from iam_audit.fix.hcl import hcl_changes

        changes = hcl_changes(result, planned, source)
    # the other account's side of a chain, in its own template, whatever this source is
    return changes + _chain_changes(result, planned, files)


def _chain_changes(
    result: AuditResult, planned: Sequence[Any], files: dict[str, _Template | None]
) -> tuple[IacFix, ...]:
    """The changes on the roles the code assumes in another account, in that account's template
    (``--source-template``), where it was read as one."""
    out: tuple[IacFix, ...] = ()
    for item in planned:
        other = item.target.chain_source
        if item.target.chain_roles and getattr(other, "contexts", None):
            plan = plan_fixes(result.findings, list(item.target.chain_roles))
            out += iac_fixes(plan, other, files)
    return out


def _roles(planned: Sequence[Any]) -> list[Any]:
    """Every role of the targets, once each."""
    found: dict[str, Any] = {}
    for item in planned:
        for role in (item.target.lambda_role, item.target.logs_role):
            if role is not None:
                found.setdefault(role.arn, role)
    return list(found.values())


def _needs_permission(result: AuditResult, planned: Sequence[Any]) -> list[Any]:
    """The targets whose function COG009 found Cognito may not invoke, once per function."""
    failing = {f.role for f in result.findings if f.check == "COG009" and f.status is Status.FAIL}
    out: dict[str, Any] = {}
    for item in planned:
        target = item.target
        role = target.lambda_role
        if role is None or target.function is None or not target.user_pool_arn:
            continue
        if role.arn in failing:
            out.setdefault(f"{target.function.arn} {target.user_pool_arn}", target)
    return list(out.values())


def attach_template_fixes(result: AuditResult, changes: Sequence[IacFix]) -> AuditResult:
    """``result`` with each failing finding carrying the template change that fixes it."""
    import dataclasses

    by_key = {(c.role_arn, check): c for c in changes for check in c.checks}

    def attach(finding: Finding) -> Finding:
        change = by_key.get((finding.role, finding.check))
        if change is None or finding.status not in (Status.FAIL, Status.WARN):
            return finding
        return dataclasses.replace(finding, template_fix=change.as_template_fix())

    return dataclasses.replace(result, findings=tuple(attach(f) for f in result.findings))


def iac_target(fix: IacFix) -> str:
    """Where the change goes: ``FILE at WHERE``, or the Terraform configuration (unescaped)."""
    if fix.language == "hcl":
        return f"the Terraform configuration, {fix.where}"
    return f"{fix.file} at {fix.where}"


def iac_to_dict(fixes: Sequence[IacFix]) -> list[dict[str, Any]]:
    """The template changes as data (``fix --format json``, ``template_changes``)."""
    return [
        {
            "role": f.role_arn,
            "checks": list(f.checks),
            "file": f.file,
            "language": f.language,
            "where": f.where,
            "snippet": f.snippet,
            "diff": f.diff,
            "note": f.note or None,
        }
        for f in fixes
    ]
