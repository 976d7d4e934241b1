import { App, CliCredentialsStackSynthesizer, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
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
    [
      `objectLockRetention: governance(Duration.days(4000))`,
      {
        trail: AuditTrail.create({
          objectExpiration: Duration.days(3650),
          objectLockRetention: s3.ObjectLockRetention.governance(Duration.days(4000)),
        }),
      },
      /invalid `objectLockRetention`: received 4000 days; allowed: a whole number of days from 1 to 3650\./,
    ],
    [
      `objectLockRetention: compliance(Duration.days(400)) with the default objectExpiration`,
      {
        trail: AuditTrail.create({
          objectLockRetention: s3.ObjectLockRetention.compliance(Duration.days(400)),
        }),
      },
      /invalid `objectLockRetention`: received 400 days; allowed: at most `objectExpiration` \(365 days\); a log file would expire while still locked .* Raise `objectExpiration` or shorten the retention\./,
    ],
    [
      `objectLockRetention: governance(Duration.days(731)) over objectExpiration: Duration.days(730)`,
      {
        trail: AuditTrail.create({
          objectExpiration: Duration.days(730),
          objectLockRetention: s3.ObjectLockRetention.governance(Duration.days(731)),
        }),
      },
      /invalid `objectLockRetention`: received 731 days; allowed: at most `objectExpiration` \(730 days\)/,
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
      /the filter pattern of the AccessDenied metric would be about \d+ characters for 8 name prefixes, 8 vault keys, 0 rotation roles and 0 break-glass principals; CloudWatch Logs allows 1024\. Split the vaults across several SecretsAudit constructs .* or give the vaults shorter `namePrefix`es\./,
    );
  });

  /** Six vaults sharing one key, each with its own break-glass role: only the break-glass patterns grow much. */
  function sixBreakGlassRoles(role: (stack: Stack, i: number) => iam.IRole): Stack {
    const stack = newStack();
    const encryptionKey = new kms.Key(stack, 'SharedKey', { enableKeyRotation: true });
    const vaults = Array.from(
      { length: 6 },
      (_, i) =>
        new SecretsVault(stack, `Vault${i}`, {
          namePrefix: `a${i}`,
          encryptionKey,
          breakGlass: role(stack, i),
        }),
    );
    new SecretsAudit(stack, 'Audit', { vaults });
    return stack;
  }

  test('the length check counts a break-glass ARN known at deploy as a whole ARN, not as a key id', () => {
    const inStack = sixBreakGlassRoles(
      (stack, i) => new iam.Role(stack, `BreakGlass${i}`, { assumedBy: new iam.AccountRootPrincipal() }),
    );
    // Six role ARNs counted as key ids (36 characters) would fit; counted as ARNs (128) they do not.
    expect(() => Template.fromStack(inStack)).toThrow(
      /the filter pattern of the BreakGlassUsed metric would be about 1\d{3} characters for 6 name prefixes, 1 vault keys, 0 rotation roles and 6 break-glass principals; CloudWatch Logs allows 1024/,
    );
    const literal = sixBreakGlassRoles((stack, i) =>
      iam.Role.fromRoleArn(stack, `BreakGlass${i}`, `arn:aws:iam::123456789012:role/bg-${i}`),
    );
    expect(() => Template.fromStack(literal)).not.toThrow();
  });

  test('a typical audit of three rotating vaults, each with a break-glass role, fits every pattern', () => {
    const stack = newStack();
    const vaults = Array.from({ length: 3 }, (_, i) => {
      const breakGlass = iam.Role.fromRoleArn(
        stack,
        `BreakGlass${i}`,
        `arn:aws:iam::123456789012:role/break-glass-${i}`,
      );
      const v = new SecretsVault(stack, `Vault${i}`, { namePrefix: `team/app${i}`, breakGlass });
      v.addSecret('Db');
      return v;
    });
    new SecretsAudit(stack, 'Audit', { vaults });
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  /** A vault that brings its own key and has no secret yet: only the vault itself checks its break-glass principal. */
  function uncheckedVault(stack: Stack, breakGlass: iam.IPrincipal): SecretsVault {
    const encryptionKey = kms.Key.fromKeyArn(
      stack,
      'Key',
      'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    );
    return new SecretsVault(stack, 'Vault', { namePrefix: 'app', encryptionKey, breakGlass });
  }

  // An audit could not tell a whole account's or a service's calls from an emergency: every call
  // would alarm. The vault refuses such a break-glass principal itself, even with a key of its own and
  // no secret yet, so no audit ever watches one.
  test('a vault whose break-glass principal is a whole account is refused before any audit watches it', () => {
    const stack = newStack();
    expect(() => uncheckedVault(stack, new iam.AccountRootPrincipal())).toThrow(
      /^SecretsVault Audited\/Vault: invalid `breakGlass`: received AccountRootPrincipal\(\); an account principal lets in every principal of the account: name the roles or users instead\.$/,
    );
  });

  test('a vault whose break-glass principal is a service is refused too', () => {
    const stack = newStack();
    expect(() => uncheckedVault(stack, new iam.ServicePrincipal('lambda.amazonaws.com'))).toThrow(
      /^SecretsVault Audited\/Vault: invalid `breakGlass`: received ServicePrincipal\(lambda\.amazonaws\.com\); a service principal is not allowed here: the break-glass principal is a role people assume in an emergency\./,
    );
  });

  // From JavaScript (or through a cast) a vault's break-glass principal can be swapped after the vault
  // checked it: the audit checks it again, against the prop the vault came through.
  test.each([
    ['vaults', (stack: Stack, v: SecretsVault) => new SecretsAudit(stack, 'Audit', { vaults: [v] })],
    ['watch', (stack: Stack, v: SecretsVault) => new SecretsAudit(stack, 'Audit').watch(v)],
  ] as const)(
    'a break-glass principal swapped for a whole account after the vault checked it: refused (%s)',
    (prop, watch) => {
      const stack = newStack();
      const v = vault(stack, 'Vault', 'app');
      (v as { breakGlass?: iam.IPrincipal }).breakGlass = new iam.AccountRootPrincipal();
      expect(() => watch(stack, v)).toThrow(
        `SecretsAudit Audited/Audit: invalid \`${prop}\`: received AccountRootPrincipal(); an account principal lets in every principal of the account: name the roles or users instead.`,
      );
    },
  );

  test('a stack without the default synthesizer must name the deployment role the trail buckets exempt', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Legacy', {
      env: { account: '123456789012', region: 'eu-west-1' },
      synthesizer: new CliCredentialsStackSynthesizer(),
    });
    const deploymentRole = iam.Role.fromRoleArn(stack, 'Deployer', 'arn:aws:iam::123456789012:role/deployer');
    const watched = new SecretsVault(stack, 'Vault', { namePrefix: 'app', deploymentRole });
    expect(() => new SecretsAudit(stack, 'Audit', { vaults: [watched] })).toThrow(
      /^SecretsAudit Legacy\/Audit: invalid `deploymentRole`: received undefined; stack Legacy does not use DefaultStackSynthesizer, so there is no CloudFormation execution role to exempt from the policies’ guards: pass `deploymentRole`/,
    );
    expect(() => new SecretsAudit(stack, 'Audited', { vaults: [watched], deploymentRole })).not.toThrow();
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
    // The audit's own key and the shared key, each by request and by response.
    expect(keyRule.Properties.EventPattern.detail.$or).toHaveLength(4);
    const keyRef = JSON.stringify(stack.resolve(first.encryptionKey.keyId));
    const filters = Object.values(
      Template.fromStack(stack).findResources('AWS::Logs::MetricFilter'),
    ) as any[];
    for (const filter of filters) {
      const pattern = JSON.stringify(filter.Properties.FilterPattern);
      const name = filter.Properties.MetricTransformations[0].MetricName;
      // The shared key (a token) is listed once: twice by the management pattern (request, response).
      const expected =
        name === 'KeyManagementCall' ? 2 : name === 'AccessDenied' || name === 'KeyMaterialRotated' ? 1 : 0;
      expect({ name, count: pattern.split(keyRef).length - 1 }).toEqual({ name, count: expected });
    }
  });
});
