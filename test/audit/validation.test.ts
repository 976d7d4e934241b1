import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SecretsVault } from '../../lib';
import { AuditTrail, SecretsAudit, SecretsAuditProps } from '../../lib/secrets-audit';

function newStack(): Stack {
  const app = new App({ builtinCloudFormationValidation: false });
  return new Stack(app, 'Audited', { env: { account: '123456789012', region: 'eu-west-1' } });
}

/** Vaults without secrets: no rotation function to build, so these cases stay fast. */
function vault(stack: Stack, id: string, namePrefix: string): SecretsVault {
  return new SecretsVault(stack, id, { namePrefix });
}

function audit(props: SecretsAuditProps): () => SecretsAudit {
  return () => {
    const stack = newStack();
    return new SecretsAudit(stack, 'Audit', { vaults: [vault(stack, 'Vault', 'app')], ...props });
  };
}

describe('SecretsAudit refuses invalid input, naming the prop, the value and what is allowed', () => {
  test.each([
    [
      `metricNamespace: 'AWS/SecretsManager'`,
      { metricNamespace: 'AWS/SecretsManager' },
      /invalid `metricNamespace`: received "AWS\/SecretsManager"; allowed: 1 to 255 .*not starting with `AWS\/`/,
    ],
    [`metricNamespace: ''`, { metricNamespace: '' }, /invalid `metricNamespace`: received ""; allowed/],
    [
      `metricNamespace: 'team"x'`,
      { metricNamespace: 'team"x' },
      /invalid `metricNamespace`: received "team\\"x"; allowed/,
    ],
    [
      `rotationFailureThreshold: 0`,
      { rotationFailureThreshold: 0 },
      /invalid `rotationFailureThreshold`: received 0; allowed: a whole number of events, 1 or more/,
    ],
    [
      `rotationFunctionErrorThreshold: 1.5`,
      { rotationFunctionErrorThreshold: 1.5 },
      /invalid `rotationFunctionErrorThreshold`: received 1.5; allowed: a whole number/,
    ],
    [
      `accessDeniedThreshold: -1`,
      { accessDeniedThreshold: -1 },
      /invalid `accessDeniedThreshold`: received -1; allowed/,
    ],
    [
      `destructiveChangeThreshold: Number.NaN`,
      { destructiveChangeThreshold: Number.NaN },
      /invalid `destructiveChangeThreshold`: received NaN; allowed/,
    ],
    [
      `alarmPeriod: Duration.seconds(30)`,
      { alarmPeriod: Duration.seconds(30) },
      /invalid `alarmPeriod`: received 30 seconds; allowed: a whole number of minutes from 1 minute to 1 day/,
    ],
    [
      `alarmPeriod: Duration.seconds(90)`,
      { alarmPeriod: Duration.seconds(90) },
      /invalid `alarmPeriod`: received 1 minute 30 seconds; allowed/,
    ],
    [
      `alarmPeriod: Duration.days(2)`,
      { alarmPeriod: Duration.days(2) },
      /invalid `alarmPeriod`: received 2 days; allowed/,
    ],
    [
      `alarmEmail: 'secops'`,
      { alarmEmail: 'secops' },
      /invalid `alarmEmail`: received "secops"; allowed: one email address/,
    ],
    [
      `alarmEmail: 'a@b.co, c@d.co'`,
      { alarmEmail: 'a@b.co, c@d.co' },
      /invalid `alarmEmail`: received "a@b.co, c@d.co"; allowed/,
    ],
    [
      `dashboardName: 'secrets audit'`,
      { dashboardName: 'secrets audit' },
      /invalid `dashboardName`: received "secrets audit"; allowed: 1 to 255 letters, digits, _ and -/,
    ],
    [
      `objectExpiration: Duration.days(0)`,
      { trail: AuditTrail.create({ objectExpiration: Duration.days(0) }) },
      /invalid `objectExpiration`: received 0 days?; allowed: a whole number of days from 1 to 3650/,
    ],
    [
      `objectExpiration: Duration.hours(36)`,
      { trail: AuditTrail.create({ objectExpiration: Duration.hours(36) }) },
      /invalid `objectExpiration`: received 1 day 12 hours; allowed/,
    ],
    [
      `objectExpiration: Duration.days(3651)`,
      { trail: AuditTrail.create({ objectExpiration: Duration.days(3651) }) },
      /invalid `objectExpiration`: received 3651 days; allowed/,
    ],
    [
      `accessLogExpiration: Duration.days(4000)`,
      { trail: AuditTrail.create({ accessLogExpiration: Duration.days(4000) }) },
      /invalid `accessLogExpiration`: received 4000 days; allowed/,
    ],
  ] as [string, SecretsAuditProps, RegExp][])('%s', (_label, props, message) => {
    expect(audit(props)).toThrow(message);
  });

  test('the message names the construct', () => {
    expect(audit({ accessDeniedThreshold: 0 })).toThrow(/^SecretsAudit Audited\/Audit: /);
  });

  test('an audit that watches no vault fails at synth and says how to watch one', () => {
    const stack = newStack();
    new SecretsAudit(stack, 'Audit');
    expect(() => Template.fromStack(stack)).toThrow(
      /no vault is watched; pass `vaults` or call `watch\(vault\)`/,
    );
  });

  test('too many vaults for one filter pattern fail at synth and say what to do', () => {
    const stack = newStack();
    const vaults = Array.from({ length: 8 }, (_, i) =>
      vault(stack, `Vault${i}`, `department-${i}/application-with-a-long-name`),
    );
    new SecretsAudit(stack, 'Audit', { vaults });
    expect(() => Template.fromStack(stack)).toThrow(
      /the filter pattern of the AccessDenied metric would be about \d+ characters for 8 name prefixes and 8 keys; CloudWatch Logs allows 1024\. Split the vaults across several SecretsAudit constructs .* or give the vaults shorter `namePrefix`es\./,
    );
  });

  test('a shared key and a vault watched twice add nothing twice', () => {
    const stack = newStack();
    const first = vault(stack, 'First', 'team/a');
    const second = new SecretsVault(stack, 'Second', {
      namePrefix: 'team/b',
      encryptionKey: first.encryptionKey,
    });
    const audited = new SecretsAudit(stack, 'Audit', { vaults: [first, second] });
    audited.watch(first);
    expect(audited.vaults).toEqual([first, second]);
    const keyRule = Object.values(Template.fromStack(stack).findResources('AWS::Events::Rule')).find(
      (r: any) => r.Properties.EventPattern.source[0] === 'aws.kms',
    ) as any;
    expect(keyRule.Properties.EventPattern.detail.requestParameters.keyId).toHaveLength(1);
  });
});
