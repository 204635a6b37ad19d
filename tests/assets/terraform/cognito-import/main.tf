# The configuration plan.json stands for. plan.json was written by hand in the shape of
# `terraform show -json` (Terraform 1.11, format_version 1.2): the AWS provider cannot be
# downloaded offline, so no real plan could be generated here.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.80" }
  }
}

provider "aws" {
  region = "eu-west-1"
}

variable "source_pool_arn" {
  type        = string
  description = "The pool users migrate from"
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

module "migration" {
  source          = "./modules/migration"
  source_pool_arn = var.source_pool_arn
  source_pool_id  = "eu-west-1_OldPool42"
}

resource "aws_cognito_user_pool" "import" {
  name = "imported-users"
  lambda_config {
    user_migration = module.migration.function_arn
  }
}

resource "aws_lambda_permission" "cognito" {
  statement_id  = "AllowCognitoUserMigration"
  action        = "lambda:InvokeFunction"
  function_name = module.migration.function_name
  principal     = "cognito-idp.amazonaws.com"
  source_arn    = aws_cognito_user_pool.import.arn
}

resource "aws_iam_role" "import_logs" {
  name_prefix = "cognito-import-logs-"
  path        = "/service-role/"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "cognito-idp.amazonaws.com", AWS = "arn:aws:iam::444455556666:root" }
      Action    = "sts:AssumeRole"
    }]
  })
  inline_policy {
    name = "cognito-import-logs"
    policy = jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "arn:aws:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/aws/cognito/*"
      }]
    })
  }
}

resource "aws_iam_role_policies_exclusive" "import_logs" {
  role_name    = aws_iam_role.import_logs.name
  policy_names = ["cognito-import-logs"]
}
