"""Authorization-details files are decoded once into typed records, in any layout, with the same result.

The typed decode (``iam_audit.sources.authschema``) validates every document while decoding; a
file with a document it refuses is decoded with plain-JSON documents, and the engine's validation
then names the file, the JSON path and what is wrong, as for every other source.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest

from iam_audit.errors import InputError, PolicyParseError
from iam_audit.sources.auth_details import AuthDetailsSource
from tests.scale.accounts import ACTION, POOL, account, allow, doc, managed_arn, policy, role, user


def _sample() -> dict[str, Any]:
    grant = managed_arn("Grant")
    return account(
        roles=[role(f"r{i}", managed=[grant], tags={"n": str(i)}) for i in range(5)],
        users=[user("u", inline={"p": doc(allow(ACTION, POOL))})],
        policies=[policy(grant, doc(allow(ACTION, POOL)))],
    )


def _urlencoded(data: dict[str, Any]) -> dict[str, Any]:
    """The raw API's form: every document a URL-encoded JSON string."""
    out = json.loads(json.dumps(data))
    for item in out["RoleDetailList"]:
        item["AssumeRolePolicyDocument"] = quote(json.dumps(item["AssumeRolePolicyDocument"]))
    for item in out["Policies"]:
        for version in item["PolicyVersionList"]:
            version["Document"] = quote(json.dumps(version["Document"]))
    return out


def _roles(source: AuthDetailsSource) -> list[tuple[Any, ...]]:
    return [
        (
            r.arn,
            r.tags,
            r.trust.document if r.trust else None,
            [(p.name, p.document) for p in r.identity_policies],
        )
        for r in (source.get_role(arn) for arn in source.role_arns())
    ]


LAYOUTS = {
    "indent4": json.dumps(_sample(), indent=4),  # what the AWS CLI writes
    "indent2": json.dumps(_sample(), indent=2),
    "compact": json.dumps(_sample(), separators=(",", ":")),
    "one-line": json.dumps(_sample()),
    "bom": "\ufeff" + json.dumps(_sample(), indent=4),
    "urlencoded": json.dumps(_urlencoded(_sample()), indent=4),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_layout_gives_the_same_roles(tmp_path: Path, layout: str) -> None:
    path = tmp_path / "a.json"
    path.write_text(LAYOUTS[layout], encoding="utf-8")
    expected = AuthDetailsSource(tmp_path / "x.json", data=_sample())
    source = AuthDetailsSource(path)
    assert _roles(source) == _roles(expected)
    # the documents are the file's own, not a re-reading of them
    first = source.get_role("r0")
    assert (
        first.identity_policies[0].document
        == _sample()["Policies"][0]["PolicyVersionList"][0]["Document"]
    )
    assert first.tags == (("n", "0"),)


def test_pages_are_read_as_one_account(tmp_path: Path) -> None:
    one, two = _sample(), _sample()
    two["RoleDetailList"] = [role("other")]
    path = tmp_path / "pages.json"
    path.write_text(json.dumps([one, two]))
    source = AuthDetailsSource(path)
    names = sorted(r.rsplit("/", 1)[-1] for r in source.role_arns())
    assert names == ["other", *(f"r{i}" for i in range(5))]
    assert source.get_role("other").origin.pointer == "/1/RoleDetailList/0"


def test_a_list_of_one_page_is_pointed_into_with_its_index(tmp_path: Path) -> None:
    """A JSON pointer names the page even when the list holds one (RFC 6901: "/0" is the
    list's first element)."""
    path = tmp_path / "page.json"
    path.write_text(json.dumps([_sample()]))
    source = AuthDetailsSource(path)
    assert source.get_role("r0").origin.pointer == "/0/RoleDetailList/0"
    (tmp_path / "one.json").write_text(json.dumps(_sample()))
    assert AuthDetailsSource(tmp_path / "one.json").get_role("r0").origin.pointer == (
        "/RoleDetailList/0"
    )


def test_typed_documents_are_validated_once_while_decoding(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(_sample()))
    source = AuthDetailsSource(path)
    assert source.typed
    assert all(p.validated for p in source.get_role("r0").identity_policies)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        # "Principal ... You cannot use the Principal element in an IAM identity-based policy"
        # (IAM User Guide, IAM JSON policy elements: Principal)
        (
            lambda d: d["Policies"][0]["PolicyVersionList"][0]["Document"]["Statement"][0].update(
                Principal="*"
            ),
            "must not name a Principal",
        ),
        # "Effect ... Valid values for Effect are Allow and Deny. The Effect value is
        # case-sensitive." (IAM User Guide, IAM JSON policy elements: Effect)
        (
            lambda d: d["Policies"][0]["PolicyVersionList"][0]["Document"]["Statement"][0].update(
                Effect="allow"
            ),
            'Effect must be exactly "Allow" or "Deny"',
        ),
        (
            lambda d: d["Policies"][0]["PolicyVersionList"][0]["Document"]["Statement"][0].update(
                Action="AdminInitiateAuth"
            ),
            "is not SERVICE:ACTION",
        ),
    ],
    ids=["principal", "effect-case", "action-without-service"],
)
def test_a_document_the_types_refuse_is_refused_by_the_engine(
    tmp_path: Path, mutate: Any, message: str
) -> None:
    data = _sample()
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data, indent=4))
    source = AuthDetailsSource(path)
    assert not source.typed
    with pytest.raises(PolicyParseError, match=message) as raised:
        source.get_role("r0")
    assert "bad.json /Policies/0/PolicyVersionList/0/Document" in str(raised.value)
    with pytest.raises(PolicyParseError, match=message):
        source.validate_role(source.role_arns()[0])


@pytest.mark.parametrize("bad_version", ["v1", "v2"])
def test_only_the_default_version_of_a_managed_policy_must_hold(
    tmp_path: Path, bad_version: str
) -> None:
    # SetDefaultPolicyVersion "sets the specified version of the specified policy as the
    # policy's default (operative) version. This operation affects all users, groups, and roles
    # that the policy is attached to" (IAM API Reference): the other versions take no part in
    # any evaluation, so one the engine would refuse keeps the file typed and refuses nothing;
    # a default version it refuses is refused, as above
    bad = doc(allow("AdminInitiateAuth", POOL))  # no service: the engine refuses it
    good = doc(allow(ACTION, POOL))
    grant = managed_arn("Grant")
    default, old = (good, bad) if bad_version == "v1" else (bad, good)
    data = account(roles=[role("r0", managed=[grant])], policies=[policy(grant, default, old)])
    path = tmp_path / "versions.json"
    path.write_text(json.dumps(data, indent=2))
    source = AuthDetailsSource(path)
    if bad_version == "v1":
        assert source.typed
        (managed,) = source.get_role("r0").managed
        assert managed.document == good
        assert managed.validated
        source.validate_role(source.role_arns()[0])
    else:
        assert not source.typed
        with pytest.raises(PolicyParseError, match="is not SERVICE:ACTION"):
            source.validate_role(source.role_arns()[0])


@pytest.mark.parametrize(
    "text",
    [json.dumps(_sample(), indent=4)[:-40], json.dumps(_sample()).replace('"Arn"', "Arn", 1), ""],
    ids=["truncated", "broken", "empty"],
)
def test_invalid_json_is_an_input_error_naming_the_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(InputError, match=r"bad\.json is not valid JSON"):
        AuthDetailsSource(path)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"Foo": []}, "is JSON but not authorization details"),
        ([], "is JSON but not authorization details"),
        ({"RoleDetailList": {}}, "RoleDetailList is not a list"),
        ({"RoleDetailList": [{"RoleName": "x"}]}, "/RoleDetailList/0 has no Arn"),
    ],
)
def test_json_that_is_not_authorization_details_says_what_is_wrong(
    tmp_path: Path, data: Any, message: str
) -> None:
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=message):
        AuthDetailsSource(path)


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        AuthDetailsSource(tmp_path / "missing.json")


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_lazy_read_gives_the_same_roles(tmp_path: Path, layout: str) -> None:
    """``audit`` reads a file lazily: documents stay text until a role is asked for."""
    path = tmp_path / "a.json"
    path.write_text(LAYOUTS[layout], encoding="utf-8")
    lazy = AuthDetailsSource(path, lazy=True)
    assert _roles(lazy) == _roles(AuthDetailsSource(path))
    assert all(p.validated for p in lazy.get_role("r0").identity_policies)


def test_a_lazy_read_refuses_the_role_it_reads_as_the_engine_does(tmp_path: Path) -> None:
    data = _sample()
    data["RoleDetailList"].append(role("odd", inline={"p": doc(allow(ACTION, POOL))}))
    data["RoleDetailList"][-1]["RolePolicyList"][0]["PolicyDocument"]["Statement"][0][
        "Principal"
    ] = "*"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data, indent=4))
    lazy = AuthDetailsSource(path, lazy=True)
    assert lazy.get_role("r0").name == "r0"  # another role's document is not read
    with pytest.raises(PolicyParseError, match="must not name a Principal") as raised:
        lazy.get_role("odd")
    assert "bad.json /RoleDetailList/5/RolePolicyList/0/PolicyDocument" in str(raised.value)


def test_url_encoded_documents_are_refused_by_who_can_as_by_audit(tmp_path: Path) -> None:
    """The raw API's form decodes as text; who-can must still refuse a role audit refuses."""
    from iam_audit.whocan import who_can

    data = _urlencoded(_sample())
    trust = json.loads(unquote(data["RoleDetailList"][0]["AssumeRolePolicyDocument"]))
    trust["Statement"][0]["Effect"] = "allow"  # Effect is case-sensitive
    data["RoleDetailList"][0]["AssumeRolePolicyDocument"] = quote(json.dumps(trust))
    path = tmp_path / "raw.json"
    path.write_text(json.dumps(data))
    source = AuthDetailsSource(path)
    with pytest.raises(PolicyParseError, match='Effect must be exactly "Allow" or "Deny"'):
        source.get_role("r0")
    with pytest.raises(PolicyParseError, match='Effect must be exactly "Allow" or "Deny"'):
        who_can(AuthDetailsSource(path), ACTION, POOL)


@pytest.mark.parametrize("lazy", [False, True])
def test_a_trust_naming_the_service_through_a_json_escape_is_a_candidate(
    tmp_path: Path, lazy: bool
) -> None:
    """Discovery's text pre-filter must not drop a trust whose JSON spells the service with an
    escape ("any character may be escaped", RFC 8259, section 7): the engine judges it."""
    data = _sample()
    data["RoleDetailList"].append(role("escaped"))
    data["RoleDetailList"][-1]["AssumeRolePolicyDocument"] = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "cognito-idp.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    path = tmp_path / "escaped.json"
    path.write_text(
        json.dumps(data).replace("cognito-idp.amazonaws", "cognito\\u002didp.amazonaws")
    )
    source = AuthDetailsSource(path, lazy=lazy)
    names = [r.name for r in source.trusted_roles("cognito-idp.amazonaws.com")]
    assert "escaped" in names
