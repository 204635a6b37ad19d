"""`iam-audit csv check` of a large import CSV, measured against a process that only reads it.

Generates a user-import CSV the way a migration writes one (the ``GetCSVHeader`` columns of a pool
with two custom attributes, E.164 phone numbers of several countries, email addresses, escaped
commas in addresses, and one bad row in about 5,000: national phone numbers, bad dates, duplicate
usernames, unverified users; 480,000 users, about 100 MB; ``--small`` for CI), then runs,
alternately and ``--runs`` times each:

(a) the floor: a Python process that reads the file with the ``csv`` module (the backslash escape
    of the Cognito format as ``escapechar``) and calls ``phonenumbers.parse`` on each phone number;
(b) the installed ``iam-audit csv check FILE --header-file H --schema S --format json``: the
    whole command, start-up and every rule included.

It prints the median wall time of each, their ratio (target: at most 2.0), the peak resident
memory of each process (``wait4`` rusage of that child alone) and the machine. It asserts nothing:
the figures are the output.

    .venv/bin/python benchmarks/csv_bench.py [--small] [--runs 5] [--users 480000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from who_can_bench import Run, cli_path, machine

USERS = 480_000
SMALL_USERS = 3_000
#: The header ``aws cognito-idp get-csv-header`` returns for a pool with two custom attributes.
HEADER = (
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
    "custom:tier",
    "custom:plan",
)
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

FLOOR = """\
import csv, sys
import phonenumbers
with open(sys.argv[1], encoding="utf-8", newline="") as f:
    rows = csv.reader(f, escapechar="\\\\")
    phone = next(rows).index("phone_number")
    for row in rows:
        if len(row) > phone and row[phone]:
            try:
                phonenumbers.parse(row[phone], None)
            except phonenumbers.NumberParseException:
                pass
"""


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


def run_process(argv: list[str], codes: tuple[int, ...] = (0,)) -> tuple[Run, bytes]:
    """Run ``argv``; its own wall time and peak RSS (``wait4``: not other children's)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, env=env)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in codes:
        raise SystemExit(f"{argv[0]} exited {code}")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: KiB on Linux, bytes on macOS
    return Run(seconds, usage.ru_maxrss * scale), output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help=f"{SMALL_USERS:,} users (for CI)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each process (median)")
    parser.add_argument("--users", type=int, help=f"users in the file (default {USERS:,})")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    users = args.users or (SMALL_USERS if args.small else USERS)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path, header, schema = root / "users.csv", root / "header.json", root / "pool.json"
        started = time.perf_counter()
        write_csv(path, users)
        header.write_text(json.dumps({"CSVHeader": list(HEADER), "UserPoolId": "x"}))
        schema.write_text(json.dumps(POOL))
        print(f"generated {path.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        size = path.stat().st_size
        floor = [sys.executable, "-c", FLOOR, str(path)]
        command = [
            cli_path(),
            *("csv", "check", str(path), "--header-file", str(header), "--schema", str(schema)),
            *("--format", "json"),
        ]
        # warm the page cache and the bytecode caches, and read the answer
        run_process(floor)
        _, output = run_process(command, codes=(0, 1))
        summary = json.loads(output)["summary"]
        floors: list[Run] = []
        checks: list[Run] = []
        for _ in range(args.runs):
            floors.append(run_process(floor)[0])
            checks.append(run_process(command, codes=(0, 1))[0])

    floor_s = statistics.median(r.seconds for r in floors)
    check_s = statistics.median(r.seconds for r in checks)
    floor_rss = max(r.peak_rss for r in floors)
    check_rss = max(r.peak_rss for r in checks)
    mb = 1e6
    print(f"machine:        {machine()}")
    print(
        f"file:           {size / mb:.1f} MB ({'small' if users < USERS else 'full'} size),"
        f" {summary['users']:,} users, {summary['rejected_users']:,} would fail,"
        f" {summary['errors']:,} errors, {summary['warnings']:,} warnings"
    )
    print(f"runs:           {args.runs} of each, median wall time")
    print(f"csv+phonenumbers: {floor_s:.3f} s   peak RSS {floor_rss / mb:.1f} MB")
    print(f"csv check (CLI):  {check_s:.3f} s   peak RSS {check_rss / mb:.1f} MB")
    print(f"time ratio:     {check_s / floor_s:.2f}x the floor (target <= 2.0)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
