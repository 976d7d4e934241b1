/**
 * Every benchmark in one report, printed and written to bench/results/latest.md:
 * (a) synth time and memory, (b) scale to N secrets, (c) the test suite with `--tests` (it takes
 * minutes), and bench/rotation.ts when it exists.
 *
 * Run: `npx ts-node --transpile-only bench/index.ts [--tests] [--quick] [--reps 5] [--no-rotation]`
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fixed, RESULTS, ROOT } from './lib/run';
import { scaleBench } from './scale';
import { synthBench } from './synth';
import { testsBench } from './tests';

function machine(): string {
  const cpuModel =
    /model name\s*:\s*(.*)/.exec(
      existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '',
    )?.[1] ?? cpus()[0]?.model;
  const versions = (name: string) =>
    (
      JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  return (
    `${cpus().length} × ${cpuModel}, ${fixed(totalmem() / 2 ** 30, 1)} GiB RAM (${fixed(freemem() / 2 ** 30, 1)} GiB free), ` +
    `node ${process.version}, aws-cdk-lib ${versions('aws-cdk-lib')}, esbuild ${versions('esbuild')}, ` +
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`
  );
}

/** bench/rotation.ts (another script's) as a child; its plain-text tables go in a code block. */
function rotationBench(): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('npx', ['ts-node', '--transpile-only', join('bench', 'rotation.ts')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('close', (code) =>
      resolve(
        `### Rotation handler (bench/rotation.ts)\n\n\`\`\`\n${out.trim()}\n\`\`\`` +
          (code === 0 ? '' : `\n\nexited ${code}:\n\n\`\`\`\n${err.trim().slice(-2000)}\n\`\`\``),
      ),
    );
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const repsAt = argv.indexOf('--reps');
  const reps = repsAt >= 0 ? Number(argv[repsAt + 1]) : quick ? 3 : 5;
  const log = (line: string) => console.error(line);
  const started = new Date();
  const parts = [
    `# cdk-secrets-vault benchmarks — ${started.toISOString()}`,
    `Machine: ${machine()}. The machine may be shared: the load average is printed at the start and the end.`,
  ];
  const write = () => {
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, 'latest.md'), parts.join('\n\n') + '\n');
  };
  // A section that fails is reported as such; the sections before it are already written.
  const section = async (title: string, run: () => Promise<string>) => {
    log(`${title}…`);
    try {
      parts.push(await run());
    } catch (error) {
      parts.push(`### ${title}\n\nFailed: \`${(error as Error).message}\``);
      process.exitCode = 1;
    }
    write();
  };
  await section('(a) synth time and memory', () => synthBench({ reps, log }));
  await section('(b) scale', () => scaleBench({ ns: quick ? [1, 10, 100, 200] : undefined, log }));
  // Before bench/rotation.ts, which writes .zip files next to the bundles in assets/.
  if (argv.includes('--tests')) {
    await section('(c) test suite', () => testsBench({ log }));
  } else {
    parts.push('### (c) Test suite\n\nNot run (pass `--tests`; it takes minutes).');
  }
  if (!argv.includes('--no-rotation') && existsSync(join(ROOT, 'bench', 'rotation.ts'))) {
    await section('Rotation handler (bench/rotation.ts)', rotationBench);
  }
  parts.push(
    `Finished in ${fixed((Date.now() - started.getTime()) / 1000)} s; load average at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}.`,
  );
  write();
  console.log(parts.join('\n\n'));
  log(`written to ${join(RESULTS, 'latest.md')}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
