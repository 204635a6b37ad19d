"""Fixes: the minimal policy changes (:mod:`iam_audit.fix.plan`), their template and plan text
(:mod:`iam_audit.fix.iac`, :mod:`iam_audit.fix.hcl`), and writing them (``emit``, ``apply``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from iam_audit.model import SourceKind

__all__ = ["TEMPLATE_KINDS", "reads_templates"]

#: The kinds of source whose text a fix can change: a CloudFormation or SAM template (or a CDK
#: assembly's) and a Terraform plan; an account's authorization details and the live account
#: have no file to change.
TEMPLATE_KINDS = frozenset({SourceKind.CLOUDFORMATION, SourceKind.TERRAFORM})


def reads_templates(source: Any, planned: Sequence[Any]) -> bool:
    """Whether a run on ``source`` with the targets ``planned`` (:class:`iam_audit.select.Planned`)
    reads a template or plan that :func:`iam_audit.fix.iac.template_changes` could change: the
    source itself, or the other account's source of a role chain. When it reads none the audit
    does not load the fix modules (some 30M instructions of an audit's start-up)."""
    chained = (item.target.chain_source for item in planned if item.target.chain_roles)
    return any(getattr(s, "kind", None) in TEMPLATE_KINDS for s in (source, *chained))
