"""who-can on resources whose own policy decides (KMS keys, roles) and on AWS-owned ARNs.

"Unless the key policy explicitly allows it, you cannot use IAM policies to allow access to a KMS
key." (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html). who-can reads no
key policy, so a principal whose IAM policies allow a key action is listed as ``conditional``
(never ``allowed``), with a note; the fast path is not taken for such questions.
"""

from __future__ import annotations

import json
from pathlib import Path

from iam_audit.sources.auth_details import AuthDetailsSource
from iam_audit.whocan import who_can
from tests.scale.accounts import ACCOUNT, account, allow, deny, doc, role

KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _source(tmp_path: Path) -> AuthDetailsSource:
    path = tmp_path / "account.json"
    path.write_text(
        json.dumps(
            account(
                roles=[
                    role("kms-user", inline={"k": doc(allow("kms:Decrypt", KEY))}),
                    role("admin", inline={"a": doc(allow("*"))}),
                    role("denied", inline={"a": doc(allow("*"), deny("kms:*"))}),
                    role("s3", inline={"s": doc(allow("s3:*"))}),
                    role("reader", inline={"r": doc(allow("iam:GetPolicy"))}),
                ]
            )
        )
    )
    return AuthDetailsSource(path)


def test_kms_key_access_is_conditional_on_the_key_policy(tmp_path: Path) -> None:
    result = who_can(_source(tmp_path), "kms:Decrypt", KEY)
    assert [(g.arn.rsplit("/", 1)[1], g.decision.value) for g in result.principals] == [
        ("admin", "conditional"),
        ("kms-user", "conditional"),
    ]
    assert f"kms:Decrypt on {KEY} is decided by the key policy, which was not given" in (
        result.notes
    )


def test_aws_managed_policy_arn_is_in_no_other_account(tmp_path: Path) -> None:
    # "arn:aws:iam::aws:policy/IAMReadOnlyAccess is an AWS managed policy"
    # (access_policies_managed-vs-inline.html): its "aws" is not an account to cross into.
    result = who_can(_source(tmp_path), "iam:GetPolicy", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert [(g.arn.rsplit("/", 1)[1], g.decision.value) for g in result.principals] == [
        ("admin", "allowed"),
        ("denied", "allowed"),
        ("reader", "allowed"),
    ]
    assert not any("account aws" in note for note in result.notes)
