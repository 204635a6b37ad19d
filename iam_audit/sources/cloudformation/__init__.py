"""CloudFormation templates (JSON, YAML, ``cdk synth`` output) as a source.

The template is decoded by cfn-lint's ``cfnlint.decode`` (kept by AWS): it turns the short-form
tags (``!Sub``, ``!GetAtt`` ...) into their long forms and keeps the line of every node, which
SARIF needs. Plain YAML scalars that YAML 1.1 would type as dates or numbers
(``Version: 2012-10-17``, an unquoted account ID) keep the text written, as CloudFormation reads
them (:func:`_load_yaml`). Intrinsic functions are then resolved here, the way CloudFormation would at deploy
time, as far as the template, ``--parameter`` values, ``--region`` and ``--account-id`` allow:

* ``Ref`` to parameters (given value, else ``Default``), pseudo-parameters and resources;
  ``Fn::GetAtt``; ``Fn::Sub`` (both forms); ``Fn::Join``; ``Fn::Select``; ``Fn::Split``;
  ``Fn::If`` with the template's ``Conditions`` (``Fn::Equals``/``And``/``Or``/``Not``);
  ``Fn::FindInMap``; ``Fn::Base64``; ``Fn::ToJsonString``/``Fn::Length``; ``AWS::NoValue``.
* What cannot be known before deployment stays a placeholder (:mod:`iam_audit.sources.symbolic`):
  physical IDs the stack generates (``<MigrationRole>``) and unresolved values
  (``<Unresolved.ImportValue.Name>``, ``<Unresolved.AWS.AccountId>``, dynamic references). A
  condition that cannot be evaluated takes its true branch and is recorded as unresolved. Every
  role lists the unresolved values it depends on in ``Role.symbolic``.

Roles come from ``AWS::IAM::Role`` (``Policies``, ``ManagedPolicyArns``, ``PermissionsBoundary``,
``AssumeRolePolicyDocument``, ``Path``, ``RoleName``, ``Tags``) plus ``AWS::IAM::Policy``,
``AWS::IAM::ManagedPolicy`` and ``AWS::IAM::RolePolicy`` attached to them; functions from
``AWS::Lambda::Function`` with a resource policy built from ``AWS::Lambda::Permission``; user pools
from ``AWS::Cognito::UserPool``. Every role and document carries an :class:`Origin` with the JSON
pointer and line of the resource.

A SAM template (``Transform: AWS::Serverless-2016-10-31``) is expanded first by AWS's translator
(:mod:`iam_audit.sources.sam`). Several templates, a CDK cloud assembly and nested stacks are read
as one deployment by :mod:`iam_audit.sources.deployment`, which feeds each stack the values the
others export.

The package is split by job: :mod:`.decode` (cfn-lint's decoder, YAML scalars, the intrinsic
functions a template may use), :mod:`.resolve` (the intrinsic-function resolver), :mod:`.build`
(roles, functions, pools, outputs, nested stacks) and :mod:`.stack` (one stack read in that order).

Known limits: other macros and transforms (``AWS::Include``, ``Fn::ForEach``) are not expanded
(the inventory notes say so); roles and policies outside the deployment are not known.
"""

from __future__ import annotations

from iam_audit.sources.cloudformation.build import NestedStack, TemplateSource
from iam_audit.sources.cloudformation.decode import _decode as _decode  # the tests read it
from iam_audit.sources.cloudformation.decode import decode_template
from iam_audit.sources.cloudformation.stack import Stack, StackContext, load_template, read_stack

__all__ = [
    "NestedStack",
    "Stack",
    "StackContext",
    "TemplateSource",
    "decode_template",
    "load_template",
    "read_stack",
]
