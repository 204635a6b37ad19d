# ../trust-condition/main.tf with the statement `iam-audit fix` printed added to the
# migration role's assume_role_policy (terraform fmt applied).
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

provider "aws" {
  region                      = var.region
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

variable "legacy_pool_id" {
  type        = string
  description = "The pool users migrate from (another stack's)"
  default     = "eu-west-1_LegacyP00l"
}

resource "aws_iam_role" "migration" {
  name = "cognito-user-migration"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = ["lambda.amazonaws.com", "edgelambda.amazonaws.com"] }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:PrincipalServiceName" = "edgelambda.amazonaws.com" } }
      }, {
      Effect = "Allow"
      Principal = {
        Service = "lambda.amazonaws.com"
      }
      Action = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "basic" {
  role       = aws_iam_role.migration.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_iam_role_policy" "read_legacy" {
  name = "read-legacy"
  role = aws_iam_role.migration.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "cognito-idp:AdminGetUser"
      Resource = "arn:aws:cognito-idp:${var.region}:111122223333:userpool/${var.legacy_pool_id}"
    }]
  })
}

resource "aws_lambda_function" "migrate" {
  function_name = "migrate-users"
  role          = aws_iam_role.migration.arn
  handler       = "index.handler"
  runtime       = "nodejs20.x"
  s3_bucket     = "deploy-artifacts-111122223333"
  s3_key        = "migrate-users.zip"
  environment {
    variables = {
      OLD_USER_POOL_ID = var.legacy_pool_id
    }
  }
}

resource "aws_cognito_user_pool" "import" {
  name = "imported-users"
  lambda_config {
    user_migration = aws_lambda_function.migrate.arn
  }
}
