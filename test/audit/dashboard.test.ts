import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SecretsVault } from '../../lib';
import { SecretsAudit } from '../../lib/secrets-audit';
import { STEP_NAMES } from '../../lambda/rotation/event';
import { METRICS as ROTATION_EMF_METRICS } from '../../lambda/rotation/rotate';
import { ROTATION_METRICS_NAMESPACE, ROTATION_STEP_METRICS, ROTATION_STEPS } from '../../lib/secrets-audit';
import { AuditedStack, auditedStack, resolveCfn, VAULT_KEY_ID } from './support';

interface Widget {
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Record<string, any>;
}

/** The dashboard body, with every reference resolved to the referenced resource's logical id. */
function dashboardOf(template: Template, refs: Record<string, string> = {}): { widgets: Widget[] } {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as any[];
  expect(dashboards).toHaveLength(1);
  const body = resolveCfn(dashboards[0].Properties.DashboardBody, refs);
  expect(typeof body).toBe('string');
  return JSON.parse(body as string);
}

/** Ref of each log group resolves to its name, so queries can be compared with the template's. */
function logGroupNames(template: Template): Record<string, string> {
  return Object.fromEntries(
    Object.entries(template.findResources('AWS::Logs::LogGroup'))
      .filter(([, r]: [string, any]) => typeof r.Properties.LogGroupName === 'string')
      .map(([id, r]: [string, any]) => [id, r.Properties.LogGroupName]),
  );
}

const SEARCH = /^SEARCH\('\{"([^"]+)",(\w+)\} MetricName="(\w+)"', '(\w+)', (\d+)\)$/;

describe('the audit dashboard', () => {
  let audited: AuditedStack;
  let template: Template;
  let widgets: Widget[];
  let refs: Record<string, string>;

  beforeAll(() => {
    audited = auditedStack();
    template = audited.template;
    const keyRef = audited.stack.resolve(audited.vault.encryptionKey.keyId) as { Ref: string };
    refs = { ...logGroupNames(template), [keyRef.Ref]: VAULT_KEY_ID };
    widgets = dashboardOf(template, refs).widgets;
  });

  test('is laid out on the 24-column grid without overlaps', () => {
    const cells = new Set<string>();
    for (const w of widgets) {
      expect(w.x + w.width).toBeLessThanOrEqual(24);
      for (let x = w.x; x < w.x + w.width; x++) {
        for (let y = w.y; y < w.y + w.height; y++) {
          const cell = `${x},${y}`;
          expect(cells.has(cell)).toBe(false);
          cells.add(cell);
        }
      }
    }
  });

  test('every row starts with a text panel that says what it means and what to do', () => {
    const rows = [...new Set(widgets.map((w) => w.y))].sort((a, b) => a - b);
    for (const y of rows) {
      const first = widgets.filter((w) => w.y === y).sort((a, b) => a.x - b.x)[0];
      if (first.type === 'alarm') continue;
      expect(first.type).toBe('text');
    }
    const sections = widgets.filter((w) => w.type === 'text' && w.properties.markdown.startsWith('## '));
    expect(sections.map((w) => w.properties.markdown.split('\n')[0])).toEqual([
      '## Secret reads',
      '## Who reads',
      '## Rotations',
      '## Keys and policies',
      '## Rotation function',
      '## Access denied',
    ]);
    for (const section of sections) {
      expect(section.properties.markdown).toMatch(/\*\*[^*]+\*\*/);
    }
  });

  test('its alarm panel shows every alarm of the audit, the break-glass alarm included', () => {
    const alarmIds = Object.keys(template.findResources('AWS::CloudWatch::Alarm')).sort();
    const [panel] = widgets.filter((w) => w.type === 'alarm');
    expect(panel.properties.alarms.map((a: string) => a.replace(/^<(.*)\.Arn>$/, '$1')).sort()).toEqual(
      alarmIds,
    );
  });

  test('graphs only metrics the stack publishes: its metric filters, the rotation functions and their EMF metrics', () => {
    const filterMetrics = new Map<string, string[]>();
    for (const f of Object.values(template.findResources('AWS::Logs::MetricFilter')) as any[]) {
      const t = f.Properties.MetricTransformations[0];
      filterMetrics.set(
        `${t.MetricNamespace}/${t.MetricName}`,
        (t.Dimensions ?? []).map((d: any) => d.Key),
      );
    }
    const functionIds = Object.keys(template.findResources('AWS::Lambda::Function'));
    const rotationEnv = (Object.values(template.findResources('AWS::Lambda::Function'))[0] as any).Properties
      .Environment.Variables;
    const emfNamespace = rotationEnv.POWERTOOLS_METRICS_NAMESPACE;
    const emfNames = Object.values(ROTATION_EMF_METRICS) as string[];

    const seen = { filters: new Set<string>(), lambda: new Set<string>(), emf: new Set<string>() };
    for (const widget of widgets.filter((w) => w.type === 'metric')) {
      const lines = widget.properties.metrics as any[][];
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        const first = line[0];
        if (typeof first === 'object') {
          const match = SEARCH.exec(first.expression);
          expect(match).not.toBeNull();
          const [, namespace, dimension, name] = match!;
          if (namespace === emfNamespace) {
            expect(dimension).toBe('Step');
            expect(emfNames).toContain(name);
            seen.emf.add(name);
          } else {
            expect(filterMetrics.get(`${namespace}/${name}`)).toEqual([dimension]);
            seen.filters.add(name);
          }
          continue;
        }
        const [namespace, name, ...rest] = line;
        const dimensions = rest.filter((r) => typeof r === 'string');
        if (namespace === 'AWS/Lambda') {
          expect(dimensions[0]).toBe('FunctionName');
          expect(functionIds).toContain(String(dimensions[1]).replace(/^<(.*)>$/, '$1'));
          seen.lambda.add(name);
        } else {
          expect(filterMetrics.has(`${namespace}/${name}`)).toBe(true);
          expect(dimensions).toEqual([]);
          seen.filters.add(name);
        }
      }
    }
    expect([...seen.filters].sort()).toEqual([...filterMetrics.keys()].map((k) => k.split('/').pop()).sort());
    expect([...seen.lambda].sort()).toEqual(['Duration', 'Errors', 'Invocations', 'Throttles']);
    expect([...seen.emf].sort()).toEqual([...emfNames].sort());
  });

  test('its tables are the saved queries, run on the trail log group', () => {
    const logGroupName = Object.values(logGroupNames(template)).find((name) =>
      name.startsWith('/secrets-audit/'),
    );
    const saved = (Object.values(template.findResources('AWS::Logs::QueryDefinition')) as any[]).map((q) =>
      audited.resolve(q.Properties.QueryString),
    );
    const tables = widgets.filter((w) => w.type === 'log');
    expect(tables).toHaveLength(4);
    for (const table of tables) {
      const prefix = `SOURCE '${logGroupName}' | `;
      expect(table.properties.query.startsWith(prefix)).toBe(true);
      expect(saved).toContain(table.properties.query.slice(prefix.length));
      expect(table.properties.view).toBe('table');
    }
  });

  test('the queries select the watched vault’s secrets and key', () => {
    const queries = widgets.filter((w) => w.type === 'log').map((w) => w.properties.query as string);
    expect(queries.find((q) => q.includes('GetSecretValue'))).toContain(
      'filter requestParameters.secretId like /(^|:secret:)(example\\/orders)\\//',
    );
    expect(queries.find((q) => q.includes('RotateKey'))).toContain(
      'filter resources.0.ARN like /(1234abcd-12ab-34cd-56ef-1234567890ab)$/',
    );
  });
});

describe('the contract with the rotation function’s EMF metrics', () => {
  test('names, Step values and namespace match what the function publishes', () => {
    expect(ROTATION_STEP_METRICS).toEqual(ROTATION_EMF_METRICS);
    expect(ROTATION_STEPS).toEqual([...STEP_NAMES, 'invalid']);
    const { template } = auditedStack();
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as any[];
    expect(functions.map((f) => f.Properties.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE)).toEqual([
      ROTATION_METRICS_NAMESPACE,
    ]);
  });
});

describe('the dashboard’s size', () => {
  function widgetCount(secrets: number, vaults = 1): number {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Audited', { env: { account: '123456789012', region: 'eu-west-1' } });
    const audit = new SecretsAudit(stack, 'Audit');
    for (let v = 0; v < vaults; v++) {
      const vault = new SecretsVault(stack, `Vault${v}`, { namePrefix: `team/app${v}` });
      for (let s = 0; s < secrets; s++) vault.addSecret(`Secret${s}`);
      audit.watch(vault);
    }
    return dashboardOf(Template.fromStack(stack)).widgets.length;
  }

  test('does not grow with the number of secrets or vaults', () => {
    const one = widgetCount(1);
    expect(widgetCount(25)).toBe(one);
    expect(widgetCount(2, 3)).toBe(one);
  });

  test('shows a rotation function created after the vault was watched', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Audited', { env: { account: '123456789012', region: 'eu-west-1' } });
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'team/app' });
    new SecretsAudit(stack, 'Audit', { vaults: [vault] });
    vault.addSecret('Later');
    const body = JSON.stringify(dashboardOf(Template.fromStack(stack)));
    expect(body).toMatch(/"AWS\/Lambda","Errors","FunctionName","<VaultRotationFunction[0-9A-F]+>"/);
  });

  test('says so when no watched vault rotates anything', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Audited', { env: { account: '123456789012', region: 'eu-west-1' } });
    new SecretsAudit(stack, 'Audit', {
      vaults: [new SecretsVault(stack, 'Vault', { namePrefix: 'team/app' })],
    });
    const texts = dashboardOf(Template.fromStack(stack))
      .widgets.filter((w) => w.type === 'text')
      .map((w) => w.properties.markdown);
    expect(texts).toContain(
      '### Rotation function invocations and errors\nNo watched vault has a rotating secret.',
    );
  });
});
