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
