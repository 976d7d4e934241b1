import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ts from 'typescript';

/**
 * Every TypeScript block of the README is real code: taken from the README, pointed at this checkout
 * instead of the published package, type-checked with the project's compiler options, and run.
 *
 * - A block with `export class … extends Stack` (the quick start) is instantiated and synthesized.
 * - A block with `test(…)` (how to test your stack) has each test run here, with jest's `expect`.
 * - Any other block is a fragment of a stack's constructor: it runs inside one, where `this` is the
 *   stack and, when the fragment uses them without declaring them, `vpc` (an isolated VPC), `db`
 *   (a PostgreSQL `rds.DatabaseInstance` in it) and `vault` (a `SecretsVault`) exist.
 */
const ROOT = join(__dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** The README and the documents it links to: every TypeScript block of each is checked. */
const DOCUMENTS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const TMP = join(__dirname, '.tmp');

interface Block {
  readonly index: number;
  readonly document: string;
  readonly heading: string;
  readonly code: string;
}

function blocks(): Block[] {
  const found: Block[] = [];
  for (const document of DOCUMENTS) {
    let heading = '(top)';
    const lines = readFileSync(join(ROOT, document), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (/^#{1,4} /.test(lines[i])) heading = lines[i].replace(/^#+ /, '');
      if (lines[i] === '```ts') {
        const end = lines.indexOf('```', i + 1);
        found.push({ index: found.length + 1, document, heading, code: lines.slice(i + 1, end).join('\n') });
        i = end;
      }
    }
  }
  return found;
}

/**
 * The compiler's errors for each file, with the project's compiler options (ts-jest only transpiles).
 * One program for every block: type-checking the library once, not once per block.
 */
function typeErrors(files: string[]): Map<string, string[]> {
  const config = ts.parseJsonConfigFileContent(
    ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile).config,
    ts.sys,
    ROOT,
  );
  // A fragment's wrapper imports more than any one fragment uses.
  const program = ts.createProgram(files, { ...config.options, noUnusedLocals: false, noEmit: true });
  const errors = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const d of ts.getPreEmitDiagnostics(program)) {
    if (d.category !== ts.DiagnosticCategory.Error) continue;
    const where = d.file ? (errors.has(d.file.fileName) ? d.file.fileName : files[0]) : files[0];
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    errors.get(where)!.push(d.file && where !== d.file.fileName ? `${d.file.fileName}: ${text}` : text);
  }
  return errors;
}

const LIBRARY = "from '../../lib'";

function ownCode(code: string): string {
  return (
    code
      .replace(/from 'cdk-secrets-vault'/g, LIBRARY)
      // The application's own code folder does not exist here; the construct wiring is what is tested.
      .replace(
        /lambda\.Code\.fromAsset\('app'\)/g,
        "lambda.Code.fromInline('exports.handler = async () => {};')",
      )
  );
}

const declares = (code: string, name: string) => new RegExp(`\\b(const|let|var)\\s+${name}\\b`).test(code);
const uses = (code: string, name: string) => new RegExp(`\\b${name}\\b`).test(code);

function fragmentModule(code: string): string {
  const prelude: string[] = [];
  const needs = (name: string) => uses(code, name) && !declares(code, name);
  if (needs('vpc') || needs('db')) {
    prelude.push(
      "const vpc = new ec2.Vpc(this, 'ReadmeVpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });",
    );
  }
  if (needs('db')) {
    prelude.push(
      "const db = new rds.DatabaseInstance(this, 'ReadmeDb', { engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }), vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });",
    );
  }
  if (needs('vault'))
    prelude.push("const vault = new SecretsVault(this, 'ReadmeVault', { namePrefix: 'readme' });");
  // `scope` is the App already: the wrapper's constructor parameter.
  if (needs('myFunction')) {
    prelude.push(
      "const myFunction = new lambda.Function(this, 'ReadmeFunction', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {};') });",
    );
  }
  return [
    "import { App, Duration, RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';",
    "import * as ec2 from 'aws-cdk-lib/aws-ec2';",
    "import * as iam from 'aws-cdk-lib/aws-iam';",
    "import * as kms from 'aws-cdk-lib/aws-kms';",
    "import * as lambda from 'aws-cdk-lib/aws-lambda';",
    "import * as logs from 'aws-cdk-lib/aws-logs';",
    "import * as rds from 'aws-cdk-lib/aws-rds';",
    "import * as s3 from 'aws-cdk-lib/aws-s3';",
    `import * as vaultLib ${LIBRARY};`,
    'const { ' + EXPORTS.join(', ') + ' } = vaultLib;',
    'class ReadmeStack extends Stack {',
    '  constructor(scope: App) {',
    "    super(scope, 'Readme', { env: { account: '123456789012', region: 'eu-west-1' } });",
    ...prelude.map((l) => `    ${l}`),
    ownCode(code),
    '  }',
    '}',
    'export const stack = new ReadmeStack(new App({ builtinCloudFormationValidation: false }));',
  ].join('\n');
}

// Values of the library a fragment may name without importing (types come through `vaultLib.X`).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const EXPORTS = Object.keys(require('../lib')).filter((name) => /^[A-Z]/.test(name));

function testModule(code: string): string {
  return [
    'export const readmeTests: Array<[string, () => void]> = [];',
    'function readmeTest(name: string, fn: () => void) { readmeTests.push([name, fn]); }',
    ownCode(code).replace(/^test\(/gm, 'readmeTest('),
  ].join('\n');
}

function stackModule(code: string): string {
  const name = /export class (\w+) extends Stack/.exec(code)![1];
  return [
    ownCode(code),
    "import { App as ReadmeApp } from 'aws-cdk-lib';",
    `export const stack = new ${name}(new ReadmeApp({ builtinCloudFormationValidation: false }), 'Readme');`,
  ].join('\n');
}

function kindOf(block: Block): 'stack' | 'test' | 'fragment' {
  if (/export class \w+ extends Stack/.test(block.code)) return 'stack';
  return /^test\(/m.test(block.code) ? 'test' : 'fragment';
}

const ALL = blocks();
const FILES = new Map(ALL.map((b) => [b.index, join(TMP, `readme-block-${b.index}.ts`)]));
let errors: Map<string, string[]>;

beforeAll(() => {
  mkdirSync(TMP, { recursive: true });
  for (const block of ALL) {
    const kind = kindOf(block);
    const source =
      kind === 'stack'
        ? stackModule(block.code)
        : kind === 'test'
          ? testModule(block.code)
          : fragmentModule(block.code);
    writeFileSync(FILES.get(block.index)!, source);
  }
  errors = typeErrors([...FILES.values()]);
});

afterAll(() => {
  for (const file of FILES.values()) rmSync(file, { force: true });
});

/** Loads a block's module once its types are known to be right. */
function load(block: Block): Record<string, unknown> {
  const file = FILES.get(block.index)!;
  const where = `${block.document}, block ${block.index} under "${block.heading}"`;
  expect({ where, errors: errors.get(file) }).toEqual({ where, errors: [] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file);
}

test('the README has TypeScript blocks to check', () => {
  expect(ALL.length).toBeGreaterThanOrEqual(4);
});

describe.each(ALL.map((b) => [`${b.document}: block ${b.index} under "${b.heading}"`, b] as const))(
  '%s',
  (_name, block) => {
    test('compiles against the library and runs', () => {
      const loaded = load(block);
      if (Array.isArray(loaded.readmeTests)) {
        expect(loaded.readmeTests.length).toBeGreaterThan(0);
        for (const [, fn] of loaded.readmeTests as Array<[string, () => void]>) fn();
      } else {
        const stack = loaded.stack as Stack;
        expect(() => (stack.node.root as App).synth()).not.toThrow();
      }
    });
  },
);

describe('the README quick start', () => {
  let template: Template;
  beforeAll(() => {
    const block = ALL.find((b) => b.document === 'README.md' && b.heading === 'Quick start');
    if (!block) throw new Error('README has no TypeScript block under "## Quick start"');
    template = Template.fromStack(load(block).stack as Stack);
  });

  test('synthesizes what it describes', () => {
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

describe('the README’s security guarantees', () => {
  const section = README.slice(
    README.indexOf('## Security guarantees'),
    README.indexOf('\n## ', README.indexOf('## Security guarantees') + 1),
  );
  // The guarantees are the first table of the section (the mutation scores that follow are another).
  const lines = section.split('\n');
  const header = lines.findIndex((line) => line.startsWith('| guarantee'));
  const end = lines.findIndex((line, k) => k > header && !line.startsWith('|'));
  const rows = lines.slice(header + 2, end);

  test('are a table of guarantees, each proven by a test that exists', () => {
    expect(rows.length).toBeGreaterThanOrEqual(10);
    for (const row of rows) {
      const proof = row.split(' | ').pop()!;
      const files = [...proof.matchAll(/`(test\/[^`]+\.test\.ts)`/g)].map((m) => m[1]);
      expect({ row: row.slice(0, 60), files: files.length > 0 }).toEqual({
        row: row.slice(0, 60),
        files: true,
      });
      for (const file of files)
        expect({ file, exists: existsSync(join(ROOT, file)) }).toEqual({ file, exists: true });
    }
  });
});
