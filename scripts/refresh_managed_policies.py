"""Regenerate iam_audit/managed/aws_managed_policies.json, the offline AWS managed policy snapshot.

Two sources:

* ``--from moto`` (default, offline): the AWS managed policies moto ships in
  ``moto/iam/aws_managed_policies.py`` (moto imports them from a real account with its
  ``make aws_managed_policies`` target). The installed moto version is recorded.
* ``--from account``: ``iam:GetPolicy`` + ``iam:GetPolicyVersion`` for each ARN, through the
  default boto3 credential chain (read-only; needs those two permissions).

Only the policies in ``POLICIES`` are kept: the ones a Cognito migration Lambda role or an import
logs role plausibly attaches. ``ReadOnlyAccess`` is left out on purpose: it is about 100 KB and grants
nothing the checks look for (no ``cognito-idp:Admin*``, no ``logs:Create*``/``logs:PutLogEvents``),
so a role attaching it is reported with the policy "assumed unknown".

Usage::

    .venv/bin/python scripts/refresh_managed_policies.py [--from moto|account] [--date YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "iam_audit" / "managed" / "aws_managed_policies.json"

#: (path, name) of every policy kept in the snapshot.
POLICIES: tuple[tuple[str, str], ...] = (
    ("/service-role/", "AWSLambdaBasicExecutionRole"),
    ("/service-role/", "AWSLambdaVPCAccessExecutionRole"),
    ("/service-role/", "AWSLambdaRole"),
    ("/", "AWSLambdaExecute"),
    ("/", "AWSLambda_FullAccess"),
    ("/", "AWSLambda_ReadOnlyAccess"),
    ("/", "AmazonCognitoPowerUser"),
    ("/", "AmazonCognitoReadOnly"),
    ("/", "AmazonCognitoDeveloperAuthenticatedIdentities"),
    ("/", "AmazonESCognitoAccess"),
    ("/", "AmazonOpenSearchServiceCognitoAccess"),
    ("/", "CloudWatchLogsFullAccess"),
    ("/", "CloudWatchLogsReadOnlyAccess"),
    ("/", "AdministratorAccess"),
    ("/", "PowerUserAccess"),
    ("/", "IAMFullAccess"),
)

#: Documented in the snapshot so a reader knows what is missing and why.
LEFT_OUT = {
    "arn:aws:iam::aws:policy/ReadOnlyAccess": (
        "about 100 KB; grants no action the checks look for; treated as unknown"
    ),
}


def arn_of(path: str, name: str) -> str:
    return f"arn:aws:iam::aws:policy{path}{name}"


def from_moto() -> tuple[str, dict[str, dict[str, Any]]]:
    """The policies moto ships, and a source line naming the moto version."""
    from importlib.metadata import version

    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data = json.loads(aws_managed_policies_data)
    out: dict[str, dict[str, Any]] = {}
    for path, name in POLICIES:
        entry = data.get(name)
        if entry is None:
            sys.exit(f"moto has no AWS managed policy {name}")
        if entry.get("Path", "/") != path:
            sys.exit(f"{name}: moto says path {entry.get('Path')!r}, expected {path!r}")
        out[arn_of(path, name)] = {
            "version": entry["DefaultVersionId"],
            "updated": entry.get("UpdateDate", ""),
            "document": entry["Document"],
        }
    source = (
        f"moto {version('moto')} (moto/iam/aws_managed_policies.py, imported by moto from a live "
        "AWS account)"
    )
    return source, out


def from_account() -> tuple[str, dict[str, dict[str, Any]]]:
    """The default version of each policy, read from the account of the default credentials."""
    import boto3

    iam = boto3.client("iam")
    out: dict[str, dict[str, Any]] = {}
    for path, name in POLICIES:
        arn = arn_of(path, name)
        policy = iam.get_policy(PolicyArn=arn)["Policy"]
        version_id = policy["DefaultVersionId"]
        version = iam.get_policy_version(PolicyArn=arn, VersionId=version_id)["PolicyVersion"]
        out[arn] = {
            "version": version_id,
            "updated": policy["UpdateDate"].isoformat(),
            "document": version["Document"],
        }
    return "iam:GetPolicyVersion on a live AWS account (aws partition)", out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="origin", choices=("moto", "account"), default="moto")
    parser.add_argument("--date", default=datetime.date.today().isoformat(), help="retrieved date")
    parser.add_argument("--out", type=Path, default=OUT, help=f"[default: {OUT}]")
    args = parser.parse_args()
    source, policies = from_moto() if args.origin == "moto" else from_account()
    snapshot = {
        "source": source,
        "retrieved": args.date,
        "left_out": LEFT_OUT,
        "policies": dict(sorted(policies.items())),
    }
    args.out.write_text(json.dumps(snapshot, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(policies)} policies to {args.out}")


if __name__ == "__main__":
    main()
