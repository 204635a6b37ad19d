#!/usr/bin/env node
// iam-audit fixture app: a legacy pool in one stack, the import pool with its migration trigger in
// another (cross-stack reference), an SMS role made by CDK for SMS MFA, and the CSV import logs role
// in a nested stack.
import * as cdk from "aws-cdk-lib";
import { LegacyStack } from "../lib/legacy";
import { ImportStack } from "../lib/import";

const app = new cdk.App();
const env = { account: "111122223333", region: "eu-west-1" };
const legacy = new LegacyStack(app, "LegacyUsers", { env });
new ImportStack(app, "UserImport", { env, legacyPool: legacy.pool });
