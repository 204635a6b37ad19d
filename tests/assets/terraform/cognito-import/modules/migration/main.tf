variable "source_pool_arn" { type = string }
variable "source_pool_id" { type = string }

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "migrate" {
  statement {
    sid       = "ReadOldPool"
    actions   = ["cognito-idp:AdminGetUser"]
    resources = [var.source_pool_arn]
  }
}

resource "aws_iam_role" "migrate" {
  name               = "cognito-migrate"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy" "migrate" {
  name   = "read-old-pool"
  role   = aws_iam_role.migrate.id
  policy = data.aws_iam_policy_document.migrate.json
}

resource "aws_iam_role_policy_attachment" "basic" {
  role       = aws_iam_role.migrate.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_lambda_function" "migrate" {
  function_name = "cognito-migrate"
  role          = aws_iam_role.migrate.arn
  handler       = "index.handler"
  runtime       = "nodejs20.x"
  timeout       = 30
  filename      = "migrate.zip"
  environment {
    variables = {
      OLD_USER_POOL_ID = var.source_pool_id
    }
  }
}

output "function_arn" { value = aws_lambda_function.migrate.arn }
output "function_name" { value = aws_lambda_function.migrate.function_name }
