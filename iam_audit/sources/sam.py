"""AWS SAM templates, expanded with AWS's own translator before they are audited.

A template whose ``Transform`` names ``AWS::Serverless-2016-10-31`` is handed to
``aws-sam-translator`` (the library ``sam build``, ``sam deploy`` and CloudFormation's own SAM
transform are built on), which turns ``AWS::Serverless::Function`` — its ``Policies`` (SAM policy
templates, managed policy names, inline statements), ``Role``, ``Events`` (``Type: Cognito`` with a
``Trigger`` becomes the pool's ``LambdaConfig`` and an ``AWS::Lambda::Permission``) — into the
plain resources CloudFormation deploys. The translation runs offline:

* a local ``CodeUri`` (what ``sam build`` would upload) is swapped for an ``s3://`` placeholder the
  translator accepts, and kept so the function's code can be found on disk;
* managed policy names in ``Policies`` are looked up in the AWS managed policy snapshot
  (:mod:`iam_audit.managed`) instead of calling IAM.

Every resource the translator generates is attributed to the SAM resource it came from (the
translator names them ``<SamLogicalId><Suffix>``: ``MigrateFunctionRole``,
``MigrateFunctionMigrationPermission``), so findings point at the line the user wrote.
"""

from __future__ import annotations

import copy
import datetime
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iam_audit.errors import InputError

__all__ = ["SAM_TRANSFORM", "SamExpansion", "expand", "is_sam"]

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
_INSTALL_ADVICE = "pip install 'iam-audit[iac]' (it brings aws-sam-translator)"
_LOCAL_BUCKET = "iam-audit-local-code"


@dataclass(frozen=True, slots=True)
class SamExpansion:
    """A translated template and where each of its resources came from."""

    template: dict[str, Any]
    #: generated logical ID → the SAM resource's logical ID (only for generated resources)
    generated_from: Mapping[str, str]
    #: SAM function logical ID → the local ``CodeUri`` it names (relative to the template)
    code_uris: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class _Session:
    """What the translator asks of a boto3 session: the region (no AWS call is made)."""

    region_name: str


def is_sam(template: Mapping[str, Any]) -> bool:
    """Whether the template's ``Transform`` (a name or a list) includes the SAM transform."""
    transform = template.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return SAM_TRANSFORM in names


def _plain(node: Any) -> Any:
    """A deep copy as built-in types (the decoder's nodes subclass ``dict``/``str``)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    if isinstance(node, datetime.date):  # an unquoted `2012-10-17`: CloudFormation reads text
        return node.isoformat()
    return copy.copy(node)


def _managed_policy_map() -> dict[str, str]:
    """AWS managed policy name → ARN, from the shipped snapshot (no IAM call)."""
    from iam_audit.managed import snapshot

    return {arn.rsplit("/", 1)[-1]: arn for arn in snapshot().arns}


def _swap_local_code(template: dict[str, Any]) -> dict[str, str]:
    """Replace each local ``CodeUri`` with an S3 placeholder; return logical ID → local path."""
    local: dict[str, str] = {}
    globals_ = template.get("Globals")
    global_uri = None
    if isinstance(globals_, dict) and isinstance(globals_.get("Function"), dict):
        global_uri = globals_["Function"].get("CodeUri")
        if isinstance(global_uri, str) and not global_uri.startswith("s3://"):
            globals_["Function"]["CodeUri"] = f"s3://{_LOCAL_BUCKET}/{global_uri}"
    for logical, body in template.get("Resources", {}).items():
        if not isinstance(body, dict) or body.get("Type") != "AWS::Serverless::Function":
            continue
        props = body.setdefault("Properties", {})
        if not isinstance(props, dict):
            continue
        uri = props.get("CodeUri", global_uri)
        if isinstance(uri, str) and not uri.startswith("s3://"):
            local[str(logical)] = uri
            if "CodeUri" in props:
                props["CodeUri"] = f"s3://{_LOCAL_BUCKET}/{uri}"
        elif "CodeUri" not in props and "InlineCode" not in props and global_uri is None:
            # `sam build` packages the template's folder when CodeUri is absent.
            local[str(logical)] = "."
            props["CodeUri"] = f"s3://{_LOCAL_BUCKET}/."
    return local


def _origins(original: Mapping[str, Any], translated: Mapping[str, Any]) -> dict[str, str]:
    """Attribute each generated resource to the SAM resource whose logical ID prefixes it."""
    sources = sorted((str(k) for k in original), key=len, reverse=True)
    out: dict[str, str] = {}
    for logical in translated:
        if logical in original:
            continue
        owner = next((s for s in sources if logical.startswith(s)), None)
        if owner is not None:
            out[str(logical)] = owner
    return out


def expand(template: Mapping[str, Any], path: Path, *, region: str | None) -> SamExpansion:
    """Translate a SAM ``template`` (read from ``path``) into plain CloudFormation.

    ``region`` fills ``AWS::Region`` for the translator where the template leaves it open (it
    only picks partition-specific names from it). Raises :class:`InputError` (exit 3) with the
    translator's own message when the template is not valid SAM.
    """
    try:
        from samtranslator.model.exceptions import InvalidDocumentException
        from samtranslator.parser.parser import Parser
        from samtranslator.public.translator import ManagedPolicyLoader
        from samtranslator.translator.translator import Translator
        from samtranslator.utils.py27hash_fix import (
            to_py27_compatible_template,
            undo_mark_unicode_str_in_template,
        )
    except ImportError:
        raise InputError(
            f"{path}: expanding AWS SAM templates needs aws-sam-translator",
            advice=_INSTALL_ADVICE,
        ) from None
    logging.getLogger("samtranslator").addHandler(logging.NullHandler())
    logging.getLogger("samtranslator").propagate = False

    class _SnapshotPolicies(ManagedPolicyLoader):
        def __init__(self) -> None:
            pass

        def load(self) -> dict[str, str]:
            return _managed_policy_map()

    plain = _plain(template)
    original_resources = dict(plain.get("Resources", {}))
    code_uris = _swap_local_code(plain)
    chosen = region or "us-east-1"
    parameters: dict[str, Any] = {"AWS::Region": chosen}
    policies = _SnapshotPolicies()
    try:
        to_py27_compatible_template(plain, parameters)
        translator = Translator(None, Parser(), boto_session=_Session(chosen))
        translated = undo_mark_unicode_str_in_template(
            translator.translate(
                plain, parameter_values=parameters, get_managed_policy_map=policies.load
            )
        )
    except InvalidDocumentException as exc:
        causes = "; ".join(str(getattr(c, "message", c)) for c in exc.causes) or str(exc)
        raise InputError(f"{path}: invalid SAM template: {causes}") from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise InputError(f"{path}: the SAM translator could not read it: {exc}") from None
    translated = json.loads(json.dumps(translated, default=str))
    return SamExpansion(
        template=translated,
        generated_from=_origins(original_resources, translated.get("Resources", {})),
        code_uris=code_uris,
    )
