"""A file's roles decoded a share at a time (``UndecodedSource.plan`` and ``load_share``).

Each who-can worker decodes only its share of ``RoleDetailList`` and the rest of the file. The
cuts are found in the bytes alone, so nothing found there is trusted: the shares together must
be the very records the whole file decodes to, or some share is refused (and the caller reads
the whole file). Here: the records on the AWS CLI's layouts and on compact JSON, for two to
four shares; and a table of files made to fool the byte search (a decoy key, a decoy closing
bracket, keys in another order, pages, duplicate keys, bad JSON), each planned as unsplittable
or refused, never decoded to other records. who-can's answers on such files are compared in
``test_whocan_oracle.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from iam_audit.sources.auth_details import (
    AuthDetailsSource,
    ShareRefused,
    UndecodedSource,
    plan_shares,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from gen_account import Generator, Sizes

from tests.scale.accounts import with_decoy_roles_key, with_role_not_json

SIZES = Sizes(roles=120, policies=12, users=9, groups=3)


@pytest.fixture(scope="module")
def account() -> dict[str, Any]:
    data: dict[str, Any] = Generator(SIZES, 3).account()
    return data


def _text(data: Any, indent: int | None) -> bytes:
    """``data`` as the AWS CLI writes it (``indent=4``), or another layout."""
    separators = None if indent else (",", ":")
    return json.dumps(data, indent=indent, separators=separators).encode()


def _records(source: AuthDetailsSource) -> tuple[list[Any], list[Any], Any, Any]:
    """What a source holds: its roles and users in order, its groups and managed policies."""
    roles = [record for kind, record in source.principals() if kind == "role"]
    users = [record for kind, record in source.principals() if kind == "user"]
    return roles, users, source.groups, source._policies


def _shares(
    path: Path, raw: bytes, count: int, *, writable: bool = True
) -> tuple[list[Any], list[Any], Any, Any] | None:
    """What ``count`` shares of ``raw`` hold together (as :func:`_records`); ``None`` when it does
    not split or a share is refused. ``writable``: the bytes in a bytearray, as who-can reads."""
    source = UndecodedSource(path, bytearray(raw) if writable else raw)
    plan = source.plan(count)
    if plan is None:
        return None
    try:
        rest = source.load_rest(plan)
        shares = [source.load_roles(plan, index, rest) for index in range(count)]
    except ShareRefused:
        return None
    finally:
        assert bytes(source.raw) == raw  # spliced in place, then put back as it was
    assert all(any(kind == "role" for kind, _record in share) for share in shares)
    roles = [record for share in shares for kind, record in share if kind == "role"]
    users = [record for share in shares for kind, record in share if kind == "user"]
    return roles, users, rest.groups, rest._policies


@pytest.mark.parametrize("count", [2, 3, 8])
@pytest.mark.parametrize("indent", [4, 2, None])
def test_the_shares_together_are_the_whole_file(
    tmp_path: Path, account: dict[str, Any], indent: int | None, count: int
) -> None:
    path = tmp_path / "account.json"
    raw = _text(account, indent)
    path.write_bytes(raw)
    whole = _records(AuthDetailsSource(path))
    assert _shares(path, raw, count) == whole, "the AWS CLI's layouts split"
    # the same records whether the bytes may be written in place or not
    assert _shares(path, raw, count, writable=False) == whole


def test_only_the_first_share_knows_where_its_roles_are_in_the_file(
    tmp_path: Path, account: dict[str, Any]
) -> None:
    """A role's JSON pointer needs its index in the file, which only the first share knows: a
    question that needs it in another share is refused, never answered with a wrong pointer."""
    path = tmp_path / "account.json"
    path.write_bytes(_text(account, 4))
    source = UndecodedSource(path)
    plan = source.plan(2)
    assert plan is not None
    rest = source.load_rest(plan)
    first = source.load_roles(plan, 0, rest)[0][1].Arn
    later = source.load_roles(plan, 1, rest)[0][1].Arn
    assert rest.get_role(first).origin.pointer == "/RoleDetailList/0"
    with pytest.raises(ShareRefused):
        rest.get_role(later)


def _decoy_closing(data: dict[str, Any]) -> dict[str, Any]:
    """``}], "Policies"`` in the last managed policy's record (fields iam-audit skips), after the
    real key: the search from the end takes it for the end of the roles."""
    data["Policies"][-1] = {"Decoy": [{"x": 1}], "Policies": [], **data["Policies"][-1]}
    return data


def _sorted_keys(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True)


def _later_duplicate(data: dict[str, Any]) -> str:
    """A second ``RoleDetailList`` after the rest: a decoder keeps the last."""
    text = json.dumps(data)
    return text[:-1] + ', "RoleDetailList": [' + json.dumps(data["RoleDetailList"][0]) + "]}"


def _earlier_duplicate(data: dict[str, Any]) -> str:
    """A first ``RoleDetailList`` of one role before the users, the real one after them."""
    return (
        '{"RoleDetailList": ['
        + json.dumps(data["RoleDetailList"][0])
        + "], "
        + json.dumps(data)[1:]
    )


def _pages(data: dict[str, Any]) -> str:
    return json.dumps([data])


#: (what, the file's text from the generated account, what becomes of it: ``unsplit``, no plan;
#: ``refused``, a share refused): none may decode to other records
FOOLING = [
    (
        "a decoy RoleDetailList key before the real one",
        lambda d: json.dumps(with_decoy_roles_key(d)),
        "refused",
    ),
    (
        'a decoy `], "Policies"` after the real key',
        lambda d: json.dumps(_decoy_closing(d)),
        "refused",
    ),
    ("keys sorted (every role starts with its Arn)", _sorted_keys, "unsplit"),
    ("a second RoleDetailList after the rest", _later_duplicate, "refused"),
    ("a first RoleDetailList before the users", _earlier_duplicate, "refused"),
    ("a role that is not JSON", lambda d: with_role_not_json(d, 90), "refused"),
    ("a list of pages", _pages, "unsplit"),
]


@pytest.mark.parametrize(("what", "make", "becomes"), FOOLING, ids=[case[0] for case in FOOLING])
def test_a_file_made_to_fool_the_byte_search_is_never_decoded_to_other_records(
    tmp_path: Path, account: dict[str, Any], what: str, make: Any, becomes: str
) -> None:
    path = tmp_path / "account.json"
    raw = make(json.loads(json.dumps(account))).encode()
    path.write_bytes(raw)
    for count in (2, 3):
        source = UndecodedSource(path, bytearray(raw))
        planned = source.plan(count) is not None
        assert planned is (becomes != "unsplit"), what
        shares = _shares(path, raw, count)
        assert shares is None, what  # not split, or a share refused: the whole file is read


def test_the_decoys_are_found_by_the_byte_search(account: dict[str, Any]) -> None:
    """The fooling files above do fool the search (so the refusals are the decoding's): each
    of these is planned, and its plan is wrong."""
    whole = json.dumps(account).encode()
    real = plan_shares(whole, 2)
    assert real is not None
    decoy = json.dumps(with_decoy_roles_key(json.loads(whole))).encode()
    planned = plan_shares(decoy, 2)
    assert planned is not None
    assert planned.head < decoy.find(b'"RoleDetailList": [{"Path"')
    closing = json.dumps(_decoy_closing(json.loads(whole))).encode()
    planned = plan_shares(closing, 2)
    assert planned is not None
    assert planned.tail > closing.find(b'"Policies": [')


def test_a_file_too_small_or_of_one_role_does_not_split() -> None:
    one = {"RoleDetailList": [{"Path": "/", "RoleName": "a", "Arn": "arn:aws:iam::1:role/a"}]}
    assert plan_shares(json.dumps(one).encode(), 2) is None
    assert plan_shares(b'{"RoleDetailList": []}', 2) is None
    assert plan_shares(b"[]", 2) is None
    assert plan_shares(json.dumps(one).encode(), 1) is None
