"""Condition operators, evaluated in AWS's two-valued logic and in a three-valued open logic.

Every condition entry (operator, key, values) is evaluated twice at once:

* **request** value (``bool``): AWS semantics for the context as given. An absent key makes a
  positive operator false and a negated one (``StringNotEquals``, ``ArnNotLike``,
  ``NotIpAddress``…) true; ``...IfExists`` is true; ``ForAllValues`` is true and ``ForAnyValue``
  false; ``Null: true`` matches (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html,
  and reference_policies_multi-value-conditions.html).
* **open** value (:class:`Tri`): a key the caller did not supply could hold any value, so the entry
  is ``UNKNOWN`` unless its result cannot depend on it. The keys responsible are returned.

Rules that hold throughout: condition key names are case-insensitive, values case-sensitive except
for the ``IgnoreCase`` operators; several values for one key are OR-ed (for negated operators that
makes an AND of the negations); several keys or operators in a statement are AND-ed. Policy
variables are substituted in String, ARN and Bool values only (the operator page lists variables as
unsupported for Numeric, Date, Binary, IP address and Null). An unknown operator never matches.

Known limits (behaviour AWS does not document precisely): operator names and set prefixes are
matched case-insensitively; ``Bool`` compares ``true``/``false`` case-insensitively; a plain
(unqualified) operator on a key with several request values holds when any value matches (a
negated one when none does); with ``ForAllValues``/``ForAnyValue`` a negated operator tests each
request value against all policy values ("matches none of them"); ``ArnLike`` with a pattern of
fewer than six components matches nothing unless the pattern is ``*``; an unparsable number, date,
address or base-64 value never matches (so its negated operator holds). In the open logic, a
condition whose key is missing is unknown even where no value could change it.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Container, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum

from msgspec import Struct

from iam_audit.engine.match import Resolution, Template

__all__ = [
    "OPERATOR_NAMES",
    "Condition",
    "Tri",
    "compile_conditions",
    "evaluate_condition",
    "is_known_operator",
    "suggest_operator",
    "tri_and",
    "tri_or",
]


class Tri(Enum):
    """Three-valued truth: Kleene logic."""

    FALSE = 0
    TRUE = 1
    UNKNOWN = 2

    @classmethod
    def of(cls, value: bool) -> Tri:
        return cls.TRUE if value else cls.FALSE


def tri_and(left: Tri, right: Tri) -> Tri:
    """Kleene AND."""
    if left is Tri.FALSE or right is Tri.FALSE:
        return Tri.FALSE
    if left is Tri.UNKNOWN or right is Tri.UNKNOWN:
        return Tri.UNKNOWN
    return Tri.TRUE


def tri_or(left: Tri, right: Tri) -> Tri:
    """Kleene OR."""
    if left is Tri.TRUE or right is Tri.TRUE:
        return Tri.TRUE
    if left is Tri.UNKNOWN or right is Tri.UNKNOWN:
        return Tri.UNKNOWN
    return Tri.FALSE


#: Each operator as AWS spells it (reference_policies_elements_condition_operators.html) →
#: (family, negated); the one table the engine evaluates by and suggestions are made from.
_OPERATORS: dict[str, tuple[str, bool]] = {
    "StringEquals": ("string", False),
    "StringNotEquals": ("string", True),
    "StringEqualsIgnoreCase": ("string-ic", False),
    "StringNotEqualsIgnoreCase": ("string-ic", True),
    "StringLike": ("string-like", False),
    "StringNotLike": ("string-like", True),
    "ArnEquals": ("arn", False),
    "ArnLike": ("arn", False),
    "ArnNotEquals": ("arn", True),
    "ArnNotLike": ("arn", True),
    "NumericEquals": ("num-eq", False),
    "NumericNotEquals": ("num-eq", True),
    "NumericLessThan": ("num-lt", False),
    "NumericLessThanEquals": ("num-le", False),
    "NumericGreaterThan": ("num-gt", False),
    "NumericGreaterThanEquals": ("num-ge", False),
    "DateEquals": ("date-eq", False),
    "DateNotEquals": ("date-eq", True),
    "DateLessThan": ("date-lt", False),
    "DateLessThanEquals": ("date-le", False),
    "DateGreaterThan": ("date-gt", False),
    "DateGreaterThanEquals": ("date-ge", False),
    "Bool": ("bool", False),
    "BinaryEquals": ("binary", False),
    "IpAddress": ("ip", False),
    "NotIpAddress": ("ip", True),
    "Null": ("null", False),
}
#: The operators as AWS spells them.
OPERATOR_NAMES: tuple[str, ...] = tuple(_OPERATORS)
#: The same table by lower-case name: operator names compare case-insensitively, as the engine
#: reads them.
_BY_LOWER: dict[str, tuple[str, bool]] = {name.lower(): entry for name, entry in _OPERATORS.items()}
# Families whose values may hold policy variables.
_VARIABLE_FAMILIES = frozenset({"string", "string-ic", "string-like", "arn", "bool"})


class Condition(Struct, frozen=True):
    """One (operator, key, values) entry of a ``Condition`` block.

    ``family`` is ``None`` for an operator IAM does not define; such an entry never matches.
    ``qualifier`` is ``""``, ``"any"`` (``ForAnyValue:``) or ``"all"`` (``ForAllValues:``).
    """

    operator: str
    family: str | None
    negated: bool
    qualifier: str
    if_exists: bool
    key: str
    key_text: str
    values: tuple[Template, ...]


def _parse_operator(operator: str) -> tuple[str | None, bool, str, bool]:
    """``ForAnyValue:StringLikeIfExists`` → (family, negated, qualifier, if_exists)."""
    name = operator.strip()
    qualifier = ""
    lowered = name.lower()
    if lowered.startswith("foranyvalue:"):
        qualifier, name = "any", name[len("ForAnyValue:") :]
    elif lowered.startswith("forallvalues:"):
        qualifier, name = "all", name[len("ForAllValues:") :]
    base = name.lower()
    if_exists = base.endswith("ifexists")
    if if_exists:
        base = base[: -len("ifexists")]
    entry = _BY_LOWER.get(base)
    if entry is None:
        return None, False, qualifier, if_exists
    family, negated = entry
    if family == "null" and (if_exists or qualifier):
        # "You can add IfExists to the end of any condition operator name except the Null
        # condition"; a set qualifier on Null has no meaning either.
        return None, False, qualifier, if_exists
    return family, negated, qualifier, if_exists


def is_known_operator(operator: str) -> bool:
    """Is ``operator`` one IAM defines (with its ``ForAnyValue:``/``ForAllValues:`` and
    ``IfExists`` forms)? Names compare case-insensitively, as the engine reads them."""
    return _parse_operator(operator)[0] is not None


def suggest_operator(operator: str) -> str | None:
    """The closest operator IAM defines (``StringEqualz`` → ``StringEquals``), or ``None``."""
    name = operator.strip()
    prefix = ""
    for qualifier in ("ForAnyValue:", "ForAllValues:"):
        if name.lower().startswith(qualifier.lower()):
            prefix, name = qualifier, name[len(qualifier) :]
    suffix = ""
    if name.lower().endswith("ifexists") and len(name) > len("IfExists"):
        suffix, name = "IfExists", name[: -len("IfExists")]
    by_lower = {known.lower(): known for known in OPERATOR_NAMES}
    close = difflib.get_close_matches(name.lower(), by_lower, n=1, cutoff=0.75)
    return f"{prefix}{by_lower[close[0]]}{suffix}" if close else None


def _value_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def compile_conditions(block: Mapping[str, object], *, variables: bool) -> tuple[Condition, ...]:
    """Compile a validated ``Condition`` block (sorted by operator, then key, for stable output)."""
    out: list[Condition] = []
    for operator, keys in sorted(block.items()):
        family, negated, qualifier, if_exists = _parse_operator(operator)
        if not isinstance(keys, dict):
            continue
        for key_text, raw in sorted(keys.items()):
            items = raw if isinstance(raw, list) else [raw]
            use_variables = variables and family in _VARIABLE_FAMILIES
            values = tuple(
                Template.build(_value_text(item), variables=use_variables) for item in items
            )
            out.append(
                Condition(
                    operator=operator,
                    family=family,
                    negated=negated,
                    qualifier=qualifier,
                    if_exists=if_exists,
                    key=str(key_text).lower(),
                    key_text=str(key_text),
                    values=values,
                )
            )
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Value parsing (not cached: each is a few microseconds, and the engine keeps no module state)

# compiled on first use (re's own cache of patterns), not at import: only date conditions need it
_EPOCH_RE = r"-?\d+(\.\d+)?"


def _number(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _date(text: str) -> float | None:
    """W3C/ISO 8601 date or date-time (UTC when no offset), or epoch seconds."""
    text = text.strip()
    if re.fullmatch(_EPOCH_RE, text):
        return float(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _binary(text: str) -> bytes | None:
    import base64  # only a BinaryEquals condition decodes: every command loads the engine
    import binascii

    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


def _bool(text: str) -> bool | None:
    lowered = text.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    return None


def _compare(family: str, request: str, policy: Resolution) -> bool:
    """Positive-sense match of one request value against one resolved policy value."""
    pieces = policy.pieces
    if pieces is None:
        return False  # a variable with no value is null: "There is no equal or like value"
    if family == "string":
        return request == policy.text()
    if family == "string-ic":
        text = policy.text()
        return text is not None and request.casefold() == text.casefold()
    if family == "string-like":
        return policy.fullmatch(request)
    if family == "arn":
        return policy.arn_like(request)
    if family == "bool":
        text = policy.text()
        wanted = _bool(text) if text is not None else None
        return wanted is not None and _bool(request) is wanted
    text = policy.text() or ""
    if family.startswith("num-"):
        left, right = _number(request), _number(text)
        if left is None or right is None:
            return False
        return _order(family[4:], left, right)
    if family.startswith("date-"):
        left_date, right_date = _date(request), _date(text)
        if left_date is None or right_date is None:
            return False
        return _order(family[5:], left_date, right_date)
    if family == "ip":
        network = _network(text)
        if network is None:
            return False
        candidate = _network(request)
        if isinstance(candidate, ipaddress.IPv4Network) and isinstance(
            network, ipaddress.IPv4Network
        ):
            return candidate.subnet_of(network)
        if isinstance(candidate, ipaddress.IPv6Network) and isinstance(
            network, ipaddress.IPv6Network
        ):
            return candidate.subnet_of(network)
        return False
    if family == "binary":
        left_bytes, right_bytes = _binary(request), _binary(text)
        if left_bytes is None or right_bytes is None:
            return request == text
        return left_bytes == right_bytes
    return False


def _order(relation: str, left: Decimal | float, right: Decimal | float) -> bool:
    if relation == "eq":
        return left == right
    if relation == "lt":
        return left < right
    if relation == "le":
        return left <= right
    if relation == "gt":
        return left > right
    return left >= right  # "ge"


def evaluate_condition(
    condition: Condition,
    values: Mapping[str, tuple[str, ...]],
    supplied: Container[str],
    unknown_values: tuple[str, ...] = (),
) -> tuple[bool, Tri, tuple[str, ...]]:
    """Evaluate one entry: (request value, open value, keys that make the open value unknown).

    ``values`` maps lower-case keys to the request's values; ``supplied`` is the set of keys whose
    presence or absence is known (given by the caller or derived from the principal).
    ``unknown_values``: strings that stand for values nobody knows yet (``Request.unknown_values``):
    a condition value holding one is compared as written, and makes the open value unknown as a
    policy variable without a value does (it is named among the keys).
    """
    family = condition.family
    if family is None:
        return False, Tri.FALSE, ()
    found = values.get(condition.key)
    absent = not found
    key_known = condition.key in supplied or not absent
    if family == "null":
        wanted = [_bool(template.raw) for template in condition.values]
        result = any(w is not None and w is absent for w in wanted)
        if key_known:
            return result, Tri.of(result), ()
        return result, Tri.UNKNOWN, (condition.key_text,)
    if absent:
        if condition.if_exists or condition.qualifier == "all":
            result = True
        elif condition.qualifier == "any":
            result = False
        else:
            result = condition.negated
        if key_known:
            return result, Tri.of(result), ()
        return result, Tri.UNKNOWN, (condition.key_text,)
    assert found is not None
    resolutions = [template.resolve(values, supplied) for template in condition.values]
    if unknown_values:
        opened = []
        for template, resolution in zip(condition.values, resolutions, strict=True):
            held = tuple(v for v in unknown_values if v in template.raw)
            opened.append(
                replace(resolution, unknown=(*resolution.unknown, *held)) if held else resolution
            )
        resolutions = opened
    unknown = sorted({key for resolution in resolutions for key in resolution.unknown})

    def value_matches(request_value: str) -> bool:
        hit = any(_compare(family, request_value, r) for r in resolutions)
        return not hit if condition.negated else hit

    if condition.qualifier == "all":
        result = all(value_matches(v) for v in found)
    elif condition.qualifier == "any":
        result = any(value_matches(v) for v in found)
    else:
        hit = any(_compare(family, v, r) for v in found for r in resolutions)
        result = not hit if condition.negated else hit
        if unknown and any(
            _compare(family, v, r) for v in found for r in resolutions if not r.unknown
        ):
            # A match with a value no unknown key feeds decides the entry (values are OR-ed).
            return result, Tri.of(result), ()
    if unknown:
        return result, Tri.UNKNOWN, tuple(unknown)
    return result, Tri.of(result), ()
