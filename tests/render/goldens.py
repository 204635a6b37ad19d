"""Golden files: compared exactly; rewritten when IAM_AUDIT_UPDATE_GOLDEN=1 (``make golden``)."""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, text: str) -> None:
    """Assert ``text`` equals golden file ``name``, or rewrite it under ``make golden``."""
    path = GOLDEN / name
    if os.environ.get("IAM_AUDIT_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"no golden file {path}: run `make golden` and review the diff"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs: run `make golden`"
