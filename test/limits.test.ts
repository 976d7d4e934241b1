import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  RotationFunction,
  RotationStrategy,
  SecretContent,
  SecretReaderRole,
  SecretRotationSchedule,
  SecretsVault,
  VaultKey,
  VaultSecret,
} from '../lib';
import { deployedLength } from '../lib/private/size';
import { newStack } from './support/stack';

/**
 * What would grow past an AWS size limit fails at synth with what to do, not at deploy: Lambda's 4 KB
 * of environment, IAM's 6,144-character managed policy.
 */
describe('size limits', () => {
  test('deployedLength counts references as ARNs and joins as their parts', () => {
    expect(deployedLength('abc')).toBe(3);
    expect(deployedLength({ Ref: 'X' })).toBe(100);
    expect(deployedLength({ 'Fn::Join': [',', ['ab', { Ref: 'X' }]] })).toBe(103);
    expect(deployedLength({ A: 'b' })).toBe(2 + 1 + 4 + 1);
  });

  test('a vault whose secrets all differ in PasswordOptions outgrows the function environment', () => {
    const { app, stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
    for (let i = 0; i < 20; i++) {
      vault.addSecret(`S${i}`, { content: SecretContent.generatedString({ length: 20 + i }) });
    }
    expect(() => app.synth()).toThrow(
      /RotationFunction Test\/Vault\/Rotation: its environment would take about \d+ bytes, over Lambda's 4096\. It holds 20 rotation profiles .* Give secrets the same PasswordOptions/,
    );
  });

  test('twenty secrets with the same options share one profile and fit', () => {
    const { app, stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
    for (let i = 0; i < 20; i++)
      vault.addSecret(`S${i}`, { content: SecretContent.generatedString({ length: 40 }) });
    expect(() => app.synth()).not.toThrow();
  });

  test('a standalone function listing secret by secret says to serve them by prefix', () => {
    const { app, stack } = newStack();
    const key = new VaultKey(stack, 'Key');
    const rotationFunction = new RotationFunction(stack, 'Rotation');
    for (let i = 0; i < 45; i++) {
      new VaultSecret(stack, `S${i}`, {
        encryptionKey: key,
        rotationFunction,
        rotation: SecretRotationSchedule.rate(Duration.days(30)),
        rotationStrategy: RotationStrategy.generatedString(),
      });
    }
    expect(() => app.synth()).toThrow(/and 45 secret ARNs\. .*serve them by name prefix/);
  });

  test('a reader role granted secret by secret outgrows its managed policy, and says to grant the vault', () => {
    const { app, stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
    const secrets = Array.from({ length: 40 }, (_, i) => vault.addSecret(`S${i}`));
    new SecretReaderRole(stack, 'Reader', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      secrets,
    });
    expect(() => app.synth()).toThrow(
      /Test\/Reader: its managed policy would take about \d+ characters, over IAM's limit of 6144\. Grant whole vaults \(vault\.grantRead\(role\), vault\.addReaderRole\)/,
    );
  });

  test('a role that reads the whole vault stays small however many secrets it holds', () => {
    const { app, stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
    for (let i = 0; i < 40; i++) vault.addSecret(`S${i}`);
    vault.addReaderRole('Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    expect(() => app.synth()).not.toThrow();
  });
});
