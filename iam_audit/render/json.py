"""``--format json``: any command's :meth:`~iam_audit.results.Result.as_dict`, one encoder.

The shapes are ``policies/schemas/*.schema.json``; this module only writes them: two-space
indentation, keys in the order the payload builds them, text as UTF-8 (the exact data).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from iam_audit.results import Result

__all__ = ["JsonRenderer", "json_text"]


def json_text(payload: Any) -> str:
    """``payload`` as indented JSON with a final newline.

    orjson writes the same text as ``json.dumps(indent=2, ensure_ascii=False)``, faster (a
    ``who-can`` of a large account lists thousands of principals); what it refuses (a lone
    surrogate, an integer beyond 64 bits) is written by :mod:`json`, escaped.
    """
    try:
        return orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n"
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(payload, indent=2) + "\n"


class JsonRenderer:
    """Stable JSON for pipelines, whatever the command."""

    def render(self, result: Result) -> str:
        return json_text(result.as_dict())
