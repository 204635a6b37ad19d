"""Large authorization-details files are parsed element by element, and give the same document.

The element-by-element path applies only to the AWS CLI's layout (``json.dumps(indent=4)``); every
other layout, and every file where the split would not be exact, falls back to one parse.
"""

from __future__ import annotations

import json
import mmap
from pathlib import Path
from typing import Any

import orjson
import pytest

from iam_audit.errors import InputError
from iam_audit.sources import auth_details
from iam_audit.sources.auth_details import _load_elements, load_json_file
from tests.scale.accounts import ACTION, POOL, account, allow, doc, managed_arn, policy, role, user


def _sample() -> dict[str, Any]:
    grant = managed_arn("Grant")
    return account(
        roles=[role(f"r{i}", managed=[grant], tags={"n": str(i)}) for i in range(5)],
        users=[user("u", inline={"p": doc(allow(ACTION, POOL))})],
        policies=[policy(grant, doc(allow(ACTION, POOL)))],
    )


def _elements(path: Path) -> Any:
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
        return _load_elements(view)


@pytest.fixture(autouse=True)
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth_details, "SPLIT_THRESHOLD", 1)


def test_aws_cli_layout_is_split_and_identical(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(_sample(), indent=4))
    assert _elements(path) == _sample()  # the element path itself, not the fallback
    assert load_json_file(path) == _sample()


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(_sample()),  # compact: one line
        json.dumps(_sample(), indent=2),  # other indentation
        json.dumps([_sample(), _sample()], indent=4),  # several pages: elements sit deeper
        # an element written on one line ({} has no line of its own to end on)
        json.dumps(_sample(), indent=4).replace('"RoleDetailList": [', '"RoleDetailList": [{},', 1),
        # a stray zero in the skeleton would take an element's place
        json.dumps({**_sample(), "IsTruncated": 0}, indent=4),
        # a nested object indented like an element
        json.dumps(_sample(), indent=4).replace(
            '"RoleLastUsed": {}', '"RoleLastUsed": {"Region": "us-east-1"\n        }', 1
        ),
    ],
    ids=["compact", "indent2", "pages", "one-line-element", "stray-zero", "misindented"],
)
def test_other_layouts_parse_whole_and_identical(tmp_path: Path, text: str) -> None:
    path = tmp_path / "a.json"
    path.write_text(text)
    assert load_json_file(path) == orjson.loads(text)


@pytest.mark.parametrize("layout", ["compact", "indent2"])
def test_the_fallback_is_taken_for_other_layouts(tmp_path: Path, layout: str) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(_sample(), indent=None if layout == "compact" else 2))
    assert _elements(path) is None


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(_sample(), indent=4)[:-40],  # truncated
        json.dumps(_sample(), indent=4).replace('"Arn"', "Arn", 1),  # broken inside an element
        "",
    ],
    ids=["truncated", "broken-element", "empty"],
)
def test_invalid_json_is_an_input_error_naming_the_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(InputError, match=r"bad\.json is not valid JSON"):
        load_json_file(path)


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_json_file(tmp_path / "missing.json")
