"""``a or b`` (Python) and ``a || b`` / ``a ?? b`` (JavaScript): one rule for both analysers.

Python: "The expression ``x or y`` first evaluates *x*; if *x* is true, its value is returned;
otherwise, *y* is evaluated and the resulting value is returned" (The Python Language Reference,
6.11 Boolean operations). JavaScript: "the logical OR (||) operator ... returns the value of the
first truthy operand" (MDN, Logical OR (||)). So an unset or empty environment variable falls back
to the first truthy literal after it, and a fallback it already has is kept; the found parameter
is the variable with that literal as its ``default``.
"""

from __future__ import annotations

import pytest

from iam_audit.codecalls import analyse_package
from iam_audit.codecalls.botocore_map import BotocoreOperationMap
from iam_audit.codecalls.interface import Value

OPS = BotocoreOperationMap()

_PY = "import os, boto3\nboto3.client('cognito-idp').admin_get_user(UserPoolId={}, Username='u')\n"
_JS = (
    'const {{ CognitoIdentityProvider }} = require("@aws-sdk/client-cognito-identity-provider");\n'
    "new CognitoIdentityProvider().adminGetUser({{ UserPoolId: {}, Username: 'u' }});\n"
)

CASES = [
    ("f.py", _PY, "os.environ.get('P') or 'x'", Value("env", "P", "x")),
    ("f.py", _PY, "os.getenv('P') or 'x' or 'y'", Value("env", "P", "x")),
    ("f.py", _PY, "os.environ.get('P', '') or 'x'", Value("env", "P", "x")),
    ("f.py", _PY, "os.environ.get('P', 'd') or 'x'", Value("env", "P", "d")),
    ("f.py", _PY, "os.environ['P'] or os.environ['Q']", Value("env", "P")),
    ("f.js", _JS, "process.env.P || 'x'", Value("env", "P", "x")),
    ("f.js", _JS, "process.env.P ?? 'x'", Value("env", "P", "x")),
    ("f.js", _JS, "process.env.P || 'x' || 'y'", Value("env", "P", "x")),
    ("f.js", _JS, "process.env.P || process.env.Q", Value("env", "P")),
]


@pytest.mark.parametrize(
    ("name", "template", "expression", "expected"),
    CASES,
    ids=[f"{name[-2:]}: {expression}" for name, _, expression, _ in CASES],
)
def test_a_fallback_is_the_first_literal_after_the_variable(
    name: str, template: str, expression: str, expected: Value
) -> None:
    found = analyse_package({name: template.format(expression).encode()}, OPS, "t")
    (call,) = found.calls
    assert call.param("UserPoolId") == expected
