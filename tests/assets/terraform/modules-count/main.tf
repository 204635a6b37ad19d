# Roles in a child module and roles made with count and for_each.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

variable "region" {
  type    = string
  default = "eu-central-1"
}

provider "aws" {
  region                      = var.region
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

module "migration" {
  source          = "./modules/migration"
  function_name   = "migrate-users"
  source_pool_arn = "arn:aws:cognito-idp:eu-central-1:111122223333:userpool/eu-central-1_OldPool42"
}

resource "aws_cognito_user_pool" "import" {
  name = "imported-users"
  lambda_config {
    user_migration = module.migration.function_arn
  }
}

locals {
  stages = { dev = "eu-central-1_DevPool1", prod = "eu-central-1_PrdPool1" }
}

# One import logs role per stage, made with for_each.
resource "aws_iam_role" "import_logs" {
  for_each = local.stages
  name     = "cognito-import-logs-${each.key}"
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
  for_each = local.stages
  name     = "cognito-import-logs-${each.key}"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
      Resource = "arn:aws:logs:eu-central-1:111122223333:log-group:/aws/cognito/userpools/${each.value}/*"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "import_logs" {
  for_each   = local.stages
  role       = aws_iam_role.import_logs[each.key].name
  policy_arn = aws_iam_policy.import_logs[each.key].arn
}

# A count-made role with an inline policy resource.
resource "aws_iam_role" "legacy" {
  count = 1
  name  = "legacy-migrate-${count.index}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "legacy" {
  count = 1
  name  = "legacy-migrate"
  role  = aws_iam_role.legacy[count.index].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "cognito-idp:AdminInitiateAuth"
      Resource = "arn:aws:cognito-idp:eu-central-1:111122223333:userpool/eu-central-1_OldPool42"
    }]
  })
}

# The same module once per stage, with for_each: module.stage["dev"].aws_iam_role.this, ...
module "stage" {
  source          = "./modules/migration"
  for_each        = toset(["dev", "prod"])
  function_name   = "migrate-users-${each.key}"
  source_pool_arn = "arn:aws:cognito-idp:eu-central-1:111122223333:userpool/eu-central-1_OldPool42"
}
