"""Terraform plans (the JSON of ``terraform show -json PLAN``) as a source.

What a plan knows is in ``planned_values`` (root and child modules) and ``resource_changes``
(``after``, and ``after_unknown`` for what only apply will know). Where a planned value is unknown,
the ``configuration`` section's expressions are followed: a ``constant_value`` is taken as is, and
an expression whose ``references`` name one attribute (``aws_iam_role.lambda.arn``, ``var.x``,
``module.m.out``) is resolved to that attribute, recursively and across modules. What a plan
cannot tell stays a placeholder (:mod:`iam_audit.sources.symbolic`): ``<aws_iam_role.logs.name>``
for a name Terraform will generate, ``<Unresolved...>`` for anything else, which the role then lists
in ``Role.symbolic``.

A resource whose every value is unknown (an attachment of a new role and a new policy) has no
``values`` in ``planned_values``; it is read from ``after_unknown`` and the configuration like any
other. Instances of ``count`` and ``for_each`` (``aws_iam_role.x[0]``, ``aws_iam_role.x["a"]``)
and resources of child modules are read like root ones; ``count.index``, ``each.key`` and
``each.value`` in a reference are the instance's own. An attachment whose policy or role stays
unknown is kept as an unknown policy (on every role, granting nothing, when the role is unknown). The
region is ``data.aws_region``, else the root aws provider's ``region`` (a constant or a variable
from the plan's ``variables``). A plan with ``"errored": true`` or ``"complete": false`` is refused.

Known limits: the plan's JSON holds only the references of an expression, not its text, so
``"${aws_x.y.arn}/*"`` and ``aws_x.y.arn`` look alike; a policy field resolved that way is marked
unresolved on the role (``<Unresolved.Expression...>``). ``local.*`` values are not evaluated, and
a reference that lost its attribute (``aws_iam_role.x[each.key].name`` reaches the plan as
``aws_iam_role.x`` and ``each.key``) is resolved only for the fields whose attribute is implied,
and read as the idiom ``X[count.index]`` / ``X[each.key]`` (``X[count.index + 1]`` looks the same).
Plans carry no line numbers: origins point at resource addresses.

The package is split by job: :mod:`.load` (the plan file read and checked), :mod:`.resolve` (the
values of resources' arguments, followed through the configuration) and :mod:`.build` (roles,
functions, user pools).

Resources read: ``aws_iam_role`` (``inline_policy`` blocks, ``managed_policy_arns``,
``permissions_boundary``, ``assume_role_policy``), ``aws_iam_role_policy``, ``aws_iam_policy``,
``aws_iam_role_policy_attachment``, ``aws_iam_role_policies_exclusive``,
``aws_iam_role_policy_attachments_exclusive``, ``aws_lambda_function``, ``aws_lambda_permission``,
``aws_cognito_user_pool``, and ``data.aws_iam_policy_document`` (rebuilt from its configuration
when its ``json`` is unknown), ``data.aws_caller_identity`` and ``data.aws_region``.
"""

from __future__ import annotations

from iam_audit.sources.terraform.build import PlanSource
from iam_audit.sources.terraform.load import load_plan

__all__ = ["PlanSource", "load_plan"]
