"""Regenerate iam_audit/codecalls/sdk_names.json from the installed botocore's service models.

The JavaScript SDKs name a service after botocore's ``serviceId``: v3 as the package
``@aws-sdk/client-<serviceId, lower case, spaces as dashes>``, v2 (mostly) as the class
``AWS.<serviceId without spaces>``. boto3 names it by the model's folder. The file maps each
JavaScript-style name that differs from the folder name to the folder, so the analyser loads only
the models a package uses (loading all of them takes seconds). Run after upgrading botocore:

    .venv/bin/python scripts/refresh_sdk_names.py
"""

from __future__ import annotations

import json
from pathlib import Path

import botocore
import botocore.session

OUT = Path(__file__).resolve().parent.parent / "iam_audit" / "codecalls" / "sdk_names.json"


def main() -> None:
    loader = botocore.session.get_session().get_component("data_loader")
    names: dict[str, str] = {}
    for folder in sorted(loader.list_available_services("service-2")):
        metadata = loader.load_service_model(folder, "service-2")["metadata"]
        service_id = str(metadata.get("serviceId") or "").lower()
        for alias in (service_id.replace(" ", "-"), service_id.replace(" ", "")):
            if alias and alias != folder:
                names[alias] = folder
    data = {"botocore": botocore.__version__, "names": dict(sorted(names.items()))}
    OUT.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(names)} names, botocore {botocore.__version__})")


if __name__ == "__main__":
    main()
