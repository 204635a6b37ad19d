# A user-migration Lambda whose role's trust names lambda.amazonaws.com, but not in a statement
# that lets it call sts:AssumeRole unconditionally: var.trust picks which (one plan each), and
# var.fixed adds the statement `iam-audit fix` prints for it (local.printed) to the trust.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

provider "aws" {
  region                      = "eu-west-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

variable "trust" {
  type        = string
  description = "condition: the statement's Condition admits Lambda@Edge alone; action: it allows sts:TagSession only"
}

variable "fixed" {
  type    = bool
  default = false
}

locals {
  trusts = {
    condition = {
      Effect    = "Allow"
      Principal = { Service = ["lambda.amazonaws.com", "edgelambda.amazonaws.com"] }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:PrincipalServiceName" = "edgelambda.amazonaws.com" } }
    }
    action = {
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:TagSession"
    }
  }
  printed = {
    Effect = "Allow"
    Principal = {
      Service = "lambda.amazonaws.com"
    }
    Action = "sts:AssumeRole"
  }
}

resource "aws_iam_role" "migration" {
  name = "cognito-user-migration"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat([local.trusts[var.trust]], var.fixed ? [local.printed] : [])
  })
}

resource "aws_lambda_function" "migrate" {
  function_name = "migrate-users"
  role          = aws_iam_role.migration.arn
  handler       = "index.handler"
  runtime       = "nodejs20.x"
  s3_bucket     = "deploy-artifacts-111122223333"
  s3_key        = "migrate-users.zip"
}

resource "aws_cognito_user_pool" "import" {
  name = "imported-users"
  lambda_config {
    user_migration = aws_lambda_function.migrate.arn
  }
}
