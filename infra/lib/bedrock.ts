/** Geography prefixes of Bedrock cross-region inference profile ids (us.anthropic…, eu.amazon…, global.…). */
const PROFILE_PREFIX = /^(us|us-gov|eu|apac|jp|au|ca|global)\.(.+)$/;

export interface ArnParts {
  partition: string;
  region: string;
  account: string;
}

/**
 * The resources a role must be allowed to invoke for one model id. A cross-region inference profile needs the
 * profile itself and the foundation model in every region the profile may route to (hence region `*`, which also
 * matches the empty region of global profiles).
 */
export function bedrockModelArns(modelId: string, at: ArnParts): string[] {
  if (modelId.startsWith('arn:')) return [modelId];
  const profile = PROFILE_PREFIX.exec(modelId);
  if (!profile) return [`arn:${at.partition}:bedrock:${at.region}::foundation-model/${modelId}`];
  return [
    `arn:${at.partition}:bedrock:${at.region}:${at.account}:inference-profile/${modelId}`,
    `arn:${at.partition}:bedrock:*::foundation-model/${profile[2]}`,
  ];
}

/** What the Converse and ConverseStream calls are authorised against (there is no separate Converse action). */
export const BEDROCK_INVOKE_ACTIONS = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'];
