"""One question asked of many principals: the engine's batch entry point (``who-can``).

A :class:`Question` is one request (an action on a resource, with what IAM knows of any such
request) put to every role and user of an account. Each principal's answer is :func:`evaluate`'s,
with the principal's own documents; the question only saves what does not change from one
principal to the next: which action patterns cover the action (:meth:`Question.covers`), which
resource patterns match the resource (:meth:`Question.reaches`), and so which statements of a
document can apply to the request at all (:meth:`Question.relevant`). A document none of whose
statements can apply takes no part in the evaluation of that request
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html:
only statements that match the request apply), so it is left out of the call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from iam_audit.engine.compile import CompiledStatement, Meaning, compile_policy
from iam_audit.engine.evaluate import Memo, evaluate, resource_account
from iam_audit.engine.match import glob, has_wildcard
from iam_audit.engine.types import (
    ContextMode,
    EvalResult,
    Principal,
    PrincipalKind,
    Request,
)
from iam_audit.model import OrgPolicies, PolicyDocument

__all__ = ["Question", "request_context"]

# Enum members read on every request, as module globals: reading a member as a class attribute
# costs about ten times a global's in CPython 3.11 (the members are the same objects)
_AWS = PrincipalKind.AWS
_OPEN = ContextMode.OPEN


def request_context(resource: str) -> dict[str, tuple[str, ...]]:
    """What IAM knows of a request from the resource it is made on, for every command
    (``audit``'s checks, ``who-can``): a request to a regional resource (a user pool, a log
    group) is sent to that resource's region, so ``aws:RequestedRegion`` is the region in its ARN
    ("aws:RequestedRegion ... the AWS Region that was called in the request", IAM User Guide,
    AWS global condition context keys). A global ARN (IAM) or ``*`` fixes nothing."""
    parts = resource.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[3] and "*" not in parts[3]:
        return {"aws:RequestedRegion": (parts[3],)}
    return {}


class Question:
    """``action`` on ``resource``, asked of many principals (see the module docstring).

    ``context``: the condition keys every such request carries (e.g. ``aws:RequestedRegion``
    of a regional resource); each principal adds its own ARN-derived keys and tags.
    """

    def __init__(
        self,
        action: str,
        resource: str,
        *,
        context: Mapping[str, tuple[str, ...]],
        organization: OrgPolicies | None = None,
    ) -> None:
        self.action = action
        self.resource = resource
        self.context = dict(context)
        self.organization = organization
        self.resource_account = resource_account(resource)
        self._lowered = action.lower()
        #: ``Action`` entries already judged: does each cover the action? (see :meth:`covers`)
        self.known_covers: dict[str, bool] = {}
        #: ``Resource`` entries already judged: does each match the resource? (:meth:`reaches`)
        self.known_reaches: dict[str, bool] = {}
        self._memo = Memo()
        #: statements compiled once per meaning, named in each document that holds them
        self._statements: dict[tuple[bool, Meaning], CompiledStatement] = {}
        #: answers to ``ask(..., shared=True)`` by documents and the principal's account
        self._answers: dict[tuple[object, ...], EvalResult] = {}
        #: statements, by meaning, whose ``Resource`` can match the resource (:meth:`relevant`)
        self._reached_by: dict[tuple[bool, Meaning], bool] = {}
        #: shared documents: does a statement of theirs that can apply read the context?
        self._reads: dict[PolicyDocument, bool] = {}

    def covers(self, entry: str) -> bool:
        """Does the ``Action``/``NotAction`` entry ``entry`` cover the action? (actions are
        case-insensitive; ``*`` and ``?`` match any run of characters and any one character)."""
        hit = self.known_covers.get(entry)
        if hit is None:
            low = entry.lower()
            hit = (
                low == "*"
                or low == self._lowered
                or (has_wildcard(low) and bool(glob(low).fullmatch(self._lowered)))
            )
            self.known_covers[entry] = hit
        return hit

    def applies(self, names: str | Sequence[str], negated: bool) -> bool:
        """Can a statement whose ``Action`` (``negated``: ``NotAction``) is ``names`` apply to
        the action? Exactly :meth:`CompiledStatement.matches_action`: an entry that covers it,
        or, for ``NotAction``, none that does. Each entry is judged once per question."""
        known = self.known_covers
        if type(names) is str:
            hit = known.get(names)
            if hit is None:
                hit = self.covers(names)
        else:
            hit = False
            for name in names:
                found = known.get(name)
                if found is None:
                    found = self.covers(name)
                if found:
                    hit = True
                    break
        return hit != negated

    def reaches(self, entries: str | Sequence[str], negated: bool, variables: bool) -> bool:
        """Can a statement whose ``Resource`` (``negated``: ``NotResource``) is ``entries``
        apply to the resource? As :meth:`CompiledStatement.match` compares them: ``*`` and
        ``?`` match any run of characters and any one character, case-sensitively ("ARNs are
        case sensitive", IAM User Guide, IAM JSON policy elements: Resource). An entry with a
        policy variable (``variables``: the document's ``Version`` is ``2012-10-17``) may: the
        request's context decides, so the statement is kept."""
        known = self.known_reaches
        hit = False
        for entry in (entries,) if type(entries) is str else entries:
            if variables and "${" in entry:
                return True
            found = known.get(entry)
            if found is None:
                found = known[entry] = (
                    entry == "*"
                    or entry == self.resource
                    or (has_wildcard(entry) and bool(glob(entry).fullmatch(self.resource)))
                )
            if found:
                hit = True
                break
        return hit != negated

    def relevant(self, policy: PolicyDocument) -> tuple[CompiledStatement, ...]:
        """The statements of ``policy`` that can apply to the request: their ``Action`` covers
        the action and their ``Resource`` can match the resource (compiles only the first).
        The others take no part in any evaluation of it: a statement whose action or resource
        does not match the request is not applicable ("the statement applies to the request if
        the action and resource match", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html)."""
        compiled = compile_policy(policy, statements=self._statements)
        statements = compiled.matching(self._lowered, self.applies)
        known = self._reached_by
        found = []
        for statement in statements:
            hit = known.get(statement.meaning)
            if hit is None:
                hit = known[statement.meaning] = self._reached(statement)
            if hit:
                found.append(statement)
        return tuple(found) if len(found) < len(statements) else statements

    def _reached(self, statement: CompiledStatement) -> bool:
        patterns = statement.static_resources
        if patterns is None:
            return True  # no Resource (not an identity statement) or a policy variable in it
        hit = False
        for pattern in patterns:
            if isinstance(pattern, str):
                if pattern == "*" or pattern == self.resource:
                    hit = True
                    break
            elif pattern.fullmatch(self.resource):
                hit = True
                break
        return hit != statement.not_resource

    def names(self, policy: PolicyDocument) -> bool:
        """Has ``policy`` a statement that can apply to the request (:meth:`relevant`)?"""
        return bool(self.relevant(policy))

    def request(self, arn: str, tags: Sequence[tuple[str, str]] = ()) -> Request:
        """The request as principal ``arn`` makes it: with its tags (``aws:PrincipalTag/KEY``),
        every one it has, so a tag it lacks is known to be absent."""
        context = self.context
        if tags:
            context = {**context, **{f"aws:principaltag/{k.lower()}": (v,) for k, v in tags}}
        return Request(self.action, self.resource, Principal(_AWS, arn), context, _OPEN, True)

    def ask(
        self,
        request: Request,
        identity: Sequence[PolicyDocument],
        boundary: PolicyDocument | None = None,
        *,
        shared: bool = False,
    ) -> EvalResult:
        """:func:`evaluate` of ``request`` (from :meth:`request`) with the principal's identity
        documents and boundary, within the organization's SCPs and RCPs when the question has
        them. The evaluations of one question share a
        :class:`~iam_audit.engine.evaluate.Memo`: a statement that reads neither the context
        nor the principal is matched once per meaning, and a decision is worked out once per
        shape of answers.

        ``shared``: the documents are objects the caller gives for many principals (a managed
        policy, a group's): when none of their statements about the action reads the request
        context (a condition, a policy variable), the request holds no unknown values
        (``Request.unknown_values``) and no SCP or RCP is asked, the result is
        :func:`evaluate`'s for the documents and the principal's account alone, and it is
        worked out once for them (kept, with the documents, as long as the question)."""
        key: tuple[object, ...] | None = None
        if (
            shared
            and self.organization is None
            and request.principal is not None
            and not request.unknown_values  # a value standing for an unknown one: read per call
        ):
            documents = (*identity, boundary)
            for document in documents:
                if document is not None and self._reads_context(document):
                    break
            else:
                key = (request.principal.account, *documents)
                known = self._answers.get(key)
                if known is not None:
                    return known
        result = evaluate(
            request,
            identity=identity,
            boundary=boundary,
            resource_account=self.resource_account,
            organization=self.organization,
            memo=self._memo,
        )
        if key is not None:
            self._answers[key] = result
        return result

    def _reads_context(self, policy: PolicyDocument) -> bool:
        found = self._reads.get(policy)
        if found is None:
            found = self._reads[policy] = any(s.reads_context for s in self.relevant(policy))
        return found
