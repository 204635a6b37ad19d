"""Reading a plan file: its JSON, refusing a partial or misshapen plan, then resolving and building
it (:func:`load_plan`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from iam_audit.errors import InputError
from iam_audit.inputs import MAX_PLAN, read_json
from iam_audit.managed import ManagedLookup
from iam_audit.sources.roles import finish_role
from iam_audit.sources.terraform.build import PlanSource, _Builder
from iam_audit.sources.terraform.resolve import _Plan

__all__ = ["load_plan"]


def _read(path: Path) -> dict[str, Any]:
    data = read_json(path, "plan", MAX_PLAN)
    if (
        not isinstance(data, dict)
        or "format_version" not in data
        or ("planned_values" not in data and "resource_changes" not in data)
    ):
        raise InputError(
            f"{path}: not a Terraform plan in JSON",
            advice="pass the output of `terraform show -json PLAN`, not the binary plan or state",
        )
    wrong = _wrong_shape(data)
    if wrong:
        raise InputError(
            f"{path}: not a Terraform plan in JSON: {wrong}",
            advice="pass the output of `terraform show -json PLAN`",
        )
    major = str(data["format_version"]).split(".")[0]
    if major != "1":
        raise InputError(
            f"{path}: plan JSON format_version {data['format_version']} is not supported (1.x is)"
        )
    return data


def _refuse_partial(path: Path, data: Mapping[str, Any]) -> None:
    """A plan Terraform did not finish says nothing of what it left out: refuse it (exit 3).

    ``errored`` is true when planning failed part-way (Terraform still writes the plan file);
    ``complete`` is false when changes were left out: ``-target``, or deferred actions. Plans
    from before Terraform 1.6/1.8 carry neither field and are taken as whole.
    """
    if data.get("errored") is True:
        raise InputError(
            f"{path}: the plan errored (terraform plan failed part-way), so it is not audited",
            advice="fix the errors `terraform plan` reported and plan again",
        )
    if data.get("complete") is False:
        raise InputError(
            f"{path}: the plan is incomplete (planned with -target, or with deferred changes), "
            "so it is not audited",
            advice="audit a plan of the whole configuration: `terraform plan -out` without -target",
        )


#: The containers of ``terraform show -json`` and their JSON types, as the reader walks them.
_SHAPE: dict[str, type] = {
    "planned_values": dict,
    "planned_values.root_module": dict,
    "prior_state": dict,
    "prior_state.values": dict,
    "prior_state.values.root_module": dict,
    "configuration": dict,
    "configuration.root_module": dict,
    "configuration.provider_config": dict,
    "resource_changes": list,
    "variables": dict,
}
_MODULE_SHAPE: dict[str, type] = {
    "resources": list,
    "child_modules": list,
    "module_calls": dict,
}


def _wrong_shape(data: Mapping[str, Any]) -> str | None:
    """The first container of the plan that has the wrong JSON type, named by its path."""
    for dotted, expected in _SHAPE.items():
        node: Any = data
        for key in dotted.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None and not isinstance(node, expected):
            return f"{dotted} is not a JSON {'object' if expected is dict else 'array'}"
    for root in ("planned_values", "prior_state.values", "configuration"):
        node = data
        for key in (*root.split("."), "root_module"):
            node = node.get(key) if isinstance(node, dict) else None
        pending = [(f"{root}.root_module", node)]
        while pending:
            where, module = pending.pop()
            if not isinstance(module, dict):
                continue
            for key, expected in _MODULE_SHAPE.items():
                value = module.get(key)
                if value is not None and not isinstance(value, expected):
                    return (
                        f"{where}.{key} is not a JSON {'object' if expected is dict else 'array'}"
                    )
            for index, child in enumerate(module.get("child_modules") or []):
                pending.append((f"{where}.child_modules[{index}]", child))
            for name, call in (module.get("module_calls") or {}).items():
                inner = call.get("module") if isinstance(call, dict) else None
                pending.append((f"{where}.module_calls.{name}.module", inner))
    return None


def load_plan(
    path: Path, *, region: str | None = None, account_id: str | None = None
) -> PlanSource:
    """Read the JSON of ``terraform show -json PLAN`` at ``path``.

    ``region`` and ``account_id`` fill ARNs Terraform computes at apply; without them the plan's
    ``data.aws_region``/``data.aws_caller_identity`` (or the aws provider's ``region``) are used,
    and the inventory notes say so. Raises :class:`InputError` (exit 3) for a file that is not a
    plan in JSON or a policy that is not an IAM policy.
    """
    if path.suffix == ".tf" or path.is_dir():
        raise InputError(
            f"{path}: Terraform configuration, not a plan in JSON",
            advice="terraform plan -out tfplan && terraform show -json tfplan > plan.json, "
            "then --terraform-plan plan.json",
        )
    data = _read(path)
    _refuse_partial(path, data)
    plan = _Plan(path, data, region, account_id)
    builder = _Builder(plan)
    parts = builder.roles()
    managed = ManagedLookup(builder.attach(parts))
    roles = {
        address: finish_role(p, managed, plan.notes, file="plan") for address, p in parts.items()
    }
    functions = builder.functions()
    pools = builder.user_pools()
    return PlanSource(path, roles, functions, pools, tuple(sorted(plan.notes)), plan.account)
