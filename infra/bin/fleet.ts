#!/usr/bin/env node
/**
 * CDK app entry: `npx aws-cdk deploy -c imageUri=<uri> [-c shardCount=4 ...]` from infra/ (see docs/deploy-aws.md).
 * Node runs this TypeScript directly (type stripping), like the rest of the project.
 */
import { App } from 'aws-cdk-lib';
import { FleetStack } from '../lib/fleet-stack.ts';
import { fleetParams } from '../lib/params.ts';
import { FleetRepositoryStack } from '../lib/repository-stack.ts';

const app = new App();
const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
const stackName = (app.node.tryGetContext('stackName') as string | undefined) ?? 'OpenClawFleet';

new FleetRepositoryStack(app, `${stackName}Repository`, { env });
if (app.node.tryGetContext('imageUri') === undefined) {
  // Lets `cdk deploy OpenClawFleetRepository` run before there is an image to deploy.
  console.error(`note: ${stackName} is not synthesized until you pass -c imageUri=<image> (docs/deploy-aws.md)`);
} else {
  new FleetStack(app, stackName, { env, params: fleetParams((key) => app.node.tryGetContext(key)) });
}
