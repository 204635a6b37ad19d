"""The organization's SCPs and RCPs: from files (``--scp``/``--rcp``) or from AWS Organizations.

Files: one per level of the account's path, root first, then each OU, then the account
("SCP evaluation",
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html).
Each holds the policies attached at that level: one policy document, or a JSON list of them. An
empty list is a level with nothing attached, which allows nothing.

Live (:func:`read_organization`): ``organizations:ListParents`` walks from the account up to the
root, ``organizations:ListPoliciesForTarget`` lists each level's SCPs and RCPs and
``organizations:DescribePolicy`` reads each once; ``organizations:DescribeOrganization`` names the
management account, to which neither applies. When the caller may not read them, the answer is
``None`` with a note saying they were not evaluated and which permission would allow it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from msgspec import structs

from iam_audit.engine import parse_policy
from iam_audit.errors import InputError
from iam_audit.model import OrgLevel, OrgPolicies, PolicyDocument, PolicyKind

__all__ = [
    "OrganizationsUnreadable",
    "attach",
    "load_levels",
    "organization_from_files",
    "read_organization",
]


class OrganizationsUnreadable(Exception):
    """AWS Organizations answered a call with an error other than a denial (``str``: which)."""


def _level_label(index: int, count: int, path: Path) -> str:
    where = "root" if index == 0 else ("account" if index == count - 1 and count > 1 else "OU")
    return f"level {index + 1} of {count} ({where}, {path.name})"


def load_levels(paths: Sequence[Path], kind: PolicyKind) -> tuple[OrgLevel, ...]:
    """One :class:`OrgLevel` per file, in order (root first); bad input is an :class:`InputError`."""
    levels: list[OrgLevel] = []
    flag = "--scp" if kind is PolicyKind.SCP else "--rcp"
    for index, path in enumerate(paths):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise InputError(
                f"cannot read {flag} file {path}: {getattr(err, 'strerror', None) or err}"
            ) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise InputError(
                f"{flag} file {path} is not JSON: {err.msg} (line {err.lineno})"
            ) from None
        documents = data if isinstance(data, list) else [data]
        policies: list[PolicyDocument] = []
        for number, document in enumerate(documents):
            if not isinstance(document, dict):
                raise InputError(
                    f"{flag} file {path}: item {number} is not a policy document",
                    advice="give one policy document, or a JSON list of them",
                )
            name = path.name if len(documents) == 1 else f"{path.name}[{number}]"
            policies.append(
                parse_policy(document, name=name, kind=kind, location=f"{path} [{number}]")
            )
        levels.append(OrgLevel(_level_label(index, len(paths), path), tuple(policies)))
    return tuple(levels)


def organization_from_files(
    scp: Sequence[Path] | None, rcp: Sequence[Path] | None
) -> OrgPolicies | None:
    """The organization policies the ``--scp``/``--rcp`` files give; ``None`` when neither is."""
    if not scp and not rcp:
        return None
    return OrgPolicies(
        scp=load_levels(scp or (), PolicyKind.SCP),
        rcp=load_levels(rcp or (), PolicyKind.RCP),
        source="files",
    )


#: What the live reading needs, for the note when it is denied.
LIVE_PERMISSIONS = (
    "organizations:DescribeOrganization",
    "organizations:ListParents",
    "organizations:ListPoliciesForTarget",
    "organizations:DescribePolicy",
)

_FILTERS = (("SERVICE_CONTROL_POLICY", PolicyKind.SCP), ("RESOURCE_CONTROL_POLICY", PolicyKind.RCP))


def read_organization(
    call: Callable[[str, dict[str, Any]], Any], account_id: str
) -> tuple[OrgPolicies | None, str]:
    """The SCPs and RCPs of ``account_id``'s path, and a note (``""`` when all was read).

    ``call(operation, kwargs)`` makes one AWS Organizations call (``"ListParents"``, ...) and
    raises :class:`~iam_audit.errors.AccessError` when denied, or returns ``None`` for
    "the account is not in an organization". Pagination is the caller's (``call`` returns every
    item under the response's list key).
    """
    from iam_audit.errors import AccessError

    try:
        organization = call("DescribeOrganization", {})
    except (AccessError, OrganizationsUnreadable):  # the management account stays unknown
        organization = {}
    if organization is None:  # not in an organization: no SCP or RCP applies
        return None, ""
    management = (organization or {}).get("MasterAccountId")
    if management == account_id:
        return (
            OrgPolicies(management_account=management, source="AWS Organizations"),
            f"account {account_id} is the organization's management account: SCPs and RCPs do "
            "not apply to it",
        )
    try:
        path: list[tuple[str, str]] = [("ACCOUNT", account_id)]
        child = account_id
        while True:
            parents = call("ListParents", {"ChildId": child})
            if not parents:
                break
            parent = parents[0]
            path.append((str(parent["Type"]), str(parent["Id"])))
            if parent["Type"] == "ROOT":
                break
            child = str(parent["Id"])
        path.reverse()
        contents: dict[str, PolicyDocument] = {}
        kinds: dict[PolicyKind, list[OrgLevel]] = {PolicyKind.SCP: [], PolicyKind.RCP: []}
        skipped: list[str] = []
        for policy_filter, kind in _FILTERS:
            for target_type, target in path:
                try:
                    attached = call(
                        "ListPoliciesForTarget", {"TargetId": target, "Filter": policy_filter}
                    )
                except InputError:  # the policy type is not enabled, or not supported here
                    skipped.append(kind.value.upper())
                    kinds[kind] = []
                    break
                documents = []
                for summary in attached or ():
                    policy_id = str(summary["Id"])
                    if policy_id not in contents:
                        described = call("DescribePolicy", {"PolicyId": policy_id})
                        contents[policy_id] = parse_policy(
                            described["Content"],
                            name=str(summary.get("Name") or policy_id),
                            kind=kind,
                            location=f"AWS Organizations policy {policy_id}",
                        )
                    documents.append(contents[policy_id])
                label = {"ROOT": "root", "ORGANIZATIONAL_UNIT": "OU", "ACCOUNT": "account"}
                kinds[kind].append(
                    OrgLevel(f"{label.get(target_type, target_type)} {target}", tuple(documents))
                )
    except (AccessError, OrganizationsUnreadable) as err:
        why = (
            f"{err.permission or 'organizations:ListParents'} denied"
            if isinstance(err, AccessError)
            else str(err)
        )
        return None, (
            f"SCPs and RCPs were not evaluated: the auditor could not read AWS Organizations "
            f"({why}); {', '.join(LIVE_PERMISSIONS)} from the management account or a delegated "
            "administrator would allow it, or pass --scp/--rcp files"
        )
    note = ""
    if skipped:
        note = f"{' and '.join(sorted(set(skipped)))}s are not enabled in the organization"
    return (
        OrgPolicies(
            scp=tuple(kinds[PolicyKind.SCP]),
            rcp=tuple(kinds[PolicyKind.RCP]),
            management_account=management,
            source="AWS Organizations",
            organization_id=(organization or {}).get("Id"),
        ),
        note,
    )


def attach(role: Any, organization: OrgPolicies | None) -> Any:
    """``role`` with ``organization`` (a :class:`~iam_audit.model.Role`, or ``None``)."""

    if role is None or organization is None:
        return role
    return structs.replace(role, organization=organization)
