"""``csv check``'s phone rules against libphonenumber's own ``is_valid_number`` and
``is_possible_number``.

``_PhoneRules`` takes the library's steps (``region_code_for_number``, then
``is_valid_number_for_region``) on patterns it compiles once per country code; these tests
hold it to the library's answer on every region's example numbers and on their neighbours
(one digit more, one less, one changed), valid and not.
"""

from __future__ import annotations

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from iam_audit.preflight.csvcheck import _PhoneRules

TYPES = (
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.MOBILE,
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE,
    PhoneNumberType.VOIP,
    PhoneNumberType.UAN,
)


def _examples() -> list[str]:
    found = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in TYPES:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                found.append(phonenumbers.format_number(number, PhoneNumberFormat.E164))
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        number = phonenumbers.example_number_for_non_geo_entity(code)
        if number is not None:
            found.append(phonenumbers.format_number(number, PhoneNumberFormat.E164))
    return found


def _neighbours(e164: str) -> set[str]:
    near = {e164, e164[:-1], e164 + "7", e164[:3] + "0" + e164[3:]}
    near.update(e164[:-1] + d for d in "05")
    near.update(e164[:5] + d + e164[6:] for d in "18")
    return near


def test_validity_is_libphonenumbers_on_every_region() -> None:
    examples = _examples()
    assert len(examples) > 900  # every region, several types each
    numbers = sorted({n for e in examples for n in _neighbours(e)})
    rules = _PhoneRules()
    answers = {True: 0, False: 0}
    for text in numbers:
        try:
            parsed = phonenumbers.parse(text, None)
        except phonenumbers.NumberParseException:
            continue
        expected = phonenumbers.is_valid_number(parsed)
        assert rules.is_valid(parsed) is expected, text
        assert rules.is_possible(parsed) is phonenumbers.is_possible_number(parsed), text
        answers[expected] += 1
    # both answers are well represented, so neither side can pass by always saying one
    assert answers[True] > 2000
    assert answers[False] > 2000


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("+14325551212", True),  # NANPA: the region is searched (US first, then the others)
        ("+16135550123", True),  # a Canadian area code, found after the US in the +1 list
        ("+14325551", False),
        ("+442079460958", True),  # +44: GB, GG, IM, JE by leading digits or full match
        ("+447624123456", True),  # Isle of Man mobile under +44
        ("+33612345678", True),
        ("+3361234567", False),
        ("+80012345678", True),  # a non-geographic entity (001: international freephone)
    ],
)
def test_validity_cases(text: str, valid: bool) -> None:
    parsed = phonenumbers.parse(text, None)
    assert phonenumbers.is_valid_number(parsed) is valid
    assert _PhoneRules().is_valid(parsed) is valid


def test_a_country_code_without_region_is_not_valid() -> None:
    # parse refuses such numbers; a PhoneNumber built by hand reaches the lookup's None branch
    number = phonenumbers.PhoneNumber(country_code=259, national_number=1234567)
    assert phonenumbers.is_valid_number(number) is False
    assert _PhoneRules().is_valid(number) is False


def _parsed(value: str) -> tuple[object, ...] | None:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return None
    return _fields(number)


def _fields(number: phonenumbers.PhoneNumber | None) -> tuple[object, ...] | None:
    if number is None:
        return None
    return (
        number.country_code,
        number.national_number,
        number.italian_leading_zero,
        number.number_of_leading_zeros,
    )


def _e164_cases() -> list[str]:
    """Every calling code (and some that are none) with random digits of every length, the same
    with a national prefix ``0`` after the code, every example number, and the edges."""
    import random

    rng = random.Random(14)
    cases = list(_examples())
    for code in [*sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE), 0, 28, 80, 210, 999]:
        for length in range(0, 19, 2):
            rest = "".join(rng.choice("0123456789") for _ in range(length))
            cases += [f"+{code}{rest}", f"+{code}0{rest}"]
    return [*cases, "+", "+1", "+12", "+123", "+0123456", "+00441234567890", "+" + "9" * 300]


def test_the_e164_parse_is_the_librarys_parse() -> None:
    """``parse_e164`` takes only the steps ``phonenumbers.parse(value, None)`` takes for a ``+``
    and ASCII digits; the parsed number (calling code, national number, Italian leading
    zeros) or the refusal must be the library's on every calling code."""
    from iam_audit.preflight.csvcheck import parse_e164

    cases = _e164_cases()
    differ = [v for v in cases if _fields(parse_e164(v)) != _parsed(v)]
    assert differ == []
    assert len(cases) > 2_000
    assert sum(_parsed(v) is None for v in cases) > 100  # refusals are compared too
