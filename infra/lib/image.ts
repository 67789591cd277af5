import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';

const ECR_URI = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)(?::([^@]+)|@(sha256:[a-f0-9]{64}))?$/;

/**
 * The container image for an image URI. An ECR URI becomes a repository reference, so that CDK grants the task
 * execution role the pull permissions; anything else (Docker Hub, GHCR) is pulled as a public image.
 */
export function containerImage(scope: Construct, id: string, uri: string): ecs.ContainerImage {
  const m = ECR_URI.exec(uri);
  if (!m) return ecs.ContainerImage.fromRegistry(uri);
  const [, account, region, name, tag, digest] = m;
  const partition = uri.includes('.amazonaws.com.cn/') ? 'aws-cn' : 'aws';
  const repository = ecr.Repository.fromRepositoryAttributes(scope, id, {
    repositoryName: name!,
    repositoryArn: `arn:${partition}:ecr:${region}:${account}:repository/${name}`,
  });
  return ecs.ContainerImage.fromEcrRepository(repository, digest ?? tag ?? 'latest');
}
