"""Offline source: the JSON that ``aws iam get-account-authorization-details`` writes.

Accepts the AWS CLI's output (documents already decoded to objects) and the raw API's
(URL-encoded JSON strings), one response or several pages in a JSON list.
"""

from __future__ import annotations

import json
import mmap
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import orjson

from iam_audit.engine import parse_policy, validate_policy
from iam_audit.errors import InputError
from iam_audit.inputs import MAX_ACCOUNT, STDIN, check_regular, open_binary, read_bytes
from iam_audit.model import (
    Inventory,
    LambdaFunction,
    Origin,
    PolicyDocument,
    PolicyKind,
    Role,
    SourceKind,
    UserPool,
)

__all__ = ["AuthDetailsSource", "load_json_file"]

_KEYS = ("RoleDetailList", "UserDetailList", "GroupDetailList", "Policies")


#: Files at least this large are parsed element by element (see :func:`_load_elements`).
SPLIT_THRESHOLD = 4 * 1024 * 1024
_ELEMENT_START = b"\n        {"
_ELEMENT_END = re.compile(rb"\n        }")
_RELEASE_STEP = 8 * 1024 * 1024


def load_json_file(path: Path) -> Any:
    """Parse a JSON file, or raise :class:`InputError` naming it and what is wrong.

    The file is read through :mod:`iam_audit.inputs` (regular files or ``-`` only). Large files
    in the AWS CLI's layout are parsed element by element from a memory map, so the peak memory
    is about the parsed document alone (see :func:`_load_elements`); anything else is parsed
    whole. Either way the result is the same.
    """
    if str(path) != STDIN and check_regular(path, _WHAT).st_size >= SPLIT_THRESHOLD:
        with (
            open_binary(path, _WHAT) as handle,
            mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view,
        ):
            data = _load_elements(view)
        if data is not None:
            return data
    raw = read_bytes(path, _WHAT, MAX_ACCOUNT)
    import orjson

    try:  # orjson refuses nesting deeper than 1,024 levels with a JSONDecodeError
        return orjson.loads(raw.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as err:
        raise InputError(f"{_WHAT} {path} is not valid JSON: {err}") from None


_WHAT = "authorization details"


def _load_elements(view: mmap.mmap) -> Any | None:
    """Parse a JSON object of lists written with ``indent=4`` one list element at a time.

    ``aws iam get-account-authorization-details`` writes ``json.dumps(..., indent=4)``: each
    element of the top-level lists starts at a line ``"        {"`` and ends at ``"        }"``
    (a raw line break never occurs inside a JSON string, so such a line is always layout). Each
    element is parsed on its own with orjson from the memory map, whose pages are released
    behind the parser; the rest of the text (the skeleton), with a ``0`` in place of every element,
    is parsed too, and the elements are put back in place of the zeros, in order. When the layout
    is not exactly that (other indentation, an element on one line, a stray zero in the
    skeleton), or anything fails to parse, returns ``None`` and the caller parses the file whole:
    this never changes the result, only the memory it takes.
    """
    import orjson

    spans: list[tuple[int, int]] = []
    start = 0
    for match in _ELEMENT_END.finditer(view):
        start = view.find(_ELEMENT_START, start)
        if start < 0 or start > match.start():
            return None
        spans.append((start + len(_ELEMENT_START) - 1, match.end()))
        start = match.end()
    if not spans:
        return None
    memory = memoryview(view)
    try:
        skeleton = bytearray()
        position = 0
        for start, end in spans:
            skeleton += memory[position:start]
            skeleton += b" 0 "
            position = end
        skeleton += memory[position:]
        try:
            shape = orjson.loads(skeleton)
        except ValueError:
            return None
        del skeleton
        elements: list[Any] = []
        released = 0
        for start, end in spans:
            try:
                elements.append(orjson.loads(memory[start:end]))
            except ValueError:
                return None
            if end - released >= _RELEASE_STEP:
                released = _release(view, released, end)
    finally:
        memory.release()
    _release(view, 0, len(view))
    filled = _fill(shape, iter(elements))
    return shape if filled == len(elements) else None


def _release(view: mmap.mmap, start: int, end: int) -> int:
    """Drop the mapped pages of ``view[start:end]`` from memory (they stay in the page cache)."""
    aligned = start - start % mmap.PAGESIZE
    if end > aligned and hasattr(mmap, "MADV_DONTNEED"):
        view.madvise(mmap.MADV_DONTNEED, aligned, end - aligned)
    return end - end % mmap.PAGESIZE


def _fill(node: Any, elements: Iterator[Any]) -> int:
    """Replace every integer ``0`` of ``node`` by the next element, in document order."""
    count = 0
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        if type(value) is int and value == 0:
            replacement = next(elements, None)
            if replacement is None:
                return -1
            node[key] = replacement
            count += 1
        elif isinstance(value, dict | list):
            inner = _fill(value, elements)
            if inner < 0:
                return -1
            count += inner
    return count


def _pages(data: Any, path: Path) -> list[Mapping[str, Any]]:
    pages = data if isinstance(data, list) else [data]
    if not pages or not all(isinstance(p, dict) and any(k in p for k in _KEYS) for p in pages):
        raise InputError(
            f"{path} is JSON but not authorization details",
            advice="expected the output of `aws iam get-account-authorization-details`",
        )
    return pages


class AuthDetailsSource:
    """Roles (and, for ``who-can``, users and groups) from an authorization-details file.

    Each managed policy's default version is parsed once and the same :class:`PolicyDocument` is
    shared by every role that attaches it, so the engine compiles it once.
    """

    kind = SourceKind.AUTH_DETAILS

    def __init__(self, path: Path, data: Any | None = None) -> None:
        self.path = path
        pages = _pages(load_json_file(path) if data is None else data, path)
        self._roles: dict[str, Mapping[str, Any]] = {}
        self._role_pointer: dict[str, str] = {}
        self.users: list[Mapping[str, Any]] = []
        self.groups: list[Mapping[str, Any]] = []
        self._policies: dict[str, Mapping[str, Any]] = {}
        self._policy_pointer: dict[str, str] = {}
        self._parsed: dict[str, PolicyDocument | None] = {}
        self._boundaries: dict[str, PolicyDocument] = {}
        self._built: dict[str, Role] = {}
        self._validated: set[str] = set()
        self._valid_documents: set[tuple[PolicyKind, str]] = set()
        self._validated_managed: set[str] = set()
        for page_no, page in enumerate(pages):
            prefix = f"/{page_no}" if isinstance(data, list) else ""
            for index, role in enumerate(_list(page, "RoleDetailList", path)):
                arn = role.get("Arn") if isinstance(role, dict) else None
                if not isinstance(arn, str):
                    raise InputError(f"{path}: {prefix}/RoleDetailList/{index} has no Arn")
                self._roles[arn] = role
                self._role_pointer[arn] = f"{prefix}/RoleDetailList/{index}"
            self.users.extend(_list(page, "UserDetailList", path))
            self.groups.extend(_list(page, "GroupDetailList", path))
            for index, policy in enumerate(_list(page, "Policies", path)):
                arn = policy.get("Arn") if isinstance(policy, dict) else None
                if isinstance(arn, str):
                    self._policies[arn] = policy
                    self._policy_pointer[arn] = f"{prefix}/Policies/{index}"
        self._by_name = {str(r.get("RoleName", "")): arn for arn, r in self._roles.items()}

    # -- Source protocol -------------------------------------------------------------------

    def get_role(self, ref: str) -> Role:
        """The role named ``ref`` (name or ARN), built once and cached."""
        arn = ref if ref in self._roles else self._by_name.get(ref.rsplit("/", 1)[-1])
        if ref.startswith("arn:") and ref not in self._roles:
            arn = None
        if arn is None:
            raise InputError(f"role {ref!r} is not in {self.path}")
        if arn not in self._built:
            self._built[arn] = self._build_role(arn)
        return self._built[arn]

    def get_function(self, ref: str) -> LambdaFunction | None:
        return None

    def get_user_pool(self, arn: str) -> UserPool | None:
        return None

    def inventory(self) -> Inventory:
        return Inventory(roles=tuple(self.get_role(arn) for arn in sorted(self._roles)))

    def validate_role(self, arn: str) -> None:
        """Raise what :meth:`get_role` raises for role ``arn``'s documents (the same parser, the
        same file and JSON path), without building the role: for questions over every role
        (``who-can``) that must refuse a file exactly as ``audit`` does."""
        if arn in self._built or arn in self._validated:
            return
        detail = self._roles[arn]
        pointer = self._role_pointer[arn]
        checks: list[tuple[Any, PolicyKind, str]] = []
        if detail.get("AssumeRolePolicyDocument") is not None:
            checks.append(
                (
                    detail["AssumeRolePolicyDocument"],
                    PolicyKind.TRUST,
                    f"{pointer}/AssumeRolePolicyDocument",
                )
            )
        for index, item in enumerate(_list(detail, "RolePolicyList", self.path)):
            checks.append(
                (
                    item.get("PolicyDocument"),
                    PolicyKind.INLINE,
                    f"{pointer}/RolePolicyList/{index}/PolicyDocument",
                )
            )
        for item in _list(detail, "AttachedManagedPolicies", self.path):
            self._managed_check(str(item.get("PolicyArn", "")), checks)
        pb = detail.get("PermissionsBoundary")
        if isinstance(pb, dict) and pb.get("PermissionsBoundaryArn"):
            self._managed_check(str(pb["PermissionsBoundaryArn"]), checks)
        for value, kind, where in checks:
            # the same document (most trust policies, shared managed ones) is validated once
            key = (kind, value if isinstance(value, str) else orjson.dumps(value).decode())
            if key in self._valid_documents:
                continue
            location = f"{self.path} {where}"
            if isinstance(value, dict):
                validate_policy(value, location=location, kind=kind)
            else:
                parse_policy(value, name=where, kind=kind, location=location)
            self._valid_documents.add(key)
        self._validated.add(arn)

    def _managed_check(self, arn: str, checks: list[tuple[Any, PolicyKind, str]]) -> None:
        """Add managed policy ``arn``'s default version to ``checks`` once, as
        :meth:`_parse_managed` reads it (an AWS managed policy outside the file is the vetted
        snapshot)."""
        if arn in self._validated_managed:
            return
        self._validated_managed.add(arn)  # a failure raises: the run ends there
        found = self._default_version(arn)
        if found is not None:
            index, version = found
            pointer = f"{self._policy_pointer[arn]}/PolicyVersionList/{index}/Document"
            checks.append((version.get("Document"), PolicyKind.MANAGED, pointer))

    def trusted_roles(self, service: str) -> tuple[Role, ...]:
        """The roles whose trust policy names ``service`` or a ``*``: only those are parsed (the
        logs-role candidates of discovery; the engine then judges each trust policy)."""
        found = []
        for arn, detail in self._roles.items():
            trust = detail.get("AssumeRolePolicyDocument")
            text = unquote(trust) if isinstance(trust, str) else json.dumps(trust)
            if service in text or "*" in text:
                found.append(arn)
        return tuple(self.get_role(arn) for arn in sorted(found))

    def account_id(self) -> str | None:
        for arn in self._roles:
            parts = arn.split(":")
            if len(parts) > 4 and parts[4]:
                return parts[4]
        return None

    # -- building --------------------------------------------------------------------------

    def role_arns(self) -> list[str]:
        return sorted(self._roles)

    def role_details(self) -> list[Mapping[str, Any]]:
        """The raw ``RoleDetailList`` entries, in file order (for questions over every role)."""
        return list(self._roles.values())

    def managed_policy(self, arn: str) -> PolicyDocument | None:
        """The default version of managed policy ``arn``, parsed once; ``None`` if absent."""
        if arn not in self._parsed:
            self._parsed[arn] = self._parse_managed(arn)
        return self._parsed[arn]

    def managed_document(self, arn: str) -> Any | None:
        """The raw default-version ``Document`` of managed policy ``arn`` as the file holds it
        (decoded JSON, or URL-encoded text), unparsed; ``None`` when the file does not hold it.

        For questions that look at every policy but need only a few of them parsed.
        """
        found = self._default_version(arn)
        return found[1].get("Document") if found is not None else None

    def _default_version(self, arn: str) -> tuple[int, Mapping[str, Any]] | None:
        detail = self._policies.get(arn)
        if detail is None:
            return None
        default = detail.get("DefaultVersionId")
        for index, version in enumerate(detail.get("PolicyVersionList") or []):
            if not isinstance(version, dict):
                continue
            if version.get("IsDefaultVersion") or (default and version.get("VersionId") == default):
                return index, version
        return None

    def _parse_managed(self, arn: str) -> PolicyDocument | None:
        detail = self._policies.get(arn)
        if detail is None:
            from iam_audit.managed import aws_managed_policy

            return aws_managed_policy(arn) if ":iam::aws:policy/" in arn else None
        found = self._default_version(arn)
        if found is None:
            return None
        index, version = found
        pointer = f"{self._policy_pointer[arn]}/PolicyVersionList/{index}/Document"
        document = parse_policy(
            version.get("Document"),
            name=arn,
            kind=PolicyKind.MANAGED,
            location=f"{self.path} {pointer}",
        )
        return PolicyDocument(
            arn,
            PolicyKind.MANAGED,
            document.document,
            origin=self._origin(pointer),
            text=document.text,
            version_id=version.get("VersionId"),
            validated=document.validated,
        )

    def _origin(self, pointer: str) -> Origin:
        return Origin(SourceKind.AUTH_DETAILS, str(self.path), pointer)

    def _build_role(self, arn: str) -> Role:
        detail = self._roles[arn]
        pointer = self._role_pointer[arn]
        trust = None
        if detail.get("AssumeRolePolicyDocument") is not None:
            trust = self._parse(
                detail["AssumeRolePolicyDocument"],
                "trust",
                PolicyKind.TRUST,
                f"{pointer}/AssumeRolePolicyDocument",
            )
        inline = []
        for index, item in enumerate(_list(detail, "RolePolicyList", self.path)):
            name = str(item.get("PolicyName", f"inline-{index}"))
            inline.append(
                self._parse(
                    item.get("PolicyDocument"),
                    name,
                    PolicyKind.INLINE,
                    f"{pointer}/RolePolicyList/{index}/PolicyDocument",
                )
            )
        managed: list[PolicyDocument] = []
        unknown: list[str] = []
        for item in _list(detail, "AttachedManagedPolicies", self.path):
            policy_arn = str(item.get("PolicyArn", ""))
            document = self.managed_policy(policy_arn)
            if document is None:
                unknown.append(policy_arn)
            else:
                managed.append(document)
        boundary_arn = None
        boundary = None
        pb = detail.get("PermissionsBoundary")
        if isinstance(pb, dict) and pb.get("PermissionsBoundaryArn"):
            boundary_arn = str(pb["PermissionsBoundaryArn"])
            found = self.managed_policy(boundary_arn)
            if found is not None and boundary_arn not in self._boundaries:
                # one boundary document per ARN, shared by its roles: it compiles once
                self._boundaries[boundary_arn] = PolicyDocument(
                    boundary_arn,
                    PolicyKind.BOUNDARY,
                    found.document,
                    origin=found.origin,
                    text=found.text,
                    version_id=found.version_id,
                    validated=found.validated,
                )
            boundary = self._boundaries.get(boundary_arn)
        tags = tuple(
            (str(t.get("Key")), str(t.get("Value")))
            for t in detail.get("Tags") or ()
            if isinstance(t, dict)
        )
        return Role(
            arn=arn,
            name=str(detail.get("RoleName", arn.rsplit("/", 1)[-1])),
            origin=self._origin(pointer),
            trust=trust,
            inline=tuple(inline),
            managed=tuple(managed),
            boundary=boundary,
            boundary_arn=boundary_arn,
            unknown_managed=tuple(sorted(unknown)),
            path=str(detail.get("Path", "/")),
            tags=tags,
        )

    def _parse(self, value: Any, name: str, kind: PolicyKind, pointer: str) -> PolicyDocument:
        parsed = parse_policy(value, name=name, kind=kind, location=f"{self.path} {pointer}")
        return PolicyDocument(
            name,
            kind,
            parsed.document,
            origin=self._origin(pointer),
            text=parsed.text,
            validated=parsed.validated,
        )


def _list(container: Mapping[str, Any], key: str, path: Path) -> Iterable[Mapping[str, Any]]:
    value = container.get(key) or []
    if not isinstance(value, list):
        raise InputError(f"{path}: {key} is not a list")
    return [item for item in value if isinstance(item, dict)]
