"""One Lambda permission (``AddPermission``'s parameters) as the resource-policy statement it writes.

Both offline sources use it: a CloudFormation ``AWS::Lambda::Permission`` and a Terraform
``aws_lambda_permission`` are each a call to Lambda's AddPermission
(https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html), and the statement Lambda
stores is the same whichever tool made the call.

The rule for a parameter's value: a condition is written only for a parameter that is given. An
absent value (``None``) and an empty string both count as not given. AddPermission's reference
defines ``SourceArn`` by the pattern ``^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:...``,
``SourceAccount`` by ``^\\d{12}$``, ``PrincipalOrgID`` by ``^o-[a-z0-9]{10,32}$`` (length 12-34)
and ``FunctionUrlAuthType`` by the values ``NONE | AWS_IAM``: an empty string matches none of them,
so no stored statement can carry a condition on an empty value (Terraform's provider does not send
an empty optional argument at all). Any other value (a number a YAML file wrote unquoted, an
unresolved-value placeholder) is written as its text.
"""

from __future__ import annotations

from typing import Any

__all__ = ["permission_principal", "permission_statement"]

#: AddPermission's parameters that become conditions, with the operator and key Lambda writes.
_CONDITIONS = (
    ("source_arn", "ArnLike", "AWS:SourceArn"),
    ("source_account", "StringEquals", "AWS:SourceAccount"),
    ("principal_org_id", "StringEquals", "aws:PrincipalOrgID"),
    ("function_url_auth_type", "StringEquals", "lambda:FunctionUrlAuthType"),
)


def permission_principal(principal: str) -> Any:
    """The statement's ``Principal`` for AddPermission's ``Principal``: ``*``, a service, an account."""
    if principal == "*":
        return "*"
    if principal.endswith((".amazonaws.com", ".amazon.com")):
        return {"Service": principal}
    return {"AWS": principal}


def _given(value: object) -> str | None:
    """``value`` as text, or ``None`` for a parameter that is not given (absent or empty)."""
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def permission_statement(
    sid: str,
    principal: str,
    action: str,
    function_arn: str,
    source_arn: object = None,
    source_account: object = None,
    principal_org_id: object = None,
    function_url_auth_type: object = None,
) -> dict[str, Any]:
    """The statement AddPermission writes: ``Resource`` is the function's ARN, each given
    ``SourceArn``/``SourceAccount``/``PrincipalOrgID``/``FunctionUrlAuthType`` a condition."""
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": permission_principal(principal),
        "Action": action,
        "Resource": function_arn,
    }
    values = {
        "source_arn": source_arn,
        "source_account": source_account,
        "principal_org_id": principal_org_id,
        "function_url_auth_type": function_url_auth_type,
    }
    condition: dict[str, dict[str, str]] = {}
    for parameter, operator, key in _CONDITIONS:
        value = _given(values[parameter])
        if value is not None:
            condition.setdefault(operator, {})[key] = value
    if condition:
        statement["Condition"] = condition
    return statement
