"""Reading and validating IAM policy documents.

:func:`parse_policy` turns a dict, JSON text or RFC 3986 URL-encoded JSON text (what the raw IAM API
returns) into a :class:`~iam_audit.model.PolicyDocument`; :func:`validate_policy` checks that a
decoded document is an IAM policy, following the policy grammar
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html), and raises
:class:`~iam_audit.errors.PolicyParseError` naming the JSON path of the first problem.

The validator is deliberately a little more lenient than IAM where IAM's own behaviour is
service-specific (any non-empty string is accepted as a ``Resource``; ``NotPrincipal`` is accepted in
trust policies so that checks can flag it) and exactly as strict where a mistake would silently
change the meaning of a policy (``Effect`` is case-sensitive, unknown statement elements such as a
misspelt ``Condtion`` are rejected).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import unquote

from iam_audit.engine.conditions import is_known_operator, suggest_operator
from iam_audit.errors import PolicyParseError
from iam_audit.model import JSON, PolicyDocument, PolicyKind

__all__ = [
    "IDENTITY_KINDS",
    "RESOURCE_KINDS",
    "decode_document",
    "parse_policy",
    "statement_list",
    "statement_path",
    "statements_of",
    "unknown_operators",
    "validate_policy",
    "validate_statement",
]

#: Policies attached to an identity: they never name a principal and always name resources.
IDENTITY_KINDS = frozenset({PolicyKind.INLINE, PolicyKind.MANAGED, PolicyKind.BOUNDARY})
#: Policies attached to a resource (a role's trust policy is one): they must name a principal.
RESOURCE_KINDS = frozenset({PolicyKind.TRUST, PolicyKind.RESOURCE})

_VERSIONS = ("2012-10-17", "2008-10-17")
_TOP_KEYS = frozenset({"Version", "Id", "Statement"})
_STATEMENT_KEYS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
_PRINCIPAL_TYPES = ("AWS", "Federated", "Service", "CanonicalUser")


def _key_path(path: str, key: str) -> str:
    """``$.a`` + ``b`` → ``$.a.b``; keys that are not identifiers use ``['...']``."""
    if key.replace("_", "a").isalnum():
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key)}]"


def _fail(message: str, path: str, location: str) -> PolicyParseError:
    where = f"{location} {path}" if location else path
    return PolicyParseError(message, location=where)


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def statement_list(document: JSON) -> tuple[tuple[JSON, ...], bool]:
    """The statements of a decoded document, in order (a statement's index is its position),
    and whether ``Statement`` is one object rather than a list (the IAM documentation uses both
    forms). No statements for a document without a usable ``Statement``."""
    raw = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(raw, dict):
        return (raw,), True
    if isinstance(raw, list):
        return tuple(raw), False
    return (), False


def statement_path(index: int, single: bool) -> str:
    """The JSON path of statement ``index`` (``single``: ``Statement`` is one object)."""
    return "$.Statement" if single else f"$.Statement[{index}]"


def statements_of(document: JSON) -> Iterator[tuple[int, str, JSON]]:
    """Yield ``(index, json_path, statement)`` for each statement of a decoded document
    (:func:`statement_list`)."""
    statements, single = statement_list(document)
    for index, statement in enumerate(statements):
        yield index, statement_path(index, single), statement


def _check_string_list(value: JSON, path: str, location: str, what: str) -> None:
    """``value`` must be a non-empty string or a non-empty list of non-empty strings."""
    if isinstance(value, str):
        if not value:
            raise _fail(f"{what} must not be an empty string", path, location)
        return
    if isinstance(value, list):
        if not value:
            raise _fail(f"{what} must not be an empty list", path, location)
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item:
                raise _fail(
                    f"{what} entries must be non-empty strings, got {_type_name(item)}",
                    f"{path}[{index}]",
                    location,
                )
        return
    raise _fail(
        f"{what} must be a string or a list of strings, got {_type_name(value)}", path, location
    )


def _check_actions(value: JSON, path: str, location: str, element: str) -> None:
    _check_string_list(value, path, location, element)
    items = [value] if isinstance(value, str) else value
    for index, action in enumerate(items):
        item_path = path if isinstance(value, str) else f"{path}[{index}]"
        if action == "*":
            continue
        # IAM: "Actions/Conditions must be prefaced by a vendor" / "can contain only one colon".
        if action.count(":") != 1 or action.startswith(":") or action.endswith(":"):
            raise _fail(
                f"{element} {action!r} is not SERVICE:ACTION (e.g. cognito-idp:AdminInitiateAuth)",
                item_path,
                location,
            )


def _check_principal(value: JSON, path: str, location: str, element: str) -> None:
    if value == "*":
        return
    if not isinstance(value, dict):
        raise _fail(
            f'{element} must be "*" or an object keyed by {", ".join(_PRINCIPAL_TYPES)}, '
            f"got {_type_name(value)}",
            path,
            location,
        )
    if not value:
        raise _fail(f"{element} must name at least one principal", path, location)
    for key, entries in value.items():
        key_path = _key_path(path, str(key))
        if key not in _PRINCIPAL_TYPES:
            raise _fail(
                f"unknown principal type {key!r} (expected one of {', '.join(_PRINCIPAL_TYPES)})",
                key_path,
                location,
            )
        _check_string_list(entries, key_path, location, f"{element} {key}")


def _check_condition(value: JSON, path: str, location: str) -> None:
    if not isinstance(value, dict):
        raise _fail(f"Condition must be an object, got {_type_name(value)}", path, location)
    for operator, block in value.items():
        op_path = _key_path(path, str(operator))
        if not isinstance(operator, str) or not operator:
            raise _fail("condition operators must be non-empty strings", op_path, location)
        if not isinstance(block, dict):
            raise _fail(
                f"condition operator {operator} must map condition keys to values, "
                f"got {_type_name(block)}",
                op_path,
                location,
            )
        for key, values in block.items():
            key_path = _key_path(op_path, str(key))
            if not isinstance(key, str) or not key:
                raise _fail("condition keys must be non-empty strings", key_path, location)
            # The grammar allows strings, numbers and booleans ("Quotation marks are optional
            # for numeric and Boolean values"), one value or a list of them.
            items = values if isinstance(values, list) else [values]
            for index, item in enumerate(items):
                if not isinstance(item, str | int | float | bool):
                    item_path = f"{key_path}[{index}]" if isinstance(values, list) else key_path
                    raise _fail(
                        f"condition values must be strings, numbers or booleans, "
                        f"got {_type_name(item)}",
                        item_path,
                        location,
                    )


def validate_statement(
    statement: JSON, path: str, *, location: str = "", kind: PolicyKind | None = None
) -> None:
    """Check one statement; ``path`` is its JSON path, e.g. ``$.Statement[1]``."""
    if not isinstance(statement, dict):
        raise _fail(f"a statement must be an object, got {_type_name(statement)}", path, location)
    for key in statement:
        if key not in _STATEMENT_KEYS:
            raise _fail(
                f"unknown statement element {key!r} "
                f"(expected {', '.join(sorted(_STATEMENT_KEYS))})",
                _key_path(path, str(key)),
                location,
            )
    sid = statement.get("Sid")
    if "Sid" in statement and not isinstance(sid, str):
        raise _fail(f"Sid must be a string, got {_type_name(sid)}", f"{path}.Sid", location)
    if "Effect" not in statement:
        raise _fail('statement has no Effect ("Allow" or "Deny")', path, location)
    effect = statement["Effect"]
    if effect not in ("Allow", "Deny"):
        raise _fail(
            f'Effect must be exactly "Allow" or "Deny" (case-sensitive), got {effect!r}',
            f"{path}.Effect",
            location,
        )
    has_action, has_not_action = "Action" in statement, "NotAction" in statement
    if has_action == has_not_action:
        raise _fail(
            "statement must have exactly one of Action or NotAction"
            + (", not both" if has_action else ""),
            path,
            location,
        )
    element = "Action" if has_action else "NotAction"
    _check_actions(statement[element], f"{path}.{element}", location, element)
    if "Resource" in statement and "NotResource" in statement:
        raise _fail("statement must not have both Resource and NotResource", path, location)
    for element in ("Resource", "NotResource"):
        if element in statement:
            _check_string_list(statement[element], f"{path}.{element}", location, element)
    has_principal, has_not_principal = "Principal" in statement, "NotPrincipal" in statement
    if has_principal and has_not_principal:
        raise _fail("statement must not have both Principal and NotPrincipal", path, location)
    for element in ("Principal", "NotPrincipal"):
        if element in statement:
            _check_principal(statement[element], f"{path}.{element}", location, element)
    if "Condition" in statement:
        _check_condition(statement["Condition"], f"{path}.Condition", location)
    if kind in IDENTITY_KINDS:
        if has_principal or has_not_principal:
            raise _fail(
                f"a {kind.value} (identity-based) policy must not name a Principal",
                path,
                location,
            )
        if "Resource" not in statement and "NotResource" not in statement:
            raise _fail("statement has no Resource or NotResource", path, location)
    elif kind in RESOURCE_KINDS and not (has_principal or has_not_principal):
        raise _fail(
            f"a {kind.value} policy statement must name a Principal or NotPrincipal",
            path,
            location,
        )
    elif kind is PolicyKind.SCP and (has_principal or has_not_principal):
        # "SCP syntax": the Principal element is not supported
        raise _fail("a service control policy must not name a Principal", path, location)
    elif kind is PolicyKind.RCP and not has_principal:
        # "RCP syntax": Principal is required (and only "*" is supported)
        raise _fail("a resource control policy statement must name a Principal", path, location)


def validate_policy(document: JSON, *, location: str = "", kind: PolicyKind | None = None) -> None:
    """Raise :class:`PolicyParseError` naming ``location`` and the JSON path if not a policy.

    Checks the grammar of https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html:
    an object with ``Statement`` (one object or a list), ``Version`` absent, ``"2012-10-17"`` or
    ``"2008-10-17"``; each statement with ``Effect`` exactly ``"Allow"``/``"Deny"``, exactly one of
    ``Action``/``NotAction``, at most one of ``Resource``/``NotResource`` and of
    ``Principal``/``NotPrincipal``, and ``Condition`` an object of objects whose values are strings,
    numbers or booleans. With ``kind``, also: identity policies (inline, managed, boundary) must not
    name a principal and must name resources; trust and resource policies must name a principal.

    Never raises anything but :class:`PolicyParseError`.

    Known limits (more lenient than IAM's save-time checks, never in a way that changes what a
    policy means): resources are any non-empty strings (not checked to be ARNs); action names
    are not checked against the catalogue (see ``unknown_actions``); ``NotPrincipal`` and
    ``Resource`` are accepted in trust policies, which IAM refuses to save, so that checks can
    flag them; condition operators are not checked here (an unknown one makes its statement never
    apply, and ``evaluate`` says so in ``notes``; :func:`unknown_operators` lists them, and
    ``parse_policy(strict_operators=True)`` refuses them).
    """
    if not isinstance(document, dict):
        raise _fail(f"a policy must be a JSON object, got {_type_name(document)}", "$", location)
    for key in document:
        if key not in _TOP_KEYS:
            raise _fail(
                f"unknown policy element {key!r} (expected Version, Id, Statement)",
                _key_path("$", str(key)),
                location,
            )
    if "Version" in document and document["Version"] not in _VERSIONS:
        raise _fail(
            f'Version must be "2012-10-17" or "2008-10-17", got {document["Version"]!r}',
            "$.Version",
            location,
        )
    if "Id" in document and not isinstance(document["Id"], str):
        raise _fail(f"Id must be a string, got {_type_name(document['Id'])}", "$.Id", location)
    if "Statement" not in document:
        raise _fail("policy has no Statement", "$", location)
    raw = document["Statement"]
    if not isinstance(raw, dict | list):
        raise _fail(
            f"Statement must be an object or a list of objects, got {_type_name(raw)}",
            "$.Statement",
            location,
        )
    for _index, path, statement in statements_of(document):
        validate_statement(statement, path, location=location, kind=kind)


def unknown_operators(document: JSON) -> tuple[tuple[str, str, str | None], ...]:
    """Condition operators IAM does not define: (JSON path, operator, closest real one).

    IAM refuses to store a policy that uses one; the engine reads it as a statement that never
    applies (``evaluate`` says so in ``notes``). In document order; nothing for a document that
    is not a policy (``validate_policy`` says what is wrong with it).
    """
    found: list[tuple[str, str, str | None]] = []
    for _index, path, statement in statements_of(document):
        block = statement.get("Condition") if isinstance(statement, dict) else None
        if not isinstance(block, dict):
            continue
        for operator in block:
            if isinstance(operator, str) and operator and not is_known_operator(operator):
                found.append(
                    (_key_path(f"{path}.Condition", operator), operator, suggest_operator(operator))
                )
    return tuple(found)


def decode_document(value: str | JSON, location: str = "") -> JSON:
    """A document as a source holds it, decoded but not validated: JSON text, or the raw IAM
    API's URL-encoded JSON text, is parsed; anything else is returned as it is. Raises
    :class:`PolicyParseError` for text that is not JSON."""
    return _decode_text(value, location) if isinstance(value, str) else value


def _decode_text(value: str, location: str) -> JSON:
    text = value.strip()
    if not text.startswith(("{", "[")) and "%" in text:
        # The raw IAM API returns documents "URL-encoded compliant with RFC 3986"; botocore
        # decodes them with urllib's unquote, and so do we.
        text = unquote(text).strip()
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        detail = (
            f"line {exc.lineno} column {exc.colno}: {exc.msg}"
            if isinstance(exc, json.JSONDecodeError)
            else str(exc)
        )
        raise _fail(f"not valid JSON ({detail})", "$", location) from None


def parse_policy(
    value: str | JSON,
    *,
    name: str,
    kind: PolicyKind,
    location: str = "",
    strict_operators: bool = False,
) -> PolicyDocument:
    """Decode a dict, JSON text or URL-encoded JSON text into a validated PolicyDocument.

    Text is URL-decoded when it does not start with ``{`` but holds ``%`` escapes (``%7B%22Ver…``),
    as the raw IAM API returns it. The decoded JSON text is kept in ``PolicyDocument.text``.
    Raises :class:`PolicyParseError` (naming ``location`` and the JSON path) when the value is not
    an IAM policy of kind ``kind`` or, with ``strict_operators``, when a condition operator is
    not one IAM defines (IAM would refuse to store it; otherwise it is left to ``notes`` and
    COG008). The document says it was validated (``validated=True``, which
    ``msgspec.structs.replace`` keeps), so evaluation does not check its statements again.
    """
    text: str | None = None
    document: JSON
    if isinstance(value, bytes | bytearray):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise _fail("policy text is not UTF-8", "$", location) from None
    if isinstance(value, str):
        document = _decode_text(value, location)
        stripped = value.strip()
        text = stripped if stripped.startswith(("{", "[")) else unquote(stripped).strip()
    else:
        document = value
    validate_policy(document, location=location, kind=kind)
    if strict_operators:
        for path, operator, suggestion in unknown_operators(document)[:1]:
            hint = f" (did you mean {suggestion}?)" if suggestion else ""
            raise _fail(
                f"unknown condition operator {operator!r}{hint}; IAM refuses such a policy",
                path,
                location,
            )
    return PolicyDocument(name=name, kind=kind, document=document, text=text, validated=True)
