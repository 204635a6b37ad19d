"""Configuration: defaults for the command line, and suppressions with a reason and an expiry.

Configuration lives in ``.iam-audit.toml`` (top level) or in ``pyproject.toml`` under
``[tool.iam-audit]``. Without ``--config FILE`` it is searched for from the current folder up to
the repository root (the first folder holding ``.git``) or the filesystem root; in each folder
``.iam-audit.toml`` comes first, and a ``pyproject.toml`` without ``[tool.iam-audit]`` is passed
over (as ruff and black find their ``[tool.*]`` table)::

    [tool.iam-audit]
    region = "eu-west-1"             # defaults: an option given on the command line wins
    account-id = "111122223333"
    fail-on = "warning"
    format = "sarif"
    skip = ["COG008"]                # checks not to report

    [[tool.iam-audit.suppressions]]
    check = "COG006"                 # a check ID, or a glob such as "COG00*"
    role = "arn:aws:iam::111122223333:role/legacy-*"   # ARN, role name, logical ID/address, glob
    reason = "broad grant kept until the legacy pool is retired (SEC-1234)"
    expires = 2026-12-31             # optional; TOML date or "YYYY-MM-DD"

A template resource may suppress the results whose origin is that resource, in its ``Metadata``
(as cfn-lint reads ``Metadata: cfn-lint: config: ignore_checks`` and checkov
``Metadata: checkov: skip: [{id, comment}]``), with the same rules::

    ImportLogsRole:
      Type: AWS::IAM::Role
      Metadata:
        iam-audit:
          ignore:
            - id: COG006
              reason: logs:* kept until the shared log policy lands (SEC-42)
              expires: 2027-03-31

A suppression needs a reason. It applies to ``fail`` and ``warn`` results only, and stops applying
after its expiry date, which the result's notes then say. Suppressed results stay in every output,
marked; :attr:`iam_audit.findings.Finding.counts_as_failure` keeps them out of the exit code.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from iam_audit.errors import InputError
from iam_audit.findings import AuditResult, FailOn, Finding, Status, Suppression
from iam_audit.inputs import MAX_CONFIG, read_text
from iam_audit.model import Origin, SourceKind
from iam_audit.render.interface import OutputFormat

__all__ = [
    "CONFIG_FILE",
    "Config",
    "SuppressionRule",
    "apply_suppressions",
    "find_config",
    "load_config",
    "template_rules",
    "without_checks",
]

CONFIG_FILE = ".iam-audit.toml"
_PYPROJECT = "pyproject.toml"
#: Settings that are defaults of command-line options (``--region`` ... ``--skip``).
_DEFAULTS = frozenset({"region", "account-id", "fail-on", "format", "skip"})
_TABLE_KEYS = frozenset({"suppressions", *_DEFAULTS})
_ACCOUNT_RE = re.compile(r"^\d{12}$")
_RULE_KEYS = ("check", "role", "reason", "expires")
_METADATA_KEYS = ("id", "reason", "expires")
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class SuppressionRule:
    """One ``suppressions`` entry; ``where`` names it for messages (``FILE suppressions[2]``)."""

    check: str
    role: str
    reason: str
    expires: datetime.date | None = None
    where: str = ""

    def matches(self, finding: Finding) -> bool:
        """Whether the rule names ``finding``'s check and its role (by any of its names)."""
        if not fnmatchcase(finding.check, self.check):
            return False
        return any(fnmatchcase(name, self.role) for name in _role_names(finding))

    def expired(self, today: datetime.date) -> bool:
        """True after the expiry date (a rule is valid through the day it names)."""
        return self.expires is not None and today > self.expires

    def describe(self) -> str:
        return f"suppression of {self.check} on {self.role} ({self.where})"


@dataclass(frozen=True, slots=True)
class Config:
    """What the configuration file says; ``path`` is ``None`` when there was none."""

    suppressions: tuple[SuppressionRule, ...] = ()
    path: Path | None = None
    region: str | None = None
    account_id: str | None = None
    fail_on: FailOn | None = None
    format: OutputFormat | None = None
    skip: tuple[str, ...] = ()

    def defaults(self) -> dict[str, object]:
        """The settings given, keyed by the command parameter each is the default of (Click's
        ``default_map``)."""
        values: dict[str, object] = {
            "region": self.region,
            "account_id": self.account_id,
            "fail_on": self.fail_on.value if self.fail_on else None,
            "fmt": self.format.value if self.format else None,
            "skip": list(self.skip) or None,
        }
        return {name: value for name, value in values.items() if value is not None}


def _role_names(finding: Finding) -> tuple[str, ...]:
    """The ARN, the role name, and the template's own name for it (logical ID or address)."""
    names = [finding.role, finding.role.rsplit("/", 1)[-1]]
    origin = finding.origin
    if origin is not None and origin.pointer:
        if origin.kind is SourceKind.CLOUDFORMATION:
            names.append(origin.pointer.split("/")[2] if origin.pointer.count("/") >= 2 else "")
        elif origin.kind is SourceKind.TERRAFORM:
            names.append(origin.pointer)
    return tuple(n for n in names if n)


def _date(value: Any, where: str) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise InputError(f"{where}: expires must be a date (YYYY-MM-DD), got {value!r}")


def _known_checks() -> set[str]:
    from iam_audit.checks import catalogue

    return {meta.id for meta in catalogue()}


def _checks_advice(known: Collection[str]) -> str:
    """The advice that lists the check IDs there are."""
    return f"checks: {', '.join(sorted(known))}"


def _refuse_unknown(names: Iterable[Any], known: Collection[str], said: str, advice: str) -> None:
    """Refuse the ``names`` (keys, settings, check IDs) outside ``known`` in one line: ``said``,
    then each unknown name once, sorted (a YAML key need not be a string: it is named as text)."""
    unknown = sorted({str(name) for name in names} - set(known))
    if unknown:
        raise InputError(f"{said} {', '.join(unknown)}", advice=advice)


def _entry(entry: Any, where: str, what: str, kind: str, keys: tuple[str, ...]) -> None:
    """Refuse ``entry`` (``what``: a suppression, an ignore entry) unless it is a mapping whose
    keys are among ``keys``; which of them it needs is the caller's to check."""
    if not isinstance(entry, dict):
        raise InputError(f"{where}: {what} is a {kind} {{{', '.join(keys)}}}")
    listed = f"{', '.join(keys[:-1])} and {keys[-1]}"
    _refuse_unknown(entry, keys, f"{where}: unknown key", f"{what} takes {listed}")


def _rule(entry: Any, where: str, known: set[str]) -> SuppressionRule:
    _entry(entry, where, "a suppression", "table", _RULE_KEYS)
    for key in ("check", "role"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise InputError(f"{where}: {key} is required (a string)")
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise InputError(f"{where}: reason is required: say why this result is accepted")
    check = entry["check"].strip()
    if not (_GLOB_CHARS & set(check)) and check not in known:
        raise InputError(
            f"{where}: unknown check {check!r}", advice=f"checks: {', '.join(sorted(known))}"
        )
    return SuppressionRule(
        check=check,
        role=entry["role"].strip(),
        reason=" ".join(reason.split()),
        expires=_date(entry.get("expires"), where),
        where=where,
    )


def _parse(table: Mapping[str, Any], where: str, path: Path) -> Config:
    _refuse_unknown(
        table,
        _TABLE_KEYS,
        f"{where}: unknown setting",
        f"settings: {', '.join(sorted(_TABLE_KEYS))}",
    )
    entries = table.get("suppressions", [])
    if not isinstance(entries, list):
        raise InputError(f"{where}: suppressions must be a list of tables")
    known = _known_checks()
    rules = tuple(
        _rule(entry, f"{path} suppressions[{index}]", known) for index, entry in enumerate(entries)
    )
    return Config(suppressions=rules, path=path, **_settings(table, where, known))


def _settings(table: Mapping[str, Any], where: str, known: set[str]) -> dict[str, Any]:
    """The defaults ``table`` gives, checked as the command line would check them."""
    out: dict[str, Any] = {}
    for key in ("region", "account-id"):
        value = table.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"{where}: {key} must be a string")
        if key == "account-id" and not _ACCOUNT_RE.match(value):
            raise InputError(f"{where}: account-id must be 12 digits, got {value!r}")
        out[key.replace("-", "_")] = value.strip()
    for key, kind in (("fail-on", FailOn), ("format", OutputFormat)):
        value = table.get(key)
        if value is None:
            continue
        choices = [member.value for member in kind]
        if not isinstance(value, str) or value.lower() not in choices:
            raise InputError(f"{where}: {key} must be one of {', '.join(choices)}, got {value!r}")
        out["fail_on" if key == "fail-on" else "format"] = kind(value.lower())
    skip = table.get("skip")
    if skip is not None:
        if not isinstance(skip, list) or not all(isinstance(c, str) for c in skip):
            raise InputError(f"{where}: skip must be a list of check IDs")
        _refuse_unknown(skip, known, f"{where}: skip names unknown check", _checks_advice(known))
        out["skip"] = tuple(sorted(set(skip)))
    return out


def _read(path: Path) -> dict[str, Any]:
    import tomllib  # only when there is a file: audit and scan look for one on every run

    text = read_text(path, "config file", MAX_CONFIG)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{path}: invalid TOML: {err}") from None
    except RecursionError:
        raise InputError(f"{path}: invalid TOML: it nests too deeply") from None


def _from_file(path: Path) -> Config | None:
    data = _read(path)
    if path.name == _PYPROJECT:
        table = data.get("tool", {}).get("iam-audit")
        if table is None:
            return None
        if not isinstance(table, dict):
            raise InputError(f"{path}: [tool.iam-audit] must be a table")
        return _parse(table, f"{path} [tool.iam-audit]", path)
    return _parse(data, str(path), path)


def find_config(start: Path) -> Config | None:
    """The first configuration from ``start`` up to the repository root (the folder holding
    ``.git``, a folder or, in a worktree, a file) or the filesystem root; ``None`` when none."""
    folder = start.absolute()
    while True:
        for name in (CONFIG_FILE, _PYPROJECT):
            candidate = folder / name
            if candidate.is_file():
                found = _from_file(candidate)
                if found is not None:
                    return found
        if (folder / ".git").exists() or folder.parent == folder:
            return None
        folder = folder.parent


def load_config(path: Path | None = None, *, cwd: Path | None = None) -> Config:
    """Read ``path`` (``--config``), else the configuration :func:`find_config` finds from
    ``cwd`` (default: the current folder); an empty :class:`Config` when there is none. Raises
    :class:`InputError` (exit 3) for a missing ``--config`` file, invalid TOML, a suppression
    without a reason, an unknown check, key or setting value, or a bad date.
    """
    if path is not None:
        return _from_file(path) or Config(path=path)
    return find_config(cwd if cwd is not None else Path.cwd()) or Config()


def without_checks(result: AuditResult, skip: Sequence[str]) -> AuditResult:
    """``result`` without the results of the checks in ``skip`` (``--skip``, config ``skip``),
    and a note naming them, so a skipped check is never mistaken for a passing one."""
    if not skip:
        return result
    known = _known_checks()
    _refuse_unknown(skip, known, "--skip: unknown check", _checks_advice(known))
    kept = tuple(f for f in result.findings if f.check not in skip)
    note = f"not run (skipped): {', '.join(sorted(set(skip)))}"
    return AuditResult(kept, (*result.notes, note))


def _resource_of(origin: Origin) -> tuple[str, str]:
    """The template file and the ``/Resources/ID`` pointer of the resource ``origin`` is in."""
    return origin.location, "/".join(origin.pointer.split("/")[:3])


def template_rules(origin: Origin | None, known: set[str]) -> tuple[SuppressionRule, ...]:
    """The suppressions in the ``Metadata: iam-audit: ignore:`` of ``origin``'s resource.

    Each one names a check ``id``, a ``reason`` and an optional ``expires``, checked as a
    configuration suppression is, and matches only the results whose origin is that resource.
    """
    if origin is None or origin.kind is not SourceKind.CLOUDFORMATION or origin.metadata is None:
        return ()
    location, resource = _resource_of(origin)
    where = f"{location} {resource}/Metadata/iam-audit"
    value = origin.metadata
    if not isinstance(value, dict) or set(value) - {"ignore"}:
        raise InputError(f"{where}: expected a mapping with one key, ignore")
    entries = value.get("ignore")
    if not isinstance(entries, list):
        raise InputError(f"{where}: ignore must be a list of {{id, reason, expires}}")
    logical = resource.split("/")[-1]
    rules = []
    for index, entry in enumerate(entries):
        here = f"{where} ignore[{index}]"
        _entry(entry, here, "an ignore entry", "mapping", _METADATA_KEYS)
        if not isinstance(entry.get("id"), str):
            raise InputError(f"{here}: id is required (a check ID such as COG006)")
        table = {
            "check": entry["id"],
            "role": logical,
            **{k: v for k, v in entry.items() if k != "id"},
        }
        rules.append(_rule(table, here, known))
    return tuple(rules)


def apply_suppressions(
    result: AuditResult, suppressions: Sequence[SuppressionRule], today: datetime.date
) -> AuditResult:
    """``result`` with each ``fail``/``warn`` finding that a rule names marked suppressed.

    The rules are the configuration's, then those in the ``Metadata`` of the template resource
    each finding comes from (:func:`template_rules`). The first matching rule wins. An expired
    rule still marks the finding (``expired=True``), so outputs can say so, but the finding
    counts again; the notes say which rules expired and which matched nothing (stale
    suppressions).
    """
    notes = list(result.notes)
    used: dict[int, bool] = {}
    findings: list[Finding] = []
    configured = len(suppressions)
    rules = list(suppressions)
    by_resource: dict[tuple[str, str], list[int]] = {}
    known: set[str] | None = None
    for finding in result.findings:
        origin = finding.origin
        if origin is None or origin.metadata is None:
            continue
        key = _resource_of(origin)
        if key not in by_resource:
            known = known if known is not None else _known_checks()
            found = template_rules(origin, known)
            by_resource[key] = list(range(len(rules), len(rules) + len(found)))
            rules.extend(found)
    for finding in result.findings:
        rule_index = None
        if finding.status in (Status.FAIL, Status.WARN):
            own = (
                by_resource.get(_resource_of(finding.origin), [])
                if finding.origin is not None and finding.origin.metadata is not None
                else []
            )
            candidates = [*range(configured), *own]
            rule_index = next((i for i in candidates if rules[i].matches(finding)), None)
        if rule_index is None:
            findings.append(finding)
            continue
        rule = rules[rule_index]
        expired = rule.expired(today)
        used[rule_index] = expired
        marker = Suppression(
            reason=rule.reason,
            expires=rule.expires.isoformat() if rule.expires else None,
            expired=expired,
            in_source=rule_index >= configured,
        )
        findings.append(dataclasses.replace(finding, suppression=marker))
    for index, rule in enumerate(rules):
        if index not in used:
            notes.append(f"{rule.describe()} matched no failing result")
        elif used[index]:
            assert rule.expires is not None
            notes.append(
                f"{rule.describe()} expired on {rule.expires.isoformat()}; its results count again"
            )
    return AuditResult(tuple(findings), tuple(notes))


def suppress(result: AuditResult, config: Config) -> AuditResult:
    """``result`` with the suppressions of ``config`` (the configuration the command line read:
    :func:`iam_audit.cli.conventions.config_of`) and of the template resources its findings come
    from, applied as of today."""
    return apply_suppressions(result, config.suppressions, datetime.date.today())
