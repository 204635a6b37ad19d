# A Cognito user pool with a user-migration Lambda and a CSV-import logs role, planned for a
# fresh apply: nothing exists yet, so every ARN and ID that AWS assigns is unknown in the plan.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "account_id" {
  type    = string
  default = "111122223333"
}

variable "source_pool_arn" {
  type        = string
  description = "The pool users migrate from"
  default     = "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_OldPool42"
}

# Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (fake); nothing is called.
provider "aws" {
  region                      = var.region
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

resource "aws_iam_role" "migration" {
  name = "cognito-user-migration"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_policy" "migration" {
  name = "cognito-user-migration"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = "cognito-idp:AdminInitiateAuth"
        Resource = var.source_pool_arn
      },
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "arn:aws:logs:${var.region}:${var.account_id}:log-group:/aws/lambda/migrate-users:*"
      },
    ]
  })
}

# On a fresh apply both sides are unknown: the plan's values for this resource are all unknown.
resource "aws_iam_role_policy_attachment" "migration" {
  role       = aws_iam_role.migration.id
  policy_arn = aws_iam_policy.migration.arn
}

resource "aws_lambda_function" "migrate" {
  function_name = "migrate-users"
  role          = aws_iam_role.migration.arn
  handler       = "index.handler"
  runtime       = "nodejs20.x"
  s3_bucket     = "deploy-artifacts-111122223333"
  s3_key        = "migrate-users.zip"
  timeout       = 10
  environment {
    variables = {
      OLD_USER_POOL_ID = "eu-west-1_OldPool42"
    }
  }
}

resource "aws_cognito_user_pool" "import" {
  name = "imported-users"
  lambda_config {
    user_migration = aws_lambda_function.migrate.arn
  }
}

resource "aws_lambda_permission" "cognito" {
  statement_id  = "AllowCognitoUserMigration"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.migrate.function_name
  principal     = "cognito-idp.amazonaws.com"
  source_arn    = aws_cognito_user_pool.import.arn
}

resource "aws_iam_role" "import_logs" {
  name = "cognito-import-logs"
  path = "/service-role/"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "cognito-idp.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_policy" "import_logs" {
  name = "cognito-import-logs"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow"
      Action = [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
      ]
      Resource = "arn:aws:logs:${var.region}:${var.account_id}:log-group:/aws/cognito/*"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "import_logs" {
  role       = aws_iam_role.import_logs.name
  policy_arn = aws_iam_policy.import_logs.arn
}
