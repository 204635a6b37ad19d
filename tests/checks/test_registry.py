"""The catalogue is explicit and complete: unique IDs, every module listed, every page written."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from iam_audit.checks import ALL_CHECKS, catalogue

CHECK_DIR = Path(importlib.import_module("iam_audit.checks").__file__ or "").parent
HEADINGS = (
    "**What it checks**",
    "**Why it matters**",
    "**Example**",
    "**Fix**",
    "**Known limits**",
)


def test_ids_and_slugs_are_unique() -> None:
    ids = [c.meta.id for c in ALL_CHECKS]
    slugs = [c.meta.slug for c in ALL_CHECKS]
    assert len(set(ids)) == len(ids)
    assert len(set(slugs)) == len(slugs)
    assert [m.id for m in catalogue()] == sorted(ids)


def test_every_check_module_is_registered_under_its_id_and_slug() -> None:
    modules = sorted(p.stem for p in CHECK_DIR.glob("cog[0-9][0-9][0-9]_*.py"))
    registered = sorted(f"{c.meta.id.lower()}_{c.meta.slug.replace('-', '_')}" for c in ALL_CHECKS)
    assert modules == registered


@pytest.mark.parametrize("check", ALL_CHECKS, ids=[c.meta.id for c in ALL_CHECKS])
def test_every_check_has_its_rule_page(check: type) -> None:
    doc = check.__doc__ or ""
    missing = [h for h in HEADINGS if h not in doc]
    assert missing == []
    assert not check.meta.summary.endswith(".")
