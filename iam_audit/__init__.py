"""iam-audit: find and fix the AWS IAM misconfigurations that break Amazon Cognito user imports."""

__version__ = "0.1.0"
