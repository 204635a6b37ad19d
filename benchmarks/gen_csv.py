"""Generate a user-import CSV the way a migration writes one, for ``csv_bench.py``.

The columns are the ``GetCSVHeader`` answer of a pool with two custom attributes (:data:`HEADER`,
described by :data:`POOL`); the users have E.164 phone numbers of several countries, email
addresses, escaped commas in addresses, and one bad row in about 5,000 (a national phone number,
a bad date, a repeated username, an email without ``@``, an unverified user). The file is
deterministic: row ``n`` depends on ``n`` alone. :data:`STANDARD_COLUMNS` is also the header of the
preflight tests (``tests/preflight/conftest.py``).
"""

from __future__ import annotations

from pathlib import Path

#: The columns ``aws cognito-idp get-csv-header`` returns for a pool without custom attributes
#: (the AWS CLI example of the import guide), in its order.
STANDARD_COLUMNS = (
    "cognito:username",
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "email_verified",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "phone_number_verified",
    "address",
    "updated_at",
    "cognito:mfa_enabled",
)
#: The header ``aws cognito-idp get-csv-header`` returns for a pool with two custom attributes.
HEADER = (*STANDARD_COLUMNS, "custom:tier", "custom:plan")
#: ``describe-user-pool`` of that pool: email auto-verified and an alias, MFA optional.
POOL = {
    "UserPool": {
        "Id": "eu-west-1_Bench0001",
        "AutoVerifiedAttributes": ["email"],
        "AliasAttributes": ["email", "phone_number"],
        "MfaConfiguration": "OPTIONAL",
        "SchemaAttributes": [
            {"Name": "sub", "AttributeDataType": "String", "Required": True},
            {"Name": "email", "AttributeDataType": "String", "Required": True},
            {"Name": "email_verified", "AttributeDataType": "Boolean"},
            {"Name": "phone_number_verified", "AttributeDataType": "Boolean"},
            {
                "Name": "custom:tier",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MinValue": "0", "MaxValue": "9"},
            },
            {
                "Name": "custom:plan",
                "AttributeDataType": "String",
                "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "16"},
            },
        ],
    }
}
#: Valid mobile numbers' prefixes (country code and the first national digits) and their
#: remaining digit counts: E.164 numbers of the countries a pool typically holds.
PHONES = (
    ("+1206", 7),  # United States
    ("+1415", 7),
    ("+44770", 7),  # United Kingdom mobile
    ("+49151", 8),  # Germany mobile
    ("+336", 8),  # France mobile
    ("+3460", 7),  # Spain mobile
    ("+9198", 8),  # India mobile
    ("+55119", 8),  # Brazil, São Paulo mobile
    ("+6140", 7),  # Australia mobile
    ("+8190", 8),  # Japan mobile
)
FIRST = ("Jane", "John", "María", "Wei", "Aïcha", "Olu", "Priya", "Lars", "Yuki", "Chloé")
LAST = ("Doe", "Smith", "García", "Zhang", "Diallo", "Okafor", "Patel", "Berg", "Sato", "Martin")
PLANS = ("free", "pro", "team", "enterprise")
LOCALES = ("en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "hi-IN", "pt-BR", "en-AU", "ja-JP")


def _phone(n: int) -> str:
    prefix, digits = PHONES[n % len(PHONES)]
    rest = f"{(n * 7919) % 10 ** (digits - 1):0{digits - 1}d}"
    return f"{prefix}{2 + n % 8}{rest}"  # the subscriber number starts with 2-9


def user_row(n: int) -> str:
    """Row ``n`` (1-based): a valid user, or one of the bad rows (about one in 5,000)."""
    first, last = FIRST[n % len(FIRST)], LAST[(n // 10) % len(LAST)]
    username = f"user{n:07d}"
    email = f"{first.lower()}.{last.lower()}{n}@example.com"
    phone = _phone(n) if n % 5 else ""  # four users in five have a phone number
    birthdate = f"{n % 12 + 1:02d}/{n % 28 + 1:02d}/{1950 + n % 55}" if n % 2 else ""
    bad = n % 5_000
    if bad == 1:
        phone = f"06{n % 10**8:08d}"  # national format, not E.164
    elif bad == 2:
        birthdate = "1985-02-01"
    elif bad == 3:
        username = f"user{n - 1:07d}"  # repeats the row before
    elif bad == 4:
        email = f"{first.lower()}{n}.example.com"  # no @
    verified = "FALSE" if bad == 5 else "TRUE"
    values = {
        "cognito:username": username,
        "name": f"{first} {last}",
        "given_name": first,
        "family_name": last,
        "nickname": first.lower() if n % 3 == 0 else "",
        "preferred_username": f"{first.lower()}{n}" if n % 2 else "",
        "picture": f"https://cdn.example.com/avatars/{n}.jpg" if n % 3 else "",
        "profile": f"https://example.com/u/{n}" if n % 4 == 0 else "",
        "email": email,
        "email_verified": verified,
        "birthdate": birthdate,
        "zoneinfo": "Europe/Paris" if n % 6 == 0 else "",
        "locale": LOCALES[n % len(LOCALES)],
        "phone_number": phone,
        "phone_number_verified": "TRUE" if phone and n % 3 else "FALSE",
        "address": f"{n % 900 + 1} Main Street\\, Apt {n % 97} Springfield",
        "updated_at": str(1_600_000_000 + n * 37),
        "cognito:mfa_enabled": "FALSE",
        "custom:tier": str(n % 10),
        "custom:plan": PLANS[n % len(PLANS)],
    }
    return ",".join(values.get(col, "") for col in HEADER)


def write_csv(path: Path, users: int) -> None:
    """The header line and ``users`` rows, ``\\n``-terminated UTF-8."""
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write(",".join(HEADER) + "\n")
        for n in range(1, users + 1):
            out.write(user_row(n) + "\n")
