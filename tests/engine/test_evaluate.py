"""Table of evaluation cases, each checking one documented rule of IAM policy evaluation.

Every case's comment names the AWS documentation page and quotes the rule it checks. Cases marked
"AWS example" reproduce a policy and request from that page, with the outcome the page states.
Pages (under https://docs.aws.amazon.com/IAM/latest/UserGuide/ unless a full URL is given):

EVAL            reference_policies_evaluation-logic.html
CROSS           reference_policies_evaluation-logic-cross-account.html
BOUNDARIES      access_policies_boundaries.html
PRINCIPAL       reference_policies_elements_principal.html
NOTPRINCIPAL    reference_policies_elements_notprincipal.html
ACTION          reference_policies_elements_action.html
NOTACTION       reference_policies_elements_notaction.html
RESOURCE        reference_policies_elements_resource.html
NOTRESOURCE     reference_policies_elements_notresource.html
EFFECT          reference_policies_elements_effect.html
GRAMMAR         reference_policies_grammar.html
OPERATORS       reference_policies_elements_condition_operators.html
MULTIVALUE      reference_policies_condition-single-vs-multi-valued-context-keys.html
                (formerly reference_policies_multi-value-conditions.html)
VARIABLES       reference_policies_variables.html
CONDITION_KEYS  reference_policies_condition-keys.html
COGNITO_IMPORT  https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-using-import-tool.html
COGNITO_MIGRATE https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-migrate-user.html
"""

from __future__ import annotations

import pytest

from iam_audit.engine import ContextMode, Decision, Principal, PrincipalKind
from iam_audit.model import PolicyKind

from .cases import (
    ACCOUNT,
    COGNITO,
    FOREIGN_ROLE,
    LAMBDA,
    LOGS_ROLE_ARN,
    OTHER,
    POOL,
    ROLE_ARN,
    SESSION,
    USER,
    Case,
    allow,
    deny,
    outcome,
    policy,
    run,
)

ALLOWED = Decision.ALLOWED
EXPLICIT = Decision.EXPLICIT_DENY
IMPLICIT = Decision.IMPLICIT_DENY
OPEN = ContextMode.OPEN
AIA = "cognito-idp:AdminInitiateAuth"

# AWS example (EVAL, "Example identity-based and resource-based policy evaluation"): Carlos's
# identity policy and the bucket policy of the carlossalazar bucket, in account 123456789012.
CARLOS = Principal(PrincipalKind.AWS, "arn:aws:iam::123456789012:user/carlossalazar")
CARLOS_IDENTITY = policy(
    allow(
        [
            "s3:GetBucketLocation",
            "s3:GetAccountPublicAccessBlock",
            "s3:ListAccessPoints",
            "s3:ListAllMyBuckets",
        ],
        "arn:aws:s3:::*",
        Sid="AllowS3ListRead",
    ),
    allow(
        "s3:*",
        ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"],
        Sid="AllowS3Self",
    ),
    deny("s3:*", "arn:aws:s3:::*log*", Sid="DenyS3Logs"),
)
CARLOS_BUCKET = policy(
    allow(
        "s3:*",
        ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"],
        Principal={"AWS": "arn:aws:iam::123456789012:user/carlossalazar"},
    )
)
# AWS example (CROSS, "Example cross-account policy evaluation"): Carlos in 111111111111 and the
# Production bucket policy in 222222222222.
CARLOS_X = Principal(PrincipalKind.AWS, "arn:aws:iam::111111111111:user/carlossalazar")
CARLOS_X_IDENTITY = policy(
    allow("s3:ListAllMyBuckets", "*", Sid="AllowS3ListRead"),
    allow("s3:*Object*", "arn:aws:s3:::Production/*", Sid="AllowS3ProductionObjectActions"),
    deny("s3:*", ["arn:aws:s3:::*log*", "arn:aws:s3:::*log*/*"], Sid="DenyS3Logs"),
)
PRODUCTION_BUCKET = policy(
    allow(
        ["s3:GetObject*", "s3:PutObject*", "s3:ReplicateObject", "s3:RestoreObject"],
        "arn:aws:s3:::Production/*",
        Principal={"AWS": "arn:aws:iam::111111111111:user/carlossalazar"},
    )
)
# AWS example (EVAL, "The difference between explicit and implicit denies").
GET_LIST = policy(
    allow(["iam:Get*", "iam:List*"], "*", Sid="AllowGetList"),
    deny("iam:*Report", "*", Sid="DenyReports"),
)
# The trust policy Cognito documents for the CloudWatch Logs role of user imports.
COGNITO_TRUST = policy(
    allow("sts:AssumeRole", None, Principal={"Service": "cognito-idp.amazonaws.com"})
)
# The resource-based policy Cognito documents for a migration Lambda trigger.
LAMBDA_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:migrate"
LAMBDA_PERMISSION = {
    "Version": "2012-10-17",
    "Id": "default",
    "Statement": [
        {
            "Sid": "lambda-allow-cognito",
            "Effect": "Allow",
            "Principal": {"Service": "cognito-idp.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": LAMBDA_ARN,
            "Condition": {
                "StringEquals": {"AWS:SourceAccount": ACCOUNT},
                "ArnLike": {"AWS:SourceArn": POOL},
            },
        }
    ],
}
LOG_STREAM = (
    f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/cognito/userpools/us-east-1_AbC123/"
    "import:log-stream:import-job-1"
)

CASES = [
    # ------------------------------------------------------------------ the basic decision
    # EVAL: "By default, all requests are implicitly denied".
    pytest.param(Case(AIA, POOL, IMPLICIT), id="no-policies-implicit-deny"),
    # EVAL: "An explicit allow in an identity-based or resource-based policy overrides this default."
    pytest.param(
        Case(AIA, POOL, ALLOWED, identity=(policy(allow(AIA, POOL)),), matched=("id0:#0",)),
        id="identity-allow",
    ),
    # EVAL: "An explicit deny in any policy overrides any allows."
    pytest.param(
        Case(
            AIA,
            POOL,
            EXPLICIT,
            identity=(policy(allow(AIA, POOL), deny("cognito-idp:*", "*", Sid="NoCognito")),),
            matched=("id0:NoCognito",),
        ),
        id="deny-beats-allow-same-policy",
    ),
    # EVAL: "If the enforcement code finds even one explicit deny that applies, the code returns
    # a final decision of Deny" (the Deny is in another policy).
    pytest.param(
        Case(
            AIA,
            POOL,
            EXPLICIT,
            identity=(policy(allow("*", "*")), policy(deny(AIA, POOL))),
            matched=("id1:#0",),
        ),
        id="deny-beats-allow-other-policy",
    ),
    # AWS example (EVAL): Carlos saves a file to carlossalazar-logs: "the identity-based policy
    # explicitly denies Carlos access to any S3 buckets used for logging".
    pytest.param(
        Case(
            "s3:PutObject",
            "arn:aws:s3:::carlossalazar-logs/notes.txt",
            EXPLICIT,
            identity=(CARLOS_IDENTITY,),
            resource_policy=CARLOS_BUCKET,
            principal=CARLOS,
            resource_account="123456789012",
            matched=("id0:DenyS3Logs",),
        ),
        id="aws-example-carlos-denied-logs-bucket",
    ),
    # AWS example (EVAL): then to carlossalazar: "Both the identity-based policy and the
    # resource-based policy allow the request. Therefore, AWS allows the request."
    pytest.param(
        Case(
            "s3:PutObject",
            "arn:aws:s3:::carlossalazar/notes.txt",
            ALLOWED,
            identity=(CARLOS_IDENTITY,),
            resource_policy=CARLOS_BUCKET,
            principal=CARLOS,
            resource_account="123456789012",
            matched=("id0:AllowS3Self", "resource:#0"),
        ),
        id="aws-example-carlos-own-bucket",
    ),
    # EVAL: "If either the identity-based policy or the resource-based policy within the same
    # account allows the request and the other doesn't, the request is still allowed."
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::carlossalazar/notes.txt",
            ALLOWED,
            identity=(policy(allow("s3:ListAllMyBuckets")),),
            resource_policy=CARLOS_BUCKET,
            principal=CARLOS,
            resource_account="123456789012",
            matched=("resource:#0",),
        ),
        id="same-account-resource-policy-alone-allows",
    ),
    # AWS example (EVAL, explicit vs implicit denies): "The AllowGetList statement allows
    # read-only access to IAM actions that begin with the prefixes Get and List".
    pytest.param(
        Case(
            "iam:GetUser",
            f"arn:aws:iam::{ACCOUNT}:user/Bob",
            ALLOWED,
            identity=(GET_LIST,),
            matched=("id0:AllowGetList",),
        ),
        id="aws-example-getlist-allowed",
    ),
    # ... "All other actions in IAM, such as iam:CreatePolicy are implicitly denied."
    pytest.param(
        Case("iam:CreatePolicy", "*", IMPLICIT, identity=(GET_LIST,)),
        id="aws-example-getlist-createpolicy-implicit",
    ),
    # ... "The DenyReports statement explicitly denies access to ... actions that include the
    # Report suffix, such as iam:GetOrganizationsAccessReport."
    pytest.param(
        Case(
            "iam:GetOrganizationsAccessReport",
            "*",
            EXPLICIT,
            identity=(GET_LIST,),
            matched=("id0:DenyReports",),
        ),
        id="aws-example-getlist-report-explicit",
    ),
    # GRAMMAR/EVAL examples: a single statement may be written as an object instead of a list;
    # its evidence is index 0.
    pytest.param(
        Case(
            AIA,
            POOL,
            ALLOWED,
            identity=({"Version": "2012-10-17", "Statement": allow(AIA, POOL)},),
            matched=("id0:#0",),
        ),
        id="statement-object-not-list",
    ),
    # Evidence names each deciding statement by Sid, else by 0-based index, across policies.
    pytest.param(
        Case(
            AIA,
            POOL,
            ALLOWED,
            identity=(
                policy(allow("s3:*"), allow(AIA, POOL, Sid="MigrateAuth")),
                policy(allow("logs:*"), allow("s3:*"), allow("cognito-idp:Admin*")),
            ),
            matched=("id0:MigrateAuth", "id1:#2"),
        ),
        id="evidence-sid-and-index",
    ),
    # EFFECT: "The Effect element is required and specifies whether the statement results in an
    # allow or an explicit deny." A Deny alone grants nothing.
    pytest.param(
        Case(AIA, POOL, IMPLICIT, identity=(policy(deny("s3:*")),)),
        id="unrelated-deny-alone-implicit",
    ),
    # ------------------------------------------------------------------ cross-account
    # AWS example (CROSS): Carlos (111111111111) writes to Production (222222222222): "Because
    # both accounts allow the request, the final decision is to allow the request."
    pytest.param(
        Case(
            "s3:PutObject",
            "arn:aws:s3:::Production/report.csv",
            ALLOWED,
            identity=(CARLOS_X_IDENTITY,),
            resource_policy=PRODUCTION_BUCKET,
            principal=CARLOS_X,
            resource_account="222222222222",
            matched=("id0:AllowS3ProductionObjectActions", "resource:#0"),
        ),
        id="aws-example-cross-account-production",
    ),
    # AWS example (CROSS): Carlos writes to Production-logs: "Because the request is explicitly
    # denied within one of the accounts, the final decision is to deny the request."
    pytest.param(
        Case(
            "s3:PutObject",
            "arn:aws:s3:::Production-logs/report.csv",
            EXPLICIT,
            identity=(CARLOS_X_IDENTITY,),
            principal=CARLOS_X,
            resource_account="222222222222",
            matched=("id0:DenyS3Logs",),
        ),
        id="aws-example-cross-account-production-logs",
    ),
    # CROSS: "the resource-based policy in AccountB must allow the requester in AccountA". A
    # Cognito user pool has no resource-based policy, so another account's role can never call
    # AdminInitiateAuth on it, whatever its own policies say.
    pytest.param(
        Case(
            AIA,
            POOL,
            IMPLICIT,
            identity=(policy(allow(AIA, POOL)),),
            principal=FOREIGN_ROLE,
            resource_account=ACCOUNT,
            matched=("id0:#0",),
            blocked_by="resource-policy",
        ),
        id="cross-account-user-pool-impossible",
    ),
    # CROSS: "the requester in the trusted AccountA must have an identity-based policy. That
    # policy must allow them to make a request to the resource in the trusting AccountB".
    pytest.param(
        Case(
            "s3:PutObject",
            "arn:aws:s3:::Production/report.csv",
            IMPLICIT,
            identity=(policy(allow("s3:ListAllMyBuckets")),),
            resource_policy=PRODUCTION_BUCKET,
            principal=CARLOS_X,
            resource_account="222222222222",
            matched=("resource:#0",),
            blocked_by="identity",
        ),
        id="cross-account-resource-policy-without-identity-allow",
    ),
    # PRINCIPAL: an account principal "delegates authority to the account"; with the identity
    # policy's Allow the cross-account request is allowed.
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::shared/data",
            ALLOWED,
            identity=(policy(allow("s3:GetObject", "arn:aws:s3:::shared/*")),),
            resource_policy=policy(
                allow("s3:GetObject", "arn:aws:s3:::shared/*", Principal={"AWS": OTHER})
            ),
            principal=FOREIGN_ROLE,
            resource_account=ACCOUNT,
            matched=("id0:#0", "resource:#0"),
        ),
        id="cross-account-account-principal-and-identity",
    ),
    # CROSS: the resource policy must "specify the principal of the trusted account"; a grant to
    # a third account does not let this one in.
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::shared/data",
            IMPLICIT,
            identity=(policy(allow("s3:GetObject", "*")),),
            resource_policy=policy(
                allow("s3:GetObject", "*", Principal={"AWS": "arn:aws:iam::999988887777:root"})
            ),
            principal=FOREIGN_ROLE,
            resource_account=ACCOUNT,
            matched=("id0:#0",),
            blocked_by="resource-policy",
        ),
        id="cross-account-other-account-named",
    ),
    # ------------------------------------------------------------------ permissions boundaries
    # BOUNDARIES: "An entity's permissions boundary allows it to perform only the actions that
    # are allowed by both its identity-based policies and its permissions boundaries."
    pytest.param(
        Case(
            AIA,
            POOL,
            ALLOWED,
            identity=(policy(allow(AIA, POOL)),),
            boundary=policy(allow("cognito-idp:*")),
            matched=("boundary:#0", "id0:#0"),
        ),
        id="boundary-and-identity-allow",
    ),
    # BOUNDARIES: the identity Allow is outside the boundary → implicit deny, cut by the boundary.
    pytest.param(
        Case(
            AIA,
            POOL,
            IMPLICIT,
            identity=(policy(allow(AIA, POOL)),),
            boundary=policy(allow("logs:*")),
            matched=("id0:#0",),
            blocked_by="boundary",
        ),
        id="boundary-cuts-identity-allow",
    ),
    # BOUNDARIES: "Permissions boundaries don't provide permissions on their own" ("that policy
    # limits the user's permissions but does not provide permissions on its own").
    pytest.param(
        Case(AIA, POOL, IMPLICIT, boundary=policy(allow("*"))),
        id="boundary-alone-grants-nothing",
    ),
    # EVAL: deny evaluation covers "IAM permissions boundaries": a Deny there wins.
    pytest.param(
        Case(
            AIA,
            POOL,
            EXPLICIT,
            identity=(policy(allow("*")),),
            boundary=policy(allow("*"), deny(AIA, Sid="NoAuth")),
            matched=("boundary:NoAuth",),
        ),
        id="boundary-deny-wins",
    ),
    # AWS example (BOUNDARIES): ShirleyRodriguez's boundary allows s3, cloudwatch and ec2 only;
    # "Shirley cannot perform operations in any other service, including IAM, even if she has a
    # permissions policy that allows it", e.g. iam:CreateUser.
    pytest.param(
        Case(
            "iam:CreateUser",
            f"arn:aws:iam::{ACCOUNT}:user/new",
            IMPLICIT,
            identity=(policy(allow("iam:CreateUser", "*")),),
            boundary=policy(allow(["s3:*", "cloudwatch:*", "ec2:*"])),
            principal=Principal(PrincipalKind.AWS, f"arn:aws:iam::{ACCOUNT}:user/ShirleyRodriguez"),
            matched=("id0:#0",),
            blocked_by="boundary",
        ),
        id="aws-example-shirley-boundary",
    ),
    # EVAL/BOUNDARIES: "IAM role – Resource-based policies that grant permissions to an IAM role
    # ARN are limited by an implicit deny in a permissions boundary or session policy."
    pytest.param(
        Case(
            "sqs:SendMessage",
            f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue",
            IMPLICIT,
            boundary=policy(allow("logs:*")),
            resource_policy=policy(allow("sqs:SendMessage", "*", Principal={"AWS": ROLE_ARN})),
            matched=("resource:#0",),
            blocked_by="boundary",
        ),
        id="resource-grant-to-role-arn-limited-by-boundary",
    ),
    # Same grant to the role ARN without a boundary: allowed by the resource policy alone.
    pytest.param(
        Case(
            "sqs:SendMessage",
            f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue",
            ALLOWED,
            resource_policy=policy(allow("sqs:SendMessage", "*", Principal={"AWS": ROLE_ARN})),
            matched=("resource:#0",),
        ),
        id="resource-grant-to-role-arn-no-boundary",
    ),
    # EVAL/BOUNDARIES: "IAM role session – Within the same account, resource-based policies that
    # grant permissions to an IAM role session ARN ... are not limited by an implicit deny in an
    # identity-based policy, a permissions boundary, or session policy."
    pytest.param(
        Case(
            "sqs:SendMessage",
            f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue",
            ALLOWED,
            boundary=policy(allow("logs:*")),
            resource_policy=policy(allow("sqs:SendMessage", "*", Principal={"AWS": SESSION.value})),
            principal=SESSION,
            matched=("resource:#0",),
        ),
        id="resource-grant-to-session-arn-not-limited",
    ),
    # EVAL/BOUNDARIES: "IAM user – Within the same account, resource-based policies that grant
    # permissions to an IAM user ARN ... are not limited by an implicit deny in an identity-based
    # policy or permissions boundary."
    pytest.param(
        Case(
            "sqs:SendMessage",
            f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue",
            ALLOWED,
            boundary=policy(allow("logs:*")),
            resource_policy=policy(allow("sqs:SendMessage", "*", Principal={"AWS": USER.value})),
            principal=USER,
            matched=("resource:#0",),
        ),
        id="resource-grant-to-user-arn-not-limited",
    ),
    # PRINCIPAL: "When you specify a role principal in a resource-based policy, the effective
    # permissions for the principal are limited by any policy types that limit permissions for
    # the role" — the role's sessions are what a grant to the role ARN reaches.
    pytest.param(
        Case(
            "sqs:SendMessage",
            f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue",
            ALLOWED,
            resource_policy=policy(allow("sqs:SendMessage", "*", Principal={"AWS": ROLE_ARN})),
            principal=SESSION,
            matched=("resource:#0",),
        ),
        id="resource-grant-to-role-reaches-its-session",
    ),
    # PRINCIPAL: account principals "delegate authority to the account" — within the account the
    # principal's own identity policies must still allow the request.
    pytest.param(
        Case(
            "sqs:SendMessage",
            f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue",
            IMPLICIT,
            identity=(),
            resource_policy=policy(
                allow("sqs:SendMessage", "*", Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
            ),
            matched=("resource:#0",),
            blocked_by="identity",
        ),
        id="resource-grant-to-own-account-delegates",
    ),
    # PRINCIPAL ("All principals"): "For IAM users and role principals within your account, no
    # other permissions are required"; boundaries "do not limit permissions granted using the
    # aws:PrincipalArn condition key with a wildcard(*) in the Principal element".
    pytest.param(
        Case(
            "sqs:SendMessage",
            f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue",
            ALLOWED,
            boundary=policy(allow("logs:*")),
            resource_policy=policy(
                allow(
                    "sqs:SendMessage",
                    "*",
                    Principal="*",
                    Condition={"ArnEquals": {"aws:PrincipalArn": ROLE_ARN}},
                )
            ),
            matched=("resource:#0",),
        ),
        id="resource-grant-to-star-pinned-by-principalarn",
    ),
    # BOUNDARIES: "The NotPrincipal element with a Deny effect will always deny any IAM principal
    # that has a permissions boundary policy attached, regardless of the values specified".
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::bucket/key",
            EXPLICIT,
            identity=(policy(allow("s3:*")),),
            boundary=policy(allow("s3:*")),
            resource_policy=policy(
                deny("s3:*", "*", NotPrincipal={"AWS": [ROLE_ARN, f"arn:aws:iam::{ACCOUNT}:root"]})
            ),
            matched=("resource:#0",),
        ),
        id="deny-notprincipal-always-denies-with-boundary",
    ),
    # NOTPRINCIPAL: "the actions specified in the policy statement are explicitly denied to all
    # principals except for the ones specified" — a listed principal is not denied.
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::bucket/key",
            ALLOWED,
            identity=(policy(allow("s3:*")),),
            resource_policy=policy(
                deny("s3:*", "*", NotPrincipal={"AWS": [ROLE_ARN, f"arn:aws:iam::{ACCOUNT}:root"]})
            ),
            matched=("id0:#0",),
        ),
        id="deny-notprincipal-spares-listed",
    ),
    # NOTPRINCIPAL: ... and every principal not listed is denied.
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::bucket/key",
            EXPLICIT,
            identity=(policy(allow("s3:*")),),
            resource_policy=policy(deny("s3:*", "*", NotPrincipal={"AWS": USER.value})),
            matched=("resource:#0",),
        ),
        id="deny-notprincipal-denies-others",
    ),
    # ------------------------------------------------------------------ trust policies
    # COGNITO_IMPORT: the documented trust policy lets cognito-idp.amazonaws.com assume the logs
    # role; PRINCIPAL: service principals are named with "Service".
    pytest.param(
        Case(
            "sts:AssumeRole",
            LOGS_ROLE_ARN,
            ALLOWED,
            identity=None,
            resource_policy=COGNITO_TRUST,
            resource_kind=PolicyKind.TRUST,
            principal=COGNITO,
            matched=("trust:#0",),
        ),
        id="trust-cognito-service-allowed",
    ),
    # PRINCIPAL: the Service element names specific services; another service is not trusted.
    pytest.param(
        Case(
            "sts:AssumeRole",
            LOGS_ROLE_ARN,
            IMPLICIT,
            identity=None,
            resource_policy=COGNITO_TRUST,
            resource_kind=PolicyKind.TRUST,
            principal=LAMBDA,
        ),
        id="trust-other-service-denied",
    ),
    # The trust policy names the action: sts:TagSession is a different action.
    pytest.param(
        Case(
            "sts:TagSession",
            LOGS_ROLE_ARN,
            IMPLICIT,
            identity=None,
            resource_policy=COGNITO_TRUST,
            resource_kind=PolicyKind.TRUST,
            principal=COGNITO,
        ),
        id="trust-other-action-denied",
    ),
    # PRINCIPAL ("All principals"): '"Principal": "*"' and '"Principal" : { "AWS" : "*" }' grant
    # to everyone; a role of any account may assume the role (its own half of the evaluation is
    # not asked for: identity=None).
    pytest.param(
        Case(
            "sts:AssumeRole",
            LOGS_ROLE_ARN,
            ALLOWED,
            identity=None,
            resource_policy=policy(allow("sts:AssumeRole", None, Principal={"AWS": "*"})),
            resource_kind=PolicyKind.TRUST,
            principal=FOREIGN_ROLE,
            resource_account=ACCOUNT,
            matched=("trust:#0",),
        ),
        id="trust-aws-star-any-account",
    ),
    pytest.param(
        Case(
            "sts:AssumeRole",
            LOGS_ROLE_ARN,
            ALLOWED,
            identity=None,
            resource_policy=policy(allow("sts:AssumeRole", None, Principal="*")),
            resource_kind=PolicyKind.TRUST,
            principal=LAMBDA,
            matched=("trust:#0",),
        ),
        id="trust-star-string-any-principal",
    ),
    # PRINCIPAL ("Web identity session principals"): '"Principal": { "Federated":
    # "cognito-identity.amazonaws.com" }' with sts:AssumeRoleWithWebIdentity.
    pytest.param(
        Case(
            "sts:AssumeRoleWithWebIdentity",
            LOGS_ROLE_ARN,
            ALLOWED,
            identity=None,
            resource_policy=policy(
                allow(
                    "sts:AssumeRoleWithWebIdentity",
                    None,
                    Principal={"Federated": "cognito-identity.amazonaws.com"},
                )
            ),
            resource_kind=PolicyKind.TRUST,
            principal=Principal(PrincipalKind.FEDERATED, "cognito-identity.amazonaws.com"),
            matched=("trust:#0",),
        ),
        id="trust-federated-web-identity",
    ),
    # EVAL: "IAM role trust policies and KMS key policies are exceptions to this logic, because
    # they must explicitly allow access for principals" — an identity Allow alone is not enough.
    pytest.param(
        Case(
            "sts:AssumeRole",
            LOGS_ROLE_ARN,
            IMPLICIT,
            identity=(policy(allow("sts:AssumeRole", LOGS_ROLE_ARN)),),
            resource_policy=COGNITO_TRUST,
            resource_kind=PolicyKind.TRUST,
            principal=USER,
            matched=("id0:#0",),
            blocked_by="resource-policy",
        ),
        id="trust-must-name-principal-even-same-account",
    ),
    # PRINCIPAL: a trust policy naming the account delegates to it; the user's own policy must
    # allow sts:AssumeRole — with it, allowed.
    pytest.param(
        Case(
            "sts:AssumeRole",
            LOGS_ROLE_ARN,
            ALLOWED,
            identity=(policy(allow("sts:AssumeRole", LOGS_ROLE_ARN)),),
            resource_policy=policy(allow("sts:AssumeRole", None, Principal={"AWS": ACCOUNT})),
            resource_kind=PolicyKind.TRUST,
            principal=USER,
            matched=("id0:#0", "trust:#0"),
        ),
        id="trust-account-and-identity-allow",
    ),
    # ... without it, the account grant alone does not let the user in.
    pytest.param(
        Case(
            "sts:AssumeRole",
            LOGS_ROLE_ARN,
            IMPLICIT,
            identity=(policy(allow("s3:*")),),
            resource_policy=policy(allow("sts:AssumeRole", None, Principal={"AWS": ACCOUNT})),
            resource_kind=PolicyKind.TRUST,
            principal=USER,
            matched=("trust:#0",),
            blocked_by="identity",
        ),
        id="trust-account-without-identity-allow",
    ),
    # NOTPRINCIPAL ("NotPrincipal With Allow"): "Doing so allows all principals except the one
    # named in the NotPrincipal element".
    pytest.param(
        Case(
            "sts:AssumeRole",
            LOGS_ROLE_ARN,
            ALLOWED,
            identity=None,
            resource_policy=policy(
                allow("sts:AssumeRole", None, NotPrincipal={"AWS": f"arn:aws:iam::{OTHER}:root"})
            ),
            resource_kind=PolicyKind.TRUST,
            principal=Principal(PrincipalKind.AWS, "arn:aws:iam::999988887777:role/anyone"),
            resource_account=ACCOUNT,
            matched=("trust:#0",),
        ),
        id="trust-allow-notprincipal-lets-others-in",
    ),
    pytest.param(
        Case(
            "sts:AssumeRole",
            LOGS_ROLE_ARN,
            IMPLICIT,
            identity=None,
            resource_policy=policy(
                allow("sts:AssumeRole", None, NotPrincipal={"Service": "lambda.amazonaws.com"})
            ),
            resource_kind=PolicyKind.TRUST,
            principal=LAMBDA,
        ),
        id="trust-allow-notprincipal-excludes-listed",
    ),
    # EVAL: an explicit Deny in the trust policy beats its Allow for "*".
    pytest.param(
        Case(
            "sts:AssumeRole",
            LOGS_ROLE_ARN,
            EXPLICIT,
            identity=None,
            resource_policy=policy(
                allow("sts:AssumeRole", None, Principal="*"),
                deny("sts:AssumeRole", None, Principal={"AWS": FOREIGN_ROLE.value}, Sid="NoX"),
            ),
            resource_kind=PolicyKind.TRUST,
            principal=FOREIGN_ROLE,
            resource_account=ACCOUNT,
            matched=("trust:NoX",),
        ),
        id="trust-deny-beats-star",
    ),
    # COGNITO_MIGRATE: the documented Lambda permission for the migration trigger, with the keys
    # Cognito sends; OPERATORS: condition key names are case-insensitive ("AWS:SourceAccount").
    pytest.param(
        Case(
            "lambda:InvokeFunction",
            LAMBDA_ARN,
            ALLOWED,
            identity=None,
            resource_policy=LAMBDA_PERMISSION,
            principal=COGNITO,
            context={"aws:SourceAccount": (ACCOUNT,), "aws:SourceArn": (POOL,)},
            matched=("resource:lambda-allow-cognito",),
        ),
        id="lambda-permission-cognito-allowed",
    ),
    # ... a trigger bound to another pool ARN does not match ArnLike.
    pytest.param(
        Case(
            "lambda:InvokeFunction",
            LAMBDA_ARN,
            IMPLICIT,
            identity=None,
            resource_policy=LAMBDA_PERMISSION,
            principal=COGNITO,
            context={
                "aws:SourceAccount": (ACCOUNT,),
                "aws:SourceArn": (POOL.replace("AbC123", "Other1"),),
            },
        ),
        id="lambda-permission-other-pool-denied",
    ),
    # OPERATORS: "If the key that you specify in a policy condition is not present in the request
    # context, the values do not match" — in OPEN mode the answer hangs on the missing keys.
    pytest.param(
        Case(
            "lambda:InvokeFunction",
            LAMBDA_ARN,
            IMPLICIT,
            identity=None,
            resource_policy=LAMBDA_PERMISSION,
            principal=COGNITO,
            mode=OPEN,
            unresolved=("AWS:SourceAccount", "AWS:SourceArn"),
            conditional=True,
        ),
        id="lambda-permission-open-mode-conditional",
    ),
    # ------------------------------------------------------------------ Action / NotAction
    # ACTION: "The prefix and the action name are case insensitive. For example,
    # iam:ListAccessKeys is the same as IAM:listaccesskeys."
    pytest.param(
        Case(
            "iam:ListAccessKeys",
            "*",
            ALLOWED,
            identity=(policy(allow("IAM:listaccesskeys")),),
            matched=("id0:#0",),
        ),
        id="action-case-insensitive",
    ),
    # ACTION: '"iam:*AccessKey*"' "applies to all IAM actions that include the string AccessKey,
    # including CreateAccessKey".
    pytest.param(
        Case(
            "iam:CreateAccessKey",
            "*",
            ALLOWED,
            identity=(policy(allow("iam:*AccessKey*")),),
            matched=("id0:#0",),
        ),
        id="action-wildcard-inside-name",
    ),
    pytest.param(
        Case("iam:ListUsers", "*", IMPLICIT, identity=(policy(allow("iam:*AccessKey*")),)),
        id="action-wildcard-inside-name-no-match",
    ),
    # ACTION: "You can use a wildcard (*) to give access to all the actions the specific AWS
    # product offers" — and only that product.
    pytest.param(
        Case("cognito-identity:GetId", "*", IMPLICIT, identity=(policy(allow("cognito-idp:*")),)),
        id="action-service-wildcard-other-service",
    ),
    # ACTION: "*" alone is every action of every service.
    pytest.param(
        Case(AIA, POOL, ALLOWED, identity=(policy(allow("*")),), matched=("id0:#0",)),
        id="action-star",
    ),
    # NOTACTION: '"NotAction": "iam:*", "Resource": "*"' "allows users to access every action in
    # every AWS service except for IAM".
    pytest.param(
        Case(
            AIA,
            POOL,
            ALLOWED,
            identity=(policy(allow(None, "*", NotAction="iam:*")),),
            matched=("id0:#0",),
        ),
        id="aws-example-allow-notaction-other-service",
    ),
    pytest.param(
        Case(
            "iam:CreateUser", "*", IMPLICIT, identity=(policy(allow(None, "*", NotAction="iam:*")),)
        ),
        id="aws-example-allow-notaction-listed-service",
    ),
    # NOTACTION: '"NotAction": "s3:DeleteBucket", "Resource": "arn:aws:s3:::*"' allows "all of the
    # Amazon S3 actions that can be performed on any S3 resource except for deleting a bucket".
    pytest.param(
        Case(
            "s3:DeleteBucket",
            "arn:aws:s3:::bucket",
            IMPLICIT,
            identity=(policy(allow(None, "arn:aws:s3:::*", NotAction="s3:DeleteBucket")),),
        ),
        id="aws-example-notaction-deletebucket-excluded",
    ),
    pytest.param(
        Case(
            "s3:PutObject",
            "arn:aws:s3:::bucket/key",
            ALLOWED,
            identity=(policy(allow(None, "arn:aws:s3:::*", NotAction="s3:DeleteBucket")),),
            matched=("id0:#0",),
        ),
        id="aws-example-notaction-other-s3-action",
    ),
    # NOTACTION: "This policy also does not allow actions in other services, because other
    # service actions are not applicable to the S3 resources."
    pytest.param(
        Case(
            AIA,
            POOL,
            IMPLICIT,
            identity=(policy(allow(None, "arn:aws:s3:::*", NotAction="s3:DeleteBucket")),),
        ),
        id="aws-example-notaction-resource-scopes-services",
    ),
    # AWS example (NOTACTION, DenyAllUsersNotUsingMFA): Deny NotAction iam:* with
    # BoolIfExists aws:MultiFactorAuthPresent false. Without the key (IfExists → true) the
    # non-IAM action is denied...
    pytest.param(
        Case(
            "s3:ListBucket",
            "arn:aws:s3:::bucket",
            EXPLICIT,
            identity=(
                policy(allow("*")),
                policy(
                    deny(
                        None,
                        "*",
                        Sid="DenyAllUsersNotUsingMFA",
                        NotAction="iam:*",
                        Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
                    )
                ),
            ),
            matched=("id1:DenyAllUsersNotUsingMFA",),
            unresolved=("aws:MultiFactorAuthPresent",),
        ),
        id="aws-example-deny-notaction-mfa-absent",
    ),
    # ... "If the user is signed in with MFA, then the Condition test fails and the final Deny
    # statement has no effect."
    pytest.param(
        Case(
            "s3:ListBucket",
            "arn:aws:s3:::bucket",
            ALLOWED,
            identity=(
                policy(allow("*")),
                policy(
                    deny(
                        None,
                        "*",
                        NotAction="iam:*",
                        Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
                    )
                ),
            ),
            context={"aws:MultiFactorAuthPresent": ("true",)},
            matched=("id0:#0",),
        ),
        id="aws-example-deny-notaction-mfa-present",
    ),
    # ... "it would only explicitly deny all other actions except IAM actions".
    pytest.param(
        Case(
            "iam:ListUsers",
            "*",
            ALLOWED,
            identity=(
                policy(allow("*")),
                policy(
                    deny(
                        None,
                        "*",
                        NotAction="iam:*",
                        Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
                    )
                ),
            ),
            matched=("id0:#0",),
        ),
        id="aws-example-deny-notaction-spares-iam",
    ),
    # ------------------------------------------------------------------ Resource / NotResource
    # EVAL/RESOURCE: resource ARNs are case-sensitive ("In a Principal element, the user name
    # part of the ARN is case sensitive"; ArnEquals: "Case-sensitive matching of the ARN").
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::bucket/key",
            IMPLICIT,
            identity=(policy(allow("s3:GetObject", "arn:aws:s3:::Bucket/*")),),
        ),
        id="resource-case-sensitive",
    ),
    # AWS example (RESOURCE): "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*/test/*" applies to
    # "DOC-EXAMPLE-BUCKET/1/2/test/3/object.jpg" — "*" expands across "/".
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::DOC-EXAMPLE-BUCKET/1/2/test/3/object.jpg",
            ALLOWED,
            identity=(policy(allow("s3:GetObject", "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*/test/*")),),
            matched=("id0:#0",),
        ),
        id="aws-example-resource-star-spans-slash",
    ),
    # ... "The ARN would not match the following objects: DOC-EXAMPLE-BUCKET/test/object.jpg".
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::DOC-EXAMPLE-BUCKET/test/object.jpg",
            IMPLICIT,
            identity=(policy(allow("s3:GetObject", "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*/test/*")),),
        ),
        id="aws-example-resource-star-needs-segment",
    ),
    # RESOURCE: "If the * wildcard is the last character of a resource ARN segment, it can expand
    # to match beyond the colon boundaries" — Cognito's documented logs-role policy
    # (log-group:/aws/cognito/*) covers the import job's log stream.
    pytest.param(
        Case(
            "logs:PutLogEvents",
            LOG_STREAM,
            ALLOWED,
            identity=(
                policy(
                    allow(
                        [
                            "logs:CreateLogGroup",
                            "logs:CreateLogStream",
                            "logs:DescribeLogStreams",
                            "logs:PutLogEvents",
                        ],
                        [f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/cognito/*"],
                    )
                ),
            ),
            matched=("id0:#0",),
        ),
        id="cognito-logs-policy-star-spans-colon",
    ),
    # RESOURCE: "any single character with a question mark (?)".
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::bucket-a/key",
            ALLOWED,
            identity=(policy(allow("s3:GetObject", "arn:aws:s3:::bucket-?/key")),),
            matched=("id0:#0",),
        ),
        id="resource-question-mark-one-char",
    ),
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::bucket-ab/key",
            IMPLICIT,
            identity=(policy(allow("s3:GetObject", "arn:aws:s3:::bucket-?/key")),),
        ),
        id="resource-question-mark-not-two-chars",
    ),
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::bucket-/key",
            IMPLICIT,
            identity=(policy(allow("s3:GetObject", "arn:aws:s3:::bucket-?/key")),),
        ),
        id="resource-question-mark-not-zero-chars",
    ),
    # AWS example (NOTRESOURCE, HRPayroll): Deny s3:* NotResource [HRBucket/Payroll,
    # HRBucket/Payroll/*] "explicitly denies access to all Amazon S3 resources other than the
    # listed resources".
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::HRBucket/Benefits/plan.pdf",
            EXPLICIT,
            identity=(
                policy(allow("s3:*")),
                policy(
                    deny(
                        "s3:*",
                        NotResource=[
                            "arn:aws:s3:::HRBucket/Payroll",
                            "arn:aws:s3:::HRBucket/Payroll/*",
                        ],
                    )
                ),
            ),
            matched=("id1:#0",),
        ),
        id="aws-example-deny-notresource-other-folder",
    ),
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::HRBucket/Payroll/2024.csv",
            ALLOWED,
            identity=(
                policy(allow("s3:*")),
                policy(
                    deny(
                        "s3:*",
                        NotResource=[
                            "arn:aws:s3:::HRBucket/Payroll",
                            "arn:aws:s3:::HRBucket/Payroll/*",
                        ],
                    )
                ),
            ),
            matched=("id0:#0",),
        ),
        id="aws-example-deny-notresource-listed-folder",
    ),
    # NOTRESOURCE: "never use "Effect": "Allow", "Action": "*", and "NotResource":
    # "arn:aws:s3:::HRBucket" together ... it allows all actions in AWS on all resources except
    # the HRBucket S3 bucket" — even iam:PutUserPolicy.
    pytest.param(
        Case(
            "iam:PutUserPolicy",
            f"arn:aws:iam::{ACCOUNT}:user/David",
            ALLOWED,
            identity=(policy(allow("*", NotResource="arn:aws:s3:::HRBucket")),),
            matched=("id0:#0",),
        ),
        id="aws-example-allow-notresource-everything-else",
    ),
    pytest.param(
        Case(
            "s3:ListBucket",
            "arn:aws:s3:::HRBucket",
            IMPLICIT,
            identity=(policy(allow("*", NotResource="arn:aws:s3:::HRBucket")),),
        ),
        id="aws-example-allow-notresource-listed",
    ),
    # PRINCIPAL/EVAL: a trust policy has no Resource; its statements apply to the role itself.
    pytest.param(
        Case(
            "sts:AssumeRole",
            "arn:aws:iam::111122223333:role/any-name",
            ALLOWED,
            identity=None,
            resource_policy=COGNITO_TRUST,
            principal=COGNITO,
            matched=("resource:#0",),
        ),
        id="missing-resource-applies-to-the-resource",
    ),
    # ------------------------------------------------------------------ condition operators
    # OPERATORS: StringEquals is "Exact matching, case sensitive".
    pytest.param(
        Case(
            AIA,
            POOL,
            ALLOWED,
            identity=(
                policy(allow(AIA, Condition={"StringEquals": {"aws:PrincipalTag/team": "Auth"}})),
            ),
            context={"aws:PrincipalTag/team": ("Auth",)},
            matched=("id0:#0",),
        ),
        id="string-equals-match",
    ),
    pytest.param(
        Case(
            AIA,
            POOL,
            IMPLICIT,
            identity=(
                policy(allow(AIA, Condition={"StringEquals": {"aws:PrincipalTag/team": "Auth"}})),
            ),
            context={"aws:PrincipalTag/team": ("auth",)},
        ),
        id="string-equals-value-case-sensitive",
    ),
    # OPERATORS: StringEqualsIgnoreCase is "Exact matching, ignoring case".
    pytest.param(
        Case(
            AIA,
            POOL,
            ALLOWED,
            identity=(
                policy(
                    allow(
                        AIA,
                        Condition={"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "AUTH"}},
                    )
                ),
            ),
            context={"aws:PrincipalTag/team": ("auth",)},
            matched=("id0:#0",),
        ),
        id="string-equals-ignore-case",
    ),
    # OPERATORS: StringNotEqualsIgnoreCase is "Negated matching, ignoring case".
    pytest.param(
        Case(
            AIA,
            POOL,
            ALLOWED,
            identity=(
                policy(allow("*")),
                policy(
                    deny(
                        AIA,
                        Condition={
                            "StringNotEqualsIgnoreCase": {"aws:RequestedRegion": "US-EAST-1"}
                        },
                    )
                ),
            ),
            context={"aws:RequestedRegion": ("us-east-1",)},
            matched=("id0:#0",),
        ),
        id="string-not-equals-ignore-case",
    ),
    # OPERATORS (IfExists example): StringLike "t2.*" on ec2:InstanceType.
    pytest.param(
        Case(
            "ec2:RunInstances",
            "*",
            ALLOWED,
            identity=(
                policy(
                    allow(
                        "ec2:RunInstances",
                        Sid="RunInstance",
                        Condition={
                            "StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}
                        },
                    )
                ),
            ),
            context={"ec2:InstanceType": ("t2.micro",)},
            matched=("id0:RunInstance",),
        ),
        id="aws-example-string-like-ifexists-match",
    ),
    pytest.param(
        Case(
            "ec2:RunInstances",
            "*",
            IMPLICIT,
            identity=(
                policy(
                    allow(
                        "ec2:RunInstances",
                        Condition={
                            "StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}
                        },
                    )
                ),
            ),
            context={"ec2:InstanceType": ("m5.large",)},
        ),
        id="aws-example-string-like-ifexists-mismatch",
    ),
    # OPERATORS: "If the resource being checked does not have that condition key, then don't
    # worry about it" — IfExists on an absent key is true.
    pytest.param(
        Case(
            "ec2:RunInstances",
            "*",
            ALLOWED,
            identity=(
                policy(
                    allow(
                        "ec2:RunInstances",
                        Condition={
                            "StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}
                        },
                    )
                ),
            ),
            matched=("id0:#0",),
            unresolved=("ec2:InstanceType",),
        ),
        id="aws-example-string-like-ifexists-absent",
    ),
    # OPERATORS (THISPOLICYDOESNOTWORK): without IfExists, resources lacking the key fail: "the
    # StringLike check fails".
    pytest.param(
        Case(
            "ec2:RunInstances",
            "*",
            IMPLICIT,
            identity=(
                policy(
                    allow(
                        "ec2:RunInstances",
                        Condition={"StringLike": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}},
                    )
                ),
            ),
            unresolved=("ec2:InstanceType",),
        ),
        id="aws-example-string-like-absent-key-false",
    ),
    # OPERATORS: "If the policy condition requires that the key is not matched, such as
    # StringNotLike or ArnNotLike, and the right key is not present, the condition is true."
    pytest.param(
        Case(
            AIA,
            POOL,
            EXPLICIT,
            identity=(
                policy(allow("*")),
                policy(deny(AIA, Condition={"StringNotLike": {"aws:PrincipalTag/team": "auth-*"}})),
            ),
            matched=("id1:#0",),
            unresolved=("aws:PrincipalTag/team",),
        ),
        id="string-not-like-missing-key-true",
    ),
    # MULTIVALUE/OPERATORS: "When multiple values are listed in a policy for negated matching
    # condition operators such as StringNotEquals ... the effective permissions work like a
    # logical AND" — an account in the list is not denied...
    pytest.param(
        Case(
            AIA,
            POOL,
            ALLOWED,
            identity=(
                policy(allow("*")),
                policy(
                    deny(
                        "*",
                        Condition={"StringNotEquals": {"aws:PrincipalAccount": [ACCOUNT, OTHER]}},
                    )
                ),
            ),
            matched=("id0:#0",),
        ),
        id="string-not-equals-values-and-listed",
    ),
    # ... and one outside every listed value is.
    pytest.param(
        Case(
            AIA,
            POOL,
            EXPLICIT,
            identity=(
                policy(allow("*")),
                policy(
                    deny(
                        "*",
                        Condition={
                            "StringNotEquals": {"aws:PrincipalAccount": ["999988887777", OTHER]}
                        },
                    )
                ),
            ),
            matched=("id1:#0",),
        ),
        id="string-not-equals-values-and-unlisted",
    ),
    # MULTIVALUE: "If a single condition operator includes multiple values for one key, that
    # condition operator is evaluated using a logical OR."
    pytest.param(
        Case(
            AIA,
            POOL,
            ALLOWED,
            identity=(
                policy(
                    allow(
                        AIA,
                        Condition={
                            "StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}
                        },
                    )
                ),
            ),
            context={"aws:RequestedRegion": ("us-east-1",)},
            matched=("id0:#0",),
        ),
        id="condition-values-or",
    ),
    # AWS example (MULTIVALUE): StringEqualsIgnoreCase on two principal tags AND StringEquals
    # aws:PrincipalAccount: "To invoke the desired Allow or Deny effect, all conditions must
    # resolve to true."
    pytest.param(
        Case(
            AIA,
            POOL,
            ALLOWED,
            identity=(
                policy(
                    allow(
                        AIA,
                        Condition={
                            "StringEqualsIgnoreCase": {
                                "aws:PrincipalTag/department": ["finance", "hr", "legal"],
                                "aws:PrincipalTag/role": ["audit", "security"],
                            },
                            "StringEquals": {"aws:PrincipalAccount": "123456789012"},
                        },
                    )
                ),
            ),
            principal=Principal(PrincipalKind.AWS, "arn:aws:iam::123456789012:user/Ana"),
            context={"aws:PrincipalTag/department": ("HR",), "aws:PrincipalTag/role": ("Audit",)},
            matched=("id0:#0",),
        ),
        id="aws-example-keys-and-all-true",
    ),
    pytest.param(
        Case(
            AIA,
            POOL,
            IMPLICIT,
            identity=(
                policy(
                    allow(
                        AIA,
                        Condition={
                            "StringEqualsIgnoreCase": {
                                "aws:PrincipalTag/department": ["finance", "hr", "legal"],
                                "aws:PrincipalTag/role": ["audit", "security"],
                            },
                            "StringEquals": {"aws:PrincipalAccount": "123456789012"},
                        },
                    )
                ),
            ),
            principal=Principal(PrincipalKind.AWS, "arn:aws:iam::123456789012:user/Ana"),
            context={"aws:PrincipalTag/department": ("HR",)},
            unresolved=("aws:PrincipalTag/role",),
        ),
        id="aws-example-keys-and-one-missing",
    ),
    # VARIABLES: "Key names are case-insensitive. For example, aws:CurrentTime is equivalent to
    # AWS:currenttime."
    pytest.param(
        Case(
            AIA,
            POOL,
            ALLOWED,
            identity=(policy(allow(AIA, Condition={"StringEquals": {"AWS:SourceVpc": "vpc-1"}})),),
            context={"aws:sourcevpc": ("vpc-1",)},
            matched=("id0:#0",),
        ),
        id="condition-key-case-insensitive",
    ),
    # OPERATORS (ARN): ArnLike "Each of the six colon-delimited components of the ARN is checked
    # separately and each can include ... wildcards".
    pytest.param(
        Case(
            AIA,
            POOL,
            ALLOWED,
            identity=(
                policy(
                    allow(
                        AIA,
                        Condition={
                            "ArnLike": {
                                "aws:SourceArn": f"arn:aws:cognito-idp:*:{ACCOUNT}:userpool/*"
                            }
                        },
                    )
                ),
            ),
            context={"aws:SourceArn": (POOL,)},
            matched=("id0:#0",),
        ),
        id="arn-like-segments",
    ),
    # AWS example (OPERATORS, ARN): pattern arn:aws:someservice:*:111122223333:finance/* against
    # ...:us-east-2:999999999999:store/abc:111122223333:finance/document.txt: "With a StringLike
    # condition, the match succeeds" ...
    pytest.param(
        Case(
            "someservice:Read",
            "*",
            ALLOWED,
            identity=(
                policy(
                    allow(
                        "someservice:Read",
                        Condition={
                            "StringLike": {
                                "aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"
                            }
                        },
                    )
                ),
            ),
            context={
                "aws:SourceArn": (
                    "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt",
                )
            },
            matched=("id0:#0",),
        ),
        id="aws-example-stringlike-spans-colons",
    ),
    # ... "With an ArnLike condition, which matches elements between colons, the match fails."
    pytest.param(
        Case(
            "someservice:Read",
            "*",
            IMPLICIT,
            identity=(
                policy(
                    allow(
                        "someservice:Read",
                        Condition={
                            "ArnLike": {
                                "aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"
                            }
                        },
                    )
                ),
            ),
            context={
                "aws:SourceArn": (
                    "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt",
                )
            },
        ),
        id="aws-example-arnlike-per-segment",
    ),
    # OPERATORS: ArnEquals is "Case-sensitive matching of the ARN".
    pytest.param(
        Case(
            AIA,
            POOL,
            IMPLICIT,
            identity=(
                policy(allow(AIA, Condition={"ArnEquals": {"aws:SourceArn": POOL.upper()}})),
            ),
            context={"aws:SourceArn": (POOL,)},
        ),
        id="arn-equals-case-sensitive",
    ),
    # OPERATORS: ArnNotEquals on a missing key is true (negated operator).
    pytest.param(
        Case(
            AIA,
            POOL,
            EXPLICIT,
            identity=(
                policy(allow("*")),
                policy(deny(AIA, Condition={"ArnNotEquals": {"aws:SourceArn": POOL}})),
            ),
            matched=("id1:#0",),
            unresolved=("aws:SourceArn",),
        ),
        id="arn-not-equals-missing-key-true",
    ),
    # AWS example (OPERATORS, Numeric): NumericLessThanEquals s3:max-keys "10": "list up to 10".
    pytest.param(
        Case(
            "s3:ListBucket",
            "arn:aws:s3:::example_bucket",
            ALLOWED,
            identity=(
                policy(
                    allow(
                        "s3:ListBucket",
                        "arn:aws:s3:::example_bucket",
                        Condition={"NumericLessThanEquals": {"s3:max-keys": "10"}},
                    )
                ),
            ),
            context={"s3:max-keys": ("10",)},
            matched=("id0:#0",),
        ),
        id="aws-example-numeric-le-equal",
    ),
    pytest.param(
        Case(
            "s3:ListBucket",
            "arn:aws:s3:::example_bucket",
            IMPLICIT,
            identity=(
                policy(
                    allow(
                        "s3:ListBucket",
                        "arn:aws:s3:::example_bucket",
                        Condition={"NumericLessThanEquals": {"s3:max-keys": "10"}},
                    )
                ),
            ),
            context={"s3:max-keys": ("11",)},
        ),
        id="aws-example-numeric-le-greater",
    ),
    # OPERATORS (Numeric): "comparing a key to an integer or decimal value"; GRAMMAR: quotation
    # marks are optional for numbers.
    pytest.param(
        Case(
            "s3:ListBucket",
            "*",
            ALLOWED,
            identity=(
                policy(allow("s3:ListBucket", Condition={"NumericEquals": {"s3:max-keys": 10}})),
            ),
            context={"s3:max-keys": ("10.0",)},
            matched=("id0:#0",),
        ),
        id="numeric-equals-decimal-unquoted",
    ),
    pytest.param(
        Case(
            "s3:ListBucket",
            "*",
            IMPLICIT,
            identity=(
                policy(
                    allow("s3:ListBucket", Condition={"NumericGreaterThan": {"s3:max-keys": "10"}})
                ),
            ),
            context={"s3:max-keys": ("ten",)},
        ),
        id="numeric-unparsable-value-no-match",
    ),
    pytest.param(
        Case(
            "s3:ListBucket",
            "*",
            EXPLICIT,
            identity=(
                policy(allow("s3:ListBucket")),
                policy(deny("s3:ListBucket", Condition={"NumericNotEquals": {"s3:max-keys": "5"}})),
            ),
            context={"s3:max-keys": ("6",)},
            matched=("id1:#0",),
        ),
        id="numeric-not-equals",
    ),
    # AWS example (OPERATORS, Date): DateGreaterThan aws:TokenIssueTime "2020-01-01T00:00:01Z".
    pytest.param(
        Case(
            "iam:CreateAccessKey",
            f"arn:aws:iam::{ACCOUNT}:user/David",
            ALLOWED,
            identity=(
                policy(
                    allow(
                        "iam:*AccessKey*",
                        f"arn:aws:iam::{ACCOUNT}:user/*",
                        Condition={
                            "DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}
                        },
                    )
                ),
            ),
            context={"aws:TokenIssueTime": ("2020-06-30T12:00:00Z",)},
            matched=("id0:#0",),
        ),
        id="aws-example-date-greater-than",
    ),
    # ... "The key is not present in AWS CLI, AWS API, or AWS SDK requests that are made using
    # access keys. In this example, if an IAM user attempts to view or edit an access key, the
    # request is denied."
    pytest.param(
        Case(
            "iam:CreateAccessKey",
            f"arn:aws:iam::{ACCOUNT}:user/David",
            IMPLICIT,
            identity=(
                policy(
                    allow(
                        "iam:*AccessKey*",
                        f"arn:aws:iam::{ACCOUNT}:user/*",
                        Condition={
                            "DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}
                        },
                    )
                ),
            ),
            principal=USER,
            unresolved=("aws:TokenIssueTime",),
        ),
        id="aws-example-date-key-absent",
    ),
    # CONDITION_KEYS (aws:EpochTime/aws:CurrentTime): dates may be given as epoch seconds;
    # 1577836800 is 2020-01-01T00:00:00Z.
    pytest.param(
        Case(
            AIA,
            POOL,
            ALLOWED,
            identity=(
                policy(
                    allow(
                        AIA, Condition={"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:01Z"}}
                    )
                ),
            ),
            context={"aws:CurrentTime": ("1577836800",)},
            matched=("id0:#0",),
        ),
        id="date-epoch-seconds-context",
    ),
    # Never guess the clock: without aws:CurrentTime in the context the date condition is
    # unresolved (and, being a positive operator on an absent key, false).
    pytest.param(
        Case(
            AIA,
            POOL,
            IMPLICIT,
            identity=(
                policy(allow(AIA, Condition={"DateLessThan": {"aws:CurrentTime": "2030-01-01"}})),
            ),
            unresolved=("aws:CurrentTime",),
        ),
        id="date-no-clock-unresolved",
    ),
    # AWS example (OPERATORS, Boolean): Deny s3:* when aws:SecureTransport is "false".
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::DOC-EXAMPLE-BUCKET/key",
            EXPLICIT,
            identity=(
                policy(allow("s3:*")),
                policy(
                    deny(
                        "s3:*",
                        ["arn:aws:s3:::DOC-EXAMPLE-BUCKET", "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"],
                        Sid="BooleanExample",
                        Condition={"Bool": {"aws:SecureTransport": "false"}},
                    )
                ),
            ),
            context={"aws:SecureTransport": ("false",)},
            matched=("id1:BooleanExample",),
        ),
        id="aws-example-bool-insecure-denied",
    ),
    # GRAMMAR: "Quotation marks are optional for numeric and Boolean values" — JSON false.
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::DOC-EXAMPLE-BUCKET/key",
            ALLOWED,
            identity=(
                policy(allow("s3:*")),
                policy(deny("s3:*", Condition={"Bool": {"aws:SecureTransport": False}})),
            ),
            context={"aws:SecureTransport": ("true",)},
            matched=("id0:#0",),
        ),
        id="bool-unquoted-secure-allowed",
    ),
    # OPERATORS (Binary): BinaryEquals "compares the value of the specified key byte for byte
    # against a base-64 encoded representation of the binary value in the policy".
    pytest.param(
        Case(
            AIA,
            POOL,
            ALLOWED,
            identity=(
                policy(
                    allow(AIA, Condition={"BinaryEquals": {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}})
                ),
            ),
            context={"key": ("QmluYXJ5VmFsdWVJbkJhc2U2NA==",)},
            matched=("id0:#0",),
        ),
        id="binary-equals",
    ),
    # AWS example (OPERATORS, IP): IpAddress aws:SourceIp "203.0.113.0/24" and an IPv6 range.
    pytest.param(
        Case(
            "iam:CreateAccessKey",
            "*",
            ALLOWED,
            identity=(
                policy(
                    allow(
                        "iam:*AccessKey*",
                        Condition={
                            "IpAddress": {
                                "aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]
                            }
                        },
                    )
                ),
            ),
            context={"aws:SourceIp": ("203.0.113.77",)},
            matched=("id0:#0",),
        ),
        id="aws-example-ip-v4-in-range",
    ),
    pytest.param(
        Case(
            "iam:CreateAccessKey",
            "*",
            ALLOWED,
            identity=(
                policy(
                    allow(
                        "iam:*AccessKey*",
                        Condition={
                            "IpAddress": {
                                "aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]
                            }
                        },
                    )
                ),
            ),
            context={"aws:SourceIp": ("2001:db8:1234:5678::9",)},
            matched=("id0:#0",),
        ),
        id="aws-example-ip-v6-in-range",
    ),
    pytest.param(
        Case(
            "iam:CreateAccessKey",
            "*",
            IMPLICIT,
            identity=(
                policy(
                    allow(
                        "iam:*AccessKey*",
                        Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
                    )
                ),
            ),
            context={"aws:SourceIp": ("198.51.100.1",)},
        ),
        id="ip-out-of-range",
    ),
    # OPERATORS: NotIpAddress is negated: true on a missing key.
    pytest.param(
        Case(
            AIA,
            POOL,
            EXPLICIT,
            identity=(
                policy(allow("*")),
                policy(deny("*", Condition={"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}})),
            ),
            matched=("id1:#0",),
            unresolved=("aws:SourceIp",),
        ),
        id="not-ip-address-missing-key-true",
    ),
    # AWS example (OPERATORS, Null): '{"Null":{"aws:TokenIssueTime":"true"}}' — "the user must
    # not be using temporary credentials (the key must not exist)".
    pytest.param(
        Case(
            "ec2:DescribeInstances",
            "*",
            ALLOWED,
            identity=(policy(allow("ec2:*", Condition={"Null": {"aws:TokenIssueTime": "true"}})),),
            principal=USER,
            matched=("id0:#0",),
            unresolved=("aws:TokenIssueTime",),
        ),
        id="aws-example-null-true-key-absent",
    ),
    pytest.param(
        Case(
            "ec2:DescribeInstances",
            "*",
            IMPLICIT,
            identity=(policy(allow("ec2:*", Condition={"Null": {"aws:TokenIssueTime": "true"}})),),
            context={"aws:TokenIssueTime": ("2024-01-01T00:00:00Z",)},
        ),
        id="aws-example-null-true-key-present",
    ),
    # OPERATORS: Null "false (the key exists and its value is not null)".
    pytest.param(
        Case(
            AIA,
            POOL,
            ALLOWED,
            identity=(policy(allow(AIA, Condition={"Null": {"aws:PrincipalTag/team": "false"}})),),
            context={"aws:PrincipalTag/team": ("auth",)},
            matched=("id0:#0",),
        ),
        id="null-false-key-present",
    ),
    # OPERATORS: "If the key is not present, evaluate the condition element as true" — but a
    # present key with IfExists is still compared.
    pytest.param(
        Case(
            AIA,
            POOL,
            IMPLICIT,
            identity=(
                policy(
                    allow(
                        AIA,
                        Condition={"StringEqualsIfExists": {"aws:RequestedRegion": "eu-west-1"}},
                    )
                ),
            ),
            context={"aws:RequestedRegion": ("us-east-1",)},
        ),
        id="ifexists-present-key-compared",
    ),
    # AWS example (MULTIVALUE): ForAllValues:StringEquals dynamodb:Attributes [ID, Message, Tags]:
    # a request for Message and Tags is allowed...
    pytest.param(
        Case(
            "dynamodb:GetItem",
            f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/Thread",
            ALLOWED,
            identity=(
                policy(
                    allow(
                        "dynamodb:GetItem",
                        "arn:aws:dynamodb:*:*:table/Thread",
                        Condition={
                            "ForAllValues:StringEquals": {
                                "dynamodb:Attributes": ["ID", "Message", "Tags"]
                            }
                        },
                    )
                ),
            ),
            context={"dynamodb:Attributes": ("ID", "Message", "Tags")},
            matched=("id0:#0",),
        ),
        id="aws-example-forallvalues-subset",
    ),
    # ... "if the user's request includes the UserName attribute, the request fails".
    pytest.param(
        Case(
            "dynamodb:GetItem",
            f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/Thread",
            IMPLICIT,
            identity=(
                policy(
                    allow(
                        "dynamodb:GetItem",
                        "arn:aws:dynamodb:*:*:table/Thread",
                        Condition={
                            "ForAllValues:StringEquals": {
                                "dynamodb:Attributes": ["ID", "Message", "Tags"]
                            }
                        },
                    )
                ),
            ),
            context={"dynamodb:Attributes": ("ID", "UserName")},
        ),
        id="aws-example-forallvalues-extra-value",
    ),
    # MULTIVALUE: ForAllValues "also returns true if there are no keys in the request".
    pytest.param(
        Case(
            "dynamodb:GetItem",
            f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/Thread",
            ALLOWED,
            identity=(
                policy(
                    allow(
                        "dynamodb:GetItem",
                        "arn:aws:dynamodb:*:*:table/Thread",
                        Condition={
                            "ForAllValues:StringEquals": {
                                "dynamodb:Attributes": ["ID", "Message", "Tags"]
                            }
                        },
                    )
                ),
            ),
            matched=("id0:#0",),
            unresolved=("dynamodb:Attributes",),
        ),
        id="forallvalues-absent-key-true",
    ),
    # AWS example (MULTIVALUE): Deny PutItem with ForAnyValue:StringEquals [ID, PostDateTime]:
    # updating PostDateTime and Message "the condition is true ... the request is denied".
    pytest.param(
        Case(
            "dynamodb:PutItem",
            f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/Thread",
            EXPLICIT,
            identity=(
                policy(allow("dynamodb:*")),
                policy(
                    deny(
                        "dynamodb:PutItem",
                        "arn:aws:dynamodb:*:*:table/Thread",
                        Condition={
                            "ForAnyValue:StringEquals": {
                                "dynamodb:Attributes": ["ID", "PostDateTime"]
                            }
                        },
                    )
                ),
            ),
            context={"dynamodb:Attributes": ("PostDateTime", "Message")},
            matched=("id1:#0",),
        ),
        id="aws-example-foranyvalue-deny-hit",
    ),
    # ... "PutItem with just the UserName attribute ... The condition returns false".
    pytest.param(
        Case(
            "dynamodb:PutItem",
            f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/Thread",
            ALLOWED,
            identity=(
                policy(allow("dynamodb:*")),
                policy(
                    deny(
                        "dynamodb:PutItem",
                        "arn:aws:dynamodb:*:*:table/Thread",
                        Condition={
                            "ForAnyValue:StringEquals": {
                                "dynamodb:Attributes": ["ID", "PostDateTime"]
                            }
                        },
                    )
                ),
            ),
            context={"dynamodb:Attributes": ("UserName",)},
            matched=("id0:#0",),
        ),
        id="aws-example-foranyvalue-deny-miss",
    ),
    # MULTIVALUE: ForAnyValue: "For no matching key or a null dataset, the condition returns
    # false."
    pytest.param(
        Case(
            "dynamodb:PutItem",
            "*",
            IMPLICIT,
            identity=(
                policy(
                    allow(
                        "dynamodb:PutItem",
                        Condition={"ForAnyValue:StringEquals": {"dynamodb:Attributes": ["ID"]}},
                    )
                ),
            ),
            unresolved=("dynamodb:Attributes",),
        ),
        id="foranyvalue-absent-key-false",
    ),
    # MULTIVALUE: set operators with a negated operator: ForAllValues:StringNotEquals is true when
    # no request value is among the policy values.
    pytest.param(
        Case(
            "dynamodb:PutItem",
            "*",
            ALLOWED,
            identity=(
                policy(
                    allow(
                        "dynamodb:PutItem",
                        Condition={
                            "ForAllValues:StringNotEquals": {
                                "dynamodb:Attributes": ["ID", "Secret"]
                            }
                        },
                    )
                ),
            ),
            context={"dynamodb:Attributes": ("Message", "Tags")},
            matched=("id0:#0",),
        ),
        id="forallvalues-negated",
    ),
    # OPERATORS: the operator list is closed; a statement with an operator IAM does not define
    # never applies (and the result says why).
    pytest.param(
        Case(
            AIA,
            POOL,
            IMPLICIT,
            identity=(
                policy(allow(AIA, Condition={"StringEqualz": {"aws:PrincipalTag/team": "a"}})),
            ),
            context={"aws:PrincipalTag/team": ("a",)},
            notes=1,
        ),
        id="unknown-operator-never-applies",
    ),
    # OPERATORS: "You can add IfExists to the end of any condition operator name except the Null
    # condition" — NullIfExists is not an operator.
    pytest.param(
        Case(
            AIA,
            POOL,
            IMPLICIT,
            identity=(
                policy(allow(AIA, Condition={"NullIfExists": {"aws:PrincipalTag/team": "true"}})),
            ),
            notes=1,
        ),
        id="null-ifexists-is-unknown",
    ),
    # ------------------------------------------------------------------ policy variables
    # VARIABLES: "IAM substitutes the user name from the current request for the ${aws:username}
    # variable" (aws:username is the IAM user's friendly name).
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::mybucket/home/David/notes.txt",
            ALLOWED,
            identity=(
                policy(allow("s3:GetObject", "arn:aws:s3:::mybucket/home/${aws:username}/*")),
            ),
            principal=USER,
            matched=("id0:#0",),
        ),
        id="variable-username-resolved",
    ),
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::mybucket/home/Bob/notes.txt",
            IMPLICIT,
            identity=(
                policy(allow("s3:GetObject", "arn:aws:s3:::mybucket/home/${aws:username}/*")),
            ),
            principal=USER,
        ),
        id="variable-username-other-user",
    ),
    # VARIABLES: "If you don't include the Version element and set it to an appropriate version
    # date, variables like ${aws:username} are treated as literal strings in the policy."
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::mybucket/home/David/notes.txt",
            IMPLICIT,
            identity=(
                policy(
                    allow("s3:GetObject", "arn:aws:s3:::mybucket/home/${aws:username}/*"),
                    version=None,
                ),
            ),
            principal=USER,
        ),
        id="variable-without-version-is-literal",
    ),
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::mybucket/home/${aws:username}/notes.txt",
            ALLOWED,
            identity=(
                policy(
                    allow("s3:GetObject", "arn:aws:s3:::mybucket/home/${aws:username}/*"),
                    version="2008-10-17",
                ),
            ),
            principal=USER,
            matched=("id0:#0",),
        ),
        id="variable-2008-version-matches-literally",
    ),
    # VARIABLES ("Policy variables with no value"): "If a variable that has no value in the
    # authorization context is used as part of the Resource ... the resource that includes a
    # policy variable with no value will not match any resource."
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::team-/notes.txt",
            IMPLICIT,
            identity=(
                policy(allow("s3:GetObject", "arn:aws:s3:::team-${aws:PrincipalTag/team}/*")),
            ),
            unresolved=("aws:PrincipalTag/team",),
        ),
        id="variable-no-value-resource-never-matches",
    ),
    # VARIABLES ("Specifying default values"): "For users without team tags, it sets a default
    # value of company-wide for the bucket name."
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::DOC-EXAMPLE-BUCKET-company-wide",
            ALLOWED,
            identity=(
                policy(
                    allow(
                        "s3:GetObject",
                        "arn:aws:s3:::DOC-EXAMPLE-BUCKET-${aws:PrincipalTag/team, 'company-wide'}",
                    )
                ),
            ),
            matched=("id0:#0",),
            # the tag was not supplied: a request with a team tag would name another bucket
            unresolved=("aws:PrincipalTag/team",),
        ),
        id="aws-example-variable-default-value",
    ),
    # ... "if a principal is tagged with team=yellow, they can access ... DOC-EXAMPLE-BUCKET-yellow".
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::DOC-EXAMPLE-BUCKET-yellow",
            ALLOWED,
            identity=(
                policy(
                    allow(
                        "s3:GetObject",
                        "arn:aws:s3:::DOC-EXAMPLE-BUCKET-${aws:PrincipalTag/team, 'company-wide'}",
                    )
                ),
            ),
            context={"aws:PrincipalTag/team": ("yellow",)},
            matched=("id0:#0",),
        ),
        id="aws-example-variable-tag-value",
    ),
    # VARIABLES ("Special characters"): "${*} - use where you need an * (asterisk) character" —
    # it is a literal asterisk, not a wildcard.
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::bucket/x",
            IMPLICIT,
            identity=(policy(allow("s3:GetObject", "arn:aws:s3:::bucket/${*}")),),
        ),
        id="variable-escaped-star-is-literal",
    ),
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::bucket/*?$",
            ALLOWED,
            identity=(policy(allow("s3:GetObject", "arn:aws:s3:::bucket/${*}${?}${$}")),),
            matched=("id0:#0",),
        ),
        id="variable-escapes-match-themselves",
    ),
    # AWS example (OPERATORS, String): StringLike s3:prefix ["", "home/", "home/${aws:username}/"].
    pytest.param(
        Case(
            "s3:ListBucket",
            "arn:aws:s3:::BUCKET-NAME",
            ALLOWED,
            identity=(
                policy(
                    allow(
                        "s3:ListBucket",
                        "arn:aws:s3:::BUCKET-NAME",
                        Condition={
                            "StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/"]}
                        },
                    )
                ),
            ),
            principal=USER,
            context={"s3:prefix": ("home/David/",)},
            matched=("id0:#0",),
        ),
        id="aws-example-variable-in-condition",
    ),
    # AWS example (VARIABLES, "Policy variables with no value"): Deny GetObject when
    # s3:ExistingObjectTag/Team StringNotEquals ${aws:PrincipalTag/Team}: "Inverted condition
    # operators like StringNotEquals ... do match against a null value" — an untagged principal
    # is denied.
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::example-bucket/doc",
            EXPLICIT,
            identity=(
                policy(allow("s3:*")),
                policy(
                    deny(
                        "s3:GetObject",
                        "arn:aws:s3:::example-bucket/*",
                        Condition={
                            "StringNotEquals": {
                                "s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"
                            }
                        },
                    )
                ),
            ),
            context={"s3:ExistingObjectTag/Team": ("blue",)},
            matched=("id1:#0",),
            unresolved=("aws:PrincipalTag/Team",),
        ),
        id="aws-example-variable-no-value-negated-matches",
    ),
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::example-bucket/doc",
            ALLOWED,
            identity=(
                policy(allow("s3:*")),
                policy(
                    deny(
                        "s3:GetObject",
                        "arn:aws:s3:::example-bucket/*",
                        Condition={
                            "StringNotEquals": {
                                "s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"
                            }
                        },
                    )
                ),
            ),
            context={"s3:ExistingObjectTag/Team": ("blue",), "aws:PrincipalTag/Team": ("blue",)},
            matched=("id0:#0",),
        ),
        id="aws-example-variable-tag-matches",
    ),
    # ------------------------------------------------------------------ REQUEST vs OPEN mode
    # OPEN: "an Allow whose conditions are unknown makes a deny conditional".
    pytest.param(
        Case(
            AIA,
            POOL,
            IMPLICIT,
            identity=(policy(allow(AIA, Condition={"StringEquals": {"aws:SourceVpc": "vpc-1"}})),),
            mode=OPEN,
            unresolved=("aws:SourceVpc",),
            conditional=True,
        ),
        id="open-unknown-allow-makes-deny-conditional",
    ),
    # OPEN: "a Deny whose conditions are unknown makes an allow conditional" (absent key: the
    # positive operator is false, so AWS would allow this request).
    pytest.param(
        Case(
            AIA,
            POOL,
            ALLOWED,
            identity=(
                policy(allow(AIA)),
                policy(deny(AIA, Condition={"StringEquals": {"aws:SourceVpc": "vpc-bad"}})),
            ),
            mode=OPEN,
            matched=("id0:#0",),
            unresolved=("aws:SourceVpc",),
            conditional=True,
        ),
        id="open-unknown-deny-makes-allow-conditional",
    ),
    # OPEN and a negated operator on the absent key: AWS's answer (Deny applies) is kept, and a
    # value exists that would allow the request.
    pytest.param(
        Case(
            AIA,
            POOL,
            EXPLICIT,
            identity=(
                policy(allow(AIA)),
                policy(deny(AIA, Condition={"StringNotEquals": {"aws:SourceVpc": "vpc-1"}})),
            ),
            mode=OPEN,
            matched=("id1:#0",),
            unresolved=("aws:SourceVpc",),
            conditional=True,
        ),
        id="open-negated-absent-deny-conditional",
    ),
    # REQUEST mode: the same request is simply denied; the key is still listed.
    pytest.param(
        Case(
            AIA,
            POOL,
            EXPLICIT,
            identity=(
                policy(allow(AIA)),
                policy(deny(AIA, Condition={"StringNotEquals": {"aws:SourceVpc": "vpc-1"}})),
            ),
            matched=("id1:#0",),
            unresolved=("aws:SourceVpc",),
        ),
        id="request-negated-absent-deny",
    ),
    # OPEN: an unconditional Allow decides; a conditional one the decision did not depend on.
    pytest.param(
        Case(
            AIA,
            POOL,
            ALLOWED,
            identity=(
                policy(
                    allow(AIA),
                    allow(AIA, Condition={"StringEquals": {"aws:SourceVpc": "vpc-1"}}),
                ),
            ),
            mode=OPEN,
            matched=("id0:#0",),
        ),
        id="open-unconditional-allow-not-conditional",
    ),
    # OPEN: a Deny with unknown conditions and no Allow: denied either way (explicitly or not);
    # the decision's kind depends on the key, whether it is allowed does not.
    pytest.param(
        Case(
            AIA,
            POOL,
            IMPLICIT,
            identity=(policy(deny(AIA, Condition={"StringEquals": {"aws:SourceVpc": "vpc-1"}})),),
            mode=OPEN,
            unresolved=("aws:SourceVpc",),
        ),
        id="open-unknown-deny-without-allow",
    ),
    # CONDITION_KEYS (aws:PrincipalArn): "For IAM roles, the request context returns the ARN of
    # the role" — derived from the principal, so nothing is unresolved.
    pytest.param(
        Case(
            AIA,
            POOL,
            ALLOWED,
            identity=(policy(allow(AIA, Condition={"ArnEquals": {"aws:PrincipalArn": ROLE_ARN}})),),
            mode=OPEN,
            matched=("id0:#0",),
        ),
        id="derived-principal-arn",
    ),
    # CONDITION_KEYS (aws:PrincipalServiceName): "present in the request when the call is made by
    # an AWS service principal".
    pytest.param(
        Case(
            "sts:AssumeRole",
            LOGS_ROLE_ARN,
            ALLOWED,
            identity=None,
            resource_policy=policy(
                allow(
                    "sts:AssumeRole",
                    None,
                    Principal="*",
                    Condition={
                        "StringEquals": {"aws:PrincipalServiceName": "cognito-idp.amazonaws.com"}
                    },
                )
            ),
            principal=COGNITO,
            mode=OPEN,
            matched=("resource:#0",),
        ),
        id="derived-principal-service-name",
    ),
    # CONDITION_KEYS (aws:username): "requests that are made using the AWS account root user or
    # IAM roles do not include this key" — known to be absent for a role, not unknown.
    pytest.param(
        Case(
            AIA,
            POOL,
            ALLOWED,
            identity=(policy(allow(AIA, Condition={"Null": {"aws:username": "true"}})),),
            mode=OPEN,
            matched=("id0:#0",),
        ),
        id="derived-username-absent-for-role",
    ),
    # OPEN: a resource variable that no value could make match (another service's ARN) leaves
    # the answer certain.
    pytest.param(
        Case(
            AIA,
            POOL,
            IMPLICIT,
            identity=(policy(allow("*", "arn:aws:s3:::home/${aws:PrincipalTag/team}/*")),),
            mode=OPEN,
        ),
        id="open-resource-variable-cannot-match",
    ),
    # OPEN: ... one that some value could make match leaves it conditional.
    pytest.param(
        Case(
            "s3:GetObject",
            "arn:aws:s3:::home/auth/x",
            IMPLICIT,
            identity=(policy(allow("*", "arn:aws:s3:::home/${aws:PrincipalTag/team}/*")),),
            mode=OPEN,
            unresolved=("aws:PrincipalTag/team",),
            conditional=True,
        ),
        id="open-resource-variable-could-match",
    ),
    # ------------------------------------------------------------------ one layer (probes)
    # evaluate_policies: one layer, "an explicit deny overrides an explicit allow" (EVAL).
    pytest.param(
        Case(
            AIA,
            POOL,
            EXPLICIT,
            identity=(policy(allow(AIA)), policy(deny(AIA))),
            layer=True,
            matched=("id1:#0",),
        ),
        id="layer-deny-beats-allow",
    ),
    pytest.param(
        Case(
            AIA,
            POOL,
            ALLOWED,
            identity=(policy(allow("cognito-idp:Admin*")),),
            layer=True,
            matched=("id0:#0",),
        ),
        id="layer-allow",
    ),
    # A probe on a trust statement names principals: another principal is not covered (PRINCIPAL).
    pytest.param(
        Case(
            "sts:AssumeRole",
            LOGS_ROLE_ARN,
            IMPLICIT,
            identity=(COGNITO_TRUST,),
            layer=True,
            principal=LAMBDA,
        ),
        id="layer-principal-checked",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_evaluate(case: Case) -> None:
    got, want = outcome(case, run(case))
    assert got == want


def test_table_is_large_and_unique() -> None:
    """The brief asks for at least 80 documented cases, each with its own id."""
    ids = [param.id for param in CASES]
    assert len(ids) >= 80
    assert len(set(ids)) == len(ids)
