import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import * as ts from 'typescript';

/**
 * The README's quick start is real code: it is taken from the README, pointed at this checkout instead
 * of the published package, type-checked by ts-jest, and synthesized.
 */
const README = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
const TMP = join(__dirname, '.tmp');

function quickStart(): string {
  const section = README.slice(README.indexOf('## Quick start'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('README has no TypeScript block under "## Quick start"');
  return match[1];
}

/** The compiler's errors for one file, with the project's compiler options (ts-jest only transpiles). */
function typeErrors(file: string): string[] {
  const configPath = join(__dirname, '..', 'tsconfig.json');
  const config = ts.parseJsonConfigFileContent(
    ts.readConfigFile(configPath, ts.sys.readFile).config,
    ts.sys,
    join(__dirname, '..'),
  );
  const program = ts.createProgram([file], { ...config.options, noEmit: true });
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.category === ts.DiagnosticCategory.Error)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('the README quick start', () => {
  let template: Template;
  beforeAll(() => {
    const code = quickStart()
      .replace("from 'cdk-secrets-vault'", "from '../../lib'")
      // The app's own code folder does not exist here; the construct wiring is what is tested.
      .replace("lambda.Code.fromAsset('app')", "lambda.Code.fromInline('exports.handler = async () => {};')");
    mkdirSync(TMP, { recursive: true });
    const file = join(TMP, 'quick-start.ts');
    writeFileSync(
      file,
      `${code}\nimport { App as QuickStartApp } from 'aws-cdk-lib';\n` +
        "export const stack = new OrdersStack(new QuickStartApp({ builtinCloudFormationValidation: false }), 'Orders');\n",
    );
    try {
      expect(typeErrors(file)).toEqual([]);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      template = Template.fromStack(require(file).stack);
    } finally {
      rmSync(file, { force: true });
    }
  });

  test('compiles against the library and synthesizes what it describes', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'orders/prod/PaymentsApiKey' });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
    const partner = Object.values(template.findResources('AWS::SecretsManager::ResourcePolicy')).filter((p) =>
      JSON.stringify(p).includes('arn:aws:iam::111122223333:role/reporting'),
    );
    expect(partner).toHaveLength(1);
  });
});
