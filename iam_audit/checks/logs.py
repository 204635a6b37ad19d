"""Which CloudWatch Logs resource AWS authorizes each ``logs:`` action against.

One table for every check that asks about log permissions (COG002, COG005, COG006) and for the
fixes they suggest, so the question asked and the grant proposed are the same ARN.

* The Service Authorization Reference, "Actions, resources, and condition keys for Amazon
  CloudWatch Logs"
  (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html),
  gives each action's resource type: ``CreateLogGroup``, ``CreateLogStream`` and
  ``DescribeLogStreams`` take a ``log-group``
  (``arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}``), ``PutLogEvents`` a
  ``log-stream``
  (``arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}``).
* The CloudWatch Logs User Guide, "Overview of managing access permissions to your CloudWatch
  Logs resources"
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/iam-access-control-overview-cwl.html),
  says which form of the log-group ARN an IAM policy must name: the one "with the trailing :*"
  "when specifying permissions in IAM policies for all other API actions" (all but the tagging
  ones). The ARN IAM evaluates for a log-group action is therefore one *below* the group's bare
  ARN: AWS's AccessDenied messages for ``logs:CreateLogGroup`` and ``logs:DescribeLogStreams`` name
  ``…:log-group:NAME:log-stream:`` (an empty stream), and those for ``logs:CreateLogStream`` the
  new stream's ARN. So ``log-group:NAME:*`` and ``log-group:NAME:log-stream:*`` grant them, and the
  bare ``log-group:NAME`` does not.

A stream the checks cannot name (one per Lambda instance, one per import job) is written ``*``:
stream names may not contain ``*`` (CreateLogStream API reference: "The ':' (colon) and '*'
(asterisk) characters are not allowed"), so only a pattern that allows every stream matches it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import assert_never

__all__ = ["ANY_STREAM", "LogGroup", "LogResource", "resource_type"]

#: Stands for "every stream of the group": no real stream name contains ``*``.
ANY_STREAM = "*"


class LogResource(StrEnum):
    """The resource types of the Service Authorization Reference that the checks ask about."""

    LOG_GROUP = "log-group"
    LOG_STREAM = "log-stream"


_RESOURCE_TYPES: dict[str, LogResource] = {
    "logs:createloggroup": LogResource.LOG_GROUP,
    "logs:deleteloggroup": LogResource.LOG_GROUP,
    "logs:createlogstream": LogResource.LOG_GROUP,
    "logs:describelogstreams": LogResource.LOG_GROUP,
    "logs:putlogevents": LogResource.LOG_STREAM,
}


def resource_type(action: str) -> LogResource:
    """The resource type ``action`` is authorized on (actions compare case-insensitively)."""
    try:
        return _RESOURCE_TYPES[action.lower()]
    except KeyError:
        raise ValueError(f"no resource type recorded for {action}") from None


@dataclass(frozen=True, slots=True)
class LogGroup:
    """One CloudWatch Logs group (``name`` may hold ``*`` where the checks cannot tell)."""

    partition: str
    region: str
    account: str
    name: str

    @property
    def arn(self) -> str:
        """The bare ARN (``…:log-group:NAME``), as tagging actions and the API take it."""
        return f"arn:{self.partition}:logs:{self.region}:{self.account}:log-group:{self.name}"

    @property
    def policy_arn(self) -> str:
        """The ARN an IAM policy names for the group and its streams (``…:log-group:NAME:*``)."""
        return f"{self.arn}:*"

    def stream_arn(self, stream: str = ANY_STREAM) -> str:
        """``…:log-group:NAME:log-stream:STREAM``."""
        return f"{self.arn}:log-stream:{stream}"

    def authorized_arn(self, action: str, stream: str = ANY_STREAM) -> str:
        """The resource IAM evaluates when ``action`` is called on this group (or its ``stream``).

        Log-group actions are evaluated below the group's bare ARN (see the module docstring):
        ``CreateLogGroup`` and ``DescribeLogStreams`` on ``…:log-stream:`` (no stream), and
        ``CreateLogStream`` on the stream it creates, as AWS's denials name them.
        """
        kind = resource_type(action)
        if kind is LogResource.LOG_GROUP:
            creates_stream = action.lower() == "logs:createlogstream"
            return self.stream_arn(stream if creates_stream else "")
        if kind is LogResource.LOG_STREAM:
            return self.stream_arn(stream)
        assert_never(kind)

    def needs(self, actions: Sequence[str], stream: str = ANY_STREAM) -> list[tuple[str, str]]:
        """``(action, resource)`` pairs to ask the engine, one per action."""
        return [(action, self.authorized_arn(action, stream)) for action in actions]
