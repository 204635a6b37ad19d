"""Preflight: catch the non-IAM import errors before the import, explain them after.

* :mod:`.csvcheck` — the user-import CSV against the pool's header and schema (``csv check``);
* :mod:`.jobs` — import jobs expiring, expired, conflicting or failed (``jobs``);
* :mod:`.lambdacheck` — the migration Lambda's package, handler, IDs and timeout (``lambda check``);
* :mod:`.logsdiag` — the nine errors recognised in CloudWatch Logs (``logs diagnose``).

These modules are pure. :mod:`.live` is the only one that calls AWS and :mod:`.nodecheck` the
only one that runs a program; both are imported by the CLI only when needed.
"""

from iam_audit.preflight.csvcheck import CSV_RULES, CsvReport, CsvRule, Problem, check_csv
from iam_audit.preflight.jobs import ImportJob, JobNote, JobsReport, JobStatus, diagnose_jobs
from iam_audit.preflight.lambdacheck import (
    FunctionPackage,
    LambdaReport,
    LambdaResult,
    check_function,
)
from iam_audit.preflight.logsdiag import (
    SEED_ERRORS,
    Diagnosis,
    DiagnosisReport,
    LogEvent,
    diagnose,
    load_signatures,
    parse_export,
)
from iam_audit.preflight.schema import PoolSchema, header_only, parse_header_text, pool_schema

__all__ = [
    "CSV_RULES",
    "SEED_ERRORS",
    "CsvReport",
    "CsvRule",
    "Diagnosis",
    "DiagnosisReport",
    "FunctionPackage",
    "ImportJob",
    "JobNote",
    "JobStatus",
    "JobsReport",
    "LambdaReport",
    "LambdaResult",
    "LogEvent",
    "PoolSchema",
    "Problem",
    "check_csv",
    "check_function",
    "diagnose",
    "diagnose_jobs",
    "header_only",
    "load_signatures",
    "parse_export",
    "parse_header_text",
    "pool_schema",
]
