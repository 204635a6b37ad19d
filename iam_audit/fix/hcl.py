"""Fixes for a Terraform plan, written in HCL and referencing the plan's resources by address.

A plan in JSON has no file names or lines of the ``.tf`` configuration, so there is no diff: each
fix is a resource block to add beside the role (in the module that declares it):

* an ``aws_iam_role_policy`` named ``iam-audit-cognito-import`` with the missing statements, its
  ``role`` the role's address (``aws_iam_role.migration.id``) and each resource an address where
  the plan has it (``aws_cognito_user_pool.main.arn``), else the literal ARN;
* for a trust fix, the statement to add to the role's ``assume_role_policy``;
* for COG009, an ``aws_lambda_permission`` bound to the pool by ``source_arn``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from iam_audit.findings import AuditResult
from iam_audit.fix.iac import IacFix
from iam_audit.fix.plan import (
    INLINE_POLICY_NAME,
    FixPlan,
    PlannedFix,
    plan_fixes,
    service_trust_statement,
)

__all__ = ["Expr", "hcl_changes", "to_hcl"]

_MODULE = re.compile(r"^((?:module\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?\.)*)(.*)$")
_PLACEHOLDER = re.compile(
    r"<((?:module\.[^<>]+\.)?(?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+\.[a-z_]+)>"
)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class Expr(str):
    """An HCL expression written as is (a reference), not quoted."""


def _split(address: str) -> tuple[str, str]:
    """``module.a.aws_iam_role.x`` → (``module.a``, ``aws_iam_role.x``)."""
    match = _MODULE.match(address)
    assert match is not None
    return match.group(1).rstrip("."), match.group(2)


def _string(text: str) -> str:
    # HCL strings escape like JSON; "${" and "%{" start templates, so they are doubled.
    return json.dumps(text).replace("${", "$${").replace("%{", "%%{")


def to_hcl(value: Any, indent: int = 0) -> str:
    """``value`` as an HCL expression (objects and tuples laid out as ``terraform fmt`` does)."""
    pad = " " * indent
    if isinstance(value, Expr):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, list):
        if not value:
            return "[]"
        entries = [f"{pad}  {to_hcl(v, indent + 2)}," for v in value]
        return "[\n" + "\n".join(entries) + f"\n{pad}]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        pairs = [
            (str(k) if _IDENT.match(str(k)) else _string(str(k)), to_hcl(v, indent + 2))
            for k, v in value.items()
        ]
        return "{\n" + "\n".join(_attributes(pairs, indent + 2)) + f"\n{pad}}}"
    return _string(str(value))


def _attributes(items: list[tuple[str, str]], indent: int) -> list[str]:
    """``key = value`` lines aligned as ``terraform fmt`` aligns them: the ``=`` of consecutive
    one-line attributes line up; an attribute whose value spans lines stands alone."""
    pad = " " * indent
    lines: list[str] = []
    group: list[tuple[str, str]] = []

    def flush() -> None:
        width = max((len(k) for k, _ in group), default=0)
        lines.extend(f"{pad}{k.ljust(width)} = {v}" for k, v in group)
        group.clear()

    for key, text in items:
        if "\n" in text:
            flush()
            lines.append(f"{pad}{key} = {text}")
        else:
            group.append((key, text))
    flush()
    return lines


class _References:
    """Values the plan computed, back to the addresses (in the role's module) that yield them."""

    def __init__(self, source: Any, module: str) -> None:
        self.module = module
        self.by_value: dict[str, str] = {}
        inventory = source.inventory()
        for pool in inventory.user_pools:
            self._add(pool.arn, pool.origin.pointer, "arn")
            self._add(pool.pool_id, pool.origin.pointer, "id")
        for function in inventory.functions:
            self._add(function.arn, function.origin.pointer, "arn")
            self._add(function.name, function.origin.pointer, "function_name")
        for role in inventory.roles:
            self._add(role.arn, role.origin.pointer, "arn")
            self._add(role.name, role.origin.pointer, "name")

    def _local(self, address: str) -> str | None:
        module, local = _split(address)
        return local if module == self.module else None

    def _add(self, value: str, address: str, attribute: str) -> None:
        local = self._local(address)
        if local is not None and value:
            self.by_value.setdefault(value, f"{local}.{attribute}")

    def expr(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.expr(v) for v in value]
            return items[0] if len(items) == 1 else items
        if isinstance(value, dict):
            return {k: self.expr(v) for k, v in value.items()}
        if not isinstance(value, str):
            return value
        if value in self.by_value:
            return Expr(self.by_value[value])
        whole = _PLACEHOLDER.fullmatch(value)
        if whole and self._local(whole.group(1)):
            return Expr(str(self._local(whole.group(1))))

        def interpolate(match: re.Match[str]) -> str:
            local = self._local(match.group(1))
            return "${" + local + "}" if local else match.group(0)

        text = _PLACEHOLDER.sub(interpolate, value)
        if text != value:
            return Expr(json.dumps(text))
        return value


def _name(local: str) -> str:
    """A resource name from the role's own: ``aws_iam_role.migration`` → ``migration_…``."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", local.split(".", 1)[1]).strip("_") or "role"
    return f"{base}_cognito_import"


def _policy_block(fix: PlannedFix, local: str, refs: _References) -> str:
    before = fix.before.get("Statement", []) if fix.before else []
    statements = [refs.expr(s) for s in fix.after.get("Statement", []) if s not in before]
    document = {"Version": "2012-10-17", "Statement": statements}
    body = _attributes(
        [
            ("name", _string(INLINE_POLICY_NAME)),
            ("role", f"{local}.id"),
            ("policy", f"jsonencode({to_hcl(document, 2)})"),
        ],
        2,
    )
    return f'resource "aws_iam_role_policy" "{_name(local)}" {{\n' + "\n".join(body) + "\n}\n"


def _trust_block(fix: PlannedFix) -> str:
    """The statements to add to ``assume_role_policy``: one per service the plan adds
    (``PlannedFix.added``), as :func:`iam_audit.fix.plan.merge_trust` adds it."""
    return "\n".join(to_hcl(service_trust_statement(s)) for s in fix.added) + "\n"


def hcl_changes(result: AuditResult, planned: Sequence[Any], source: Any) -> tuple[IacFix, ...]:
    """The HCL to add for every failing finding of a run on a Terraform plan."""
    from iam_audit.fix.iac import _needs_permission, _roles
    from iam_audit.model import SourceKind

    if getattr(source, "kind", None) is not SourceKind.TERRAFORM:
        return ()
    roles = _roles(planned)
    plan: FixPlan = plan_fixes(result.findings, roles)
    out: list[IacFix] = []
    for fix in plan.fixes:
        if not fix.changed:
            continue
        role = next(r for r in roles if r.arn == fix.role_arn)
        module, local = _split(role.origin.pointer)
        refs = _References(source, module)
        where = f"{module} (module)" if module else "the root module"
        if fix.target == "trust":
            snippet = _trust_block(fix)
            where = f"{role.origin.pointer}: a statement of assume_role_policy"
        else:
            snippet = _policy_block(fix, local, refs)
            where = f"beside {role.origin.pointer}, in {where}"
        out.append(
            IacFix(fix.role_arn, fix.checks, role.origin.location, "hcl", where, snippet, None)
        )
    for target in _needs_permission(result, planned):
        function = target.function
        module, local = _split(function.origin.pointer)
        refs = _References(source, module)
        block = {
            "statement_id": "AllowCognitoUserMigration",
            "action": "lambda:InvokeFunction",
            "function_name": refs.expr(function.name),
            "principal": "cognito-idp.amazonaws.com",
            "source_arn": refs.expr(target.user_pool_arn),
        }
        body = "\n".join(_attributes([(k, to_hcl(v, 2)) for k, v in block.items()], 2))
        name = _name(local).replace("_cognito_import", "_cognito_invoke")
        snippet = f'resource "aws_lambda_permission" "{name}" {{\n{body}\n}}\n'
        where = f"beside {function.origin.pointer}"
        out.append(
            IacFix(
                function.role_arn,
                ("COG009",),
                function.origin.location,
                "hcl",
                where,
                snippet,
                None,
            )
        )
    return tuple(out)
