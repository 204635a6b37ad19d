"""The user pool facts the CSV preflight checks against: header, attribute schema, MFA, verification.

Built from two API answers, live or from files: ``GetCSVHeader`` (the exact header the pool expects)
and ``DescribeUserPool`` (schema attributes, required attributes, auto-verified attributes, MFA
setting, username and alias attributes). Pure: callers hand in the parsed JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from iam_audit.errors import InputError

__all__ = [
    "AttributeSpec",
    "MfaConfiguration",
    "PoolSchema",
    "header_only",
    "parse_header_text",
    "pool_schema",
]

#: "Attribute values: any string up to 2048 chars by default" (FACTS.md §2, user-pool attributes page).
DEFAULT_MAX_LENGTH = 2048


class MfaConfiguration(StrEnum):
    """``UserPoolType.MfaConfiguration`` (service model enum)."""

    OFF = "OFF"
    ON = "ON"
    OPTIONAL = "OPTIONAL"


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    """One ``SchemaAttributes`` entry, named as the CSV header names it (``custom:`` kept)."""

    name: str
    data_type: str = "String"
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PoolSchema:
    """Everything ``csv check`` needs to know about the target pool.

    ``header`` is the expected header in the pool's own order; ``auto_verified`` holds
    ``email``/``phone_number``; ``mfa`` is ``None`` when the pool description did not say.
    ``described`` is False when only the header is known (:func:`header_only`): the checks
    that need ``DescribeUserPool`` are then skipped, not passed.
    """

    header: tuple[str, ...]
    attributes: tuple[AttributeSpec, ...] = ()
    auto_verified: tuple[str, ...] = ()
    mfa: MfaConfiguration | None = None
    username_attributes: tuple[str, ...] = ()
    alias_attributes: tuple[str, ...] = ()
    pool_id: str | None = None
    described: bool = True

    def attribute(self, name: str) -> AttributeSpec | None:
        """The schema entry for header column ``name``, if the pool description has one."""
        for spec in self.attributes:
            if spec.name == name:
                return spec
        return None

    @property
    def required(self) -> tuple[str, ...]:
        """Attributes marked required when the pool was created (``sub`` excluded: Cognito sets it)."""
        return tuple(a.name for a in self.attributes if a.required and a.name != "sub")


def _int_or_none(value: object) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(str(value))
    except ValueError:
        return None


def _decimal_or_none(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _mapping(value: object, what: str) -> Mapping[str, Any]:
    """An object of the description (absent: empty); :class:`InputError` for another type."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputError(f"{what} is not a JSON object")
    return value


def _strings(value: object, what: str) -> tuple[str, ...]:
    """A list of names of the description (absent: none); :class:`InputError` otherwise."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        raise InputError(f"{what} is not a list of strings")
    return tuple(value)


def _spec(entry: Mapping[str, Any], where: str) -> AttributeSpec | None:
    name = entry.get("Name")
    if not isinstance(name, str) or not name:
        return None
    strings = _mapping(
        entry.get("StringAttributeConstraints"), f"{where}: {name}'s StringAttributeConstraints"
    )
    numbers = _mapping(
        entry.get("NumberAttributeConstraints"), f"{where}: {name}'s NumberAttributeConstraints"
    )
    return AttributeSpec(
        name=name,
        data_type=str(entry.get("AttributeDataType") or "String"),
        required=bool(entry.get("Required")),
        min_length=_int_or_none(strings.get("MinLength")),
        max_length=_int_or_none(strings.get("MaxLength")),
        min_value=_decimal_or_none(numbers.get("MinValue")),
        max_value=_decimal_or_none(numbers.get("MaxValue")),
    )


def pool_schema(
    describe: Mapping[str, Any], header: Sequence[str], where: str = "the schema file"
) -> PoolSchema:
    """Build a :class:`PoolSchema` from ``describe_user_pool`` output and the expected header.

    ``describe`` may be the whole response (``{"UserPool": {...}}``) or the inner object, as
    ``aws cognito-idp describe-user-pool`` writes the former and SDK users often save the latter.
    Raises :class:`InputError` (naming ``where``) when it is neither, or when a field has the
    wrong JSON type.
    """
    pool: Any = describe.get("UserPool", describe)
    if not isinstance(pool, Mapping) or not (
        "SchemaAttributes" in pool or "Id" in pool or "AutoVerifiedAttributes" in pool
    ):
        raise InputError(
            f"{where} is not describe-user-pool output",
            advice="save it with: aws cognito-idp describe-user-pool --user-pool-id ID",
        )
    entries = pool.get("SchemaAttributes") or []
    if not isinstance(entries, list):
        raise InputError(f"{where}: SchemaAttributes is not a list")
    specs = tuple(s for s in (_spec(e, where) for e in entries if isinstance(e, Mapping)) if s)
    mfa_raw = pool.get("MfaConfiguration")
    mfa = MfaConfiguration(mfa_raw) if mfa_raw in {m.value for m in MfaConfiguration} else None
    if not header:
        raise InputError("the expected header is empty")
    return PoolSchema(
        header=tuple(header),
        attributes=specs,
        auto_verified=_strings(
            pool.get("AutoVerifiedAttributes"), f"{where}: AutoVerifiedAttributes"
        ),
        mfa=mfa,
        username_attributes=_strings(
            pool.get("UsernameAttributes"), f"{where}: UsernameAttributes"
        ),
        alias_attributes=_strings(pool.get("AliasAttributes"), f"{where}: AliasAttributes"),
        pool_id=pool.get("Id") if isinstance(pool.get("Id"), str) else None,
    )


def header_only(header: Sequence[str]) -> PoolSchema:
    """A :class:`PoolSchema` from the expected header alone (no ``describe-user-pool``)."""
    if not header:
        raise InputError("the expected header is empty")
    return PoolSchema(header=tuple(header), described=False)


def parse_header_text(text: str, where: str = "the header file") -> tuple[str, ...]:
    """The expected header from a header file (``where`` names it in errors).

    Accepts the JSON that ``aws cognito-idp get-csv-header`` writes (``{"CSVHeader": [...]}``)
    or the header line itself (the first line of the CSV template the console downloads).
    """
    from iam_audit.inputs import parse_json

    stripped = text.lstrip("\ufeff").strip()
    if not stripped:
        raise InputError(f"{where} is empty")
    if stripped.startswith("{"):
        data = parse_json(stripped, where, "")
        names = data.get("CSVHeader") if isinstance(data, dict) else None
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise InputError(
                f"{where}: its JSON has no CSVHeader list",
                advice="save it with: aws cognito-idp get-csv-header --user-pool-id ID",
            )
        return tuple(n.strip() for n in names)
    first = stripped.splitlines()[0]
    return tuple(n.strip() for n in first.split(","))
