/**
 * The benchmark's baseline: the smallest four-step rotation handler (a generated string, AWS template
 * protocol, SDK v3, no Powertools, no validation beyond the stage checks). Not shipped; bench/rotation.ts
 * bundles it exactly as it bundles the real handler, so size and init time are compared as ratios.
 */
import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';

const client = new SecretsManagerClient({});

interface Event {
  Step: string;
  SecretId: string;
  ClientRequestToken: string;
}

export const handler = async ({ Step, SecretId, ClientRequestToken: token }: Event): Promise<void> => {
  const meta = await client.send(new DescribeSecretCommand({ SecretId }));
  const stages = meta.VersionIdsToStages ?? {};
  if (!meta.RotationEnabled || !stages[token]) throw new Error('not rotatable');
  if (stages[token].includes('AWSCURRENT')) return;
  if (!stages[token].includes('AWSPENDING')) throw new Error('not pending');
  if (Step === 'createSecret') {
    await client.send(new GetSecretValueCommand({ SecretId, VersionStage: 'AWSCURRENT' }));
    try {
      await client.send(
        new GetSecretValueCommand({ SecretId, VersionId: token, VersionStage: 'AWSPENDING' }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      const { RandomPassword } = await client.send(
        new GetRandomPasswordCommand({ ExcludeCharacters: '/@"\'\\' }),
      );
      await client.send(
        new PutSecretValueCommand({
          SecretId,
          ClientRequestToken: token,
          SecretString: RandomPassword,
          VersionStages: ['AWSPENDING'],
        }),
      );
    }
  } else if (Step === 'finishSecret') {
    const current = Object.keys(stages).find((id) => stages[id].includes('AWSCURRENT'));
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: token,
        RemoveFromVersionId: current,
      }),
    );
  } else if (Step !== 'setSecret' && Step !== 'testSecret') {
    throw new Error('unknown step');
  }
};
