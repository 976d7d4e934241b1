import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');

/**
 * `npm pack` gives a tarball that another project can use: compiled JS and .d.ts, the bundled
 * rotation Lambda, and nothing a consumer would have to build.
 */
describe('the npm package', () => {
  let dir: string;
  let pkg: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pack-'));
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: root,
      encoding: 'utf8',
    });
    const tarball = JSON.parse(out.slice(out.indexOf('[')))[0].filename as string;
    execFileSync('tar', ['-xzf', join(dir, tarball), '-C', dir]);
    pkg = join(dir, 'package');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('holds the compiled library, its types and the bundled rotation function, and no sources', () => {
    expect(existsSync(join(pkg, 'dist/lib/index.js'))).toBe(true);
    expect(existsSync(join(pkg, 'dist/lib/index.d.ts'))).toBe(true);
    expect(readdirSync(join(pkg, 'assets'))).toEqual(['rotation']);
    // The handler, and each database driver and the RDS client bundled on its own (loaded only when needed).
    expect(readdirSync(join(pkg, 'assets/rotation'), { recursive: true }).sort()).toEqual([
      'index.js',
      'node_modules',
      'node_modules/@aws-sdk',
      'node_modules/@aws-sdk/client-rds',
      'node_modules/@aws-sdk/client-rds/index.js',
      'node_modules/mysql2',
      'node_modules/mysql2/promise.js',
      'node_modules/pg',
      'node_modules/pg/index.js',
    ]);
    const files = execFileSync('find', ['.', '-type', 'f'], { cwd: pkg, encoding: 'utf8' }).split('\n');
    expect(files.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => /^\.\/(test|bin|lambda|bench)\//.test(f))).toEqual([]);
  });

  test('a consumer app synthesizes a vault from the packed library, using the shipped bundle', () => {
    const script = `
      const { App, Stack } = require('aws-cdk-lib');
      const { SecretsVault } = require(${JSON.stringify(join(pkg, 'dist/lib/index.js'))});
      const app = new App({ builtinCloudFormationValidation: false, outdir: ${JSON.stringify(join(dir, 'out'))} });
      const stack = new Stack(app, 'Consumer');
      new SecretsVault(stack, 'Vault').addSecret('ApiKey');
      const assembly = app.synth();
      const assets = require(require('path').join(assembly.directory, 'Consumer.assets.json')).files;
      const sources = Object.values(assets).filter((a) => a.source.packaging === 'zip').map((a) => require('path').join(assembly.directory, a.source.path));
      const template = assembly.getStackByName('Consumer').template;
      console.log(JSON.stringify({ sources, types: Object.values(template.Resources).map((r) => r.Type) }));
    `;
    // The consumer resolves aws-cdk-lib and constructs (its own peer dependencies) from this checkout.
    const out = execFileSync('node', ['-e', script], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NODE_PATH: join(root, 'node_modules') },
    });
    const result = JSON.parse(out.trim().split('\n').pop()!);
    expect(result.types).toEqual(
      expect.arrayContaining(['AWS::KMS::Key', 'AWS::SecretsManager::Secret', 'AWS::Lambda::Function']),
    );
    // The staged Lambda asset is the package's own bundle, byte for byte.
    expect(result.sources).toHaveLength(1);
    expect(readFileSync(join(result.sources[0], 'index.js'))).toEqual(
      readFileSync(join(pkg, 'assets/rotation/index.js')),
    );
    expect(readFileSync(join(result.sources[0], 'node_modules/pg/index.js'))).toEqual(
      readFileSync(join(pkg, 'assets/rotation/node_modules/pg/index.js')),
    );
  });

  test('depends on nothing copyleft: the AGPL policy evaluator is a devDependency, never shipped or bundled', () => {
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
    const shipped = {
      ...manifest.dependencies,
      ...manifest.peerDependencies,
      ...manifest.optionalDependencies,
    };
    expect(Object.keys(shipped).filter((name) => name.startsWith('@cloud-copilot/'))).toEqual([]);
    expect(manifest.license).toBe('Apache-2.0');
    const own = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(own.devDependencies['@cloud-copilot/iam-simulate']).toBeDefined();
    // Neither the compiled library nor the bundle carries a line of it (the README names it, as a test tool).
    const grep = spawnSync('grep', ['-rl', 'cloud-copilot', 'dist', 'assets'], {
      cwd: pkg,
      encoding: 'utf8',
    });
    expect([grep.status, grep.stdout]).toEqual([1, '']);
  });
});
