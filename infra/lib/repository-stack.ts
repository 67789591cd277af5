import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type { Construct } from 'constructs';

/** The ECR repository for the fleet image, deployed once before the fleet stack (which needs an image to run). */
export class FleetRepositoryStack extends Stack {
  readonly repository: ecr.Repository;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.repository = new ecr.Repository(this, 'Repository', {
      repositoryName: 'open-claw-fleet',
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ description: 'keep the last 20 images', maxImageCount: 20 }],
    });
    new CfnOutput(this, 'RepositoryUri', { value: this.repository.repositoryUri });
  }
}
