/**
 * The built rotation bundle in a long-lived child node process, invoked step by step over IPC.
 *
 * Why a child: a verified TLS login trusts the runtime's certificate store, and Node reads
 * NODE_EXTRA_CA_CERTS only at start-up (which is also how Lambda's runtime gets the RDS CAs). A test
 * process cannot add its throwaway CA afterwards; a child started with it can. Why long-lived: one
 * start per test file, not per step. The child's environment is built from scratch (nothing
 * inherited: no stray NODE_OPTIONS or NODE_EXTRA_CA_CERTS) and its IPC channel is a lifeline: when the
 * test process dies, even by SIGKILL, the channel closes and the child exits.
 *
 * Mutation testing (scripts/mutation.sh) runs these suites too: the child takes the active mutant from
 * the environment, as instrumented code does, and sends back which mutants its code reached, so that
 * Stryker counts the coverage of the test that invoked it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { FAKE_AWS_ENV } from '../../support/moto';

/** What one invocation did: its outcome and everything the handler wrote (logs and metrics). */
export interface Invocation {
  readonly ok: boolean;
  readonly name?: string;
  readonly message?: string;
  readonly output: string;
}

interface Reply extends Invocation {
  readonly id: number;
  readonly coverage?: MutantCoverage;
}

/** Stryker's coverage record (instrumenter's `__stryker__.mutantCoverage`). */
export interface MutantCoverage {
  static: Record<string, number>;
  perTest: Record<string, Record<string, number>>;
}

const STRYKER_MUTANT_VARIABLE = '__STRYKER_ACTIVE_MUTANT__';

const CHILD_SCRIPT = `
process.on('disconnect', () => process.exit(70));
let captured = [];
for (const stream of [process.stdout, process.stderr]) {
  stream.write = (chunk) => {
    captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
}
const base = { ...process.env };
let handler;
// Instrumented code keeps writing to the coverage object it first found: copy it, then empty it in place.
function takeCoverage() {
  const ns = globalThis.__stryker__;
  if (!ns || !ns.mutantCoverage) return undefined;
  const coverage = JSON.parse(JSON.stringify(ns.mutantCoverage));
  for (const key of Object.keys(ns.mutantCoverage.static)) delete ns.mutantCoverage.static[key];
  for (const key of Object.keys(ns.mutantCoverage.perTest)) delete ns.mutantCoverage.perTest[key];
  return coverage;
}
process.on('message', async (message) => {
  const reply = (fields) => process.send({ id: message.id, ...fields, output: captured.join(''), coverage: takeCoverage() });
  captured = [];
  if (message.type === 'load') {
    for (const key of Object.keys(process.env)) if (!(key in base)) delete process.env[key];
    Object.assign(process.env, message.env);
    delete require.cache[require.resolve(message.bundle)];
    try {
      handler = require(message.bundle).handler;
      reply({ ok: true });
    } catch (error) {
      reply({ ok: false, name: String(error && error.name), message: String((error && error.stack) || error) });
    }
    return;
  }
  try {
    await handler(message.event);
    reply({ ok: true });
  } catch (error) {
    reply({ ok: false, name: String(error && error.name), message: String((error && error.message) || error) });
  }
});
process.send({ id: 0, ok: true, output: '' });
`;

const children = new Set<ChildProcess>();
let exitHookInstalled = false;

/** The active mutant, for a child process started from scratch (empty outside mutation testing). */
export function strykerEnv(): Record<string, string> {
  const mutant = process.env[STRYKER_MUTANT_VARIABLE];
  return mutant === undefined ? {} : { [STRYKER_MUTANT_VARIABLE]: mutant };
}

/** Adds a child's mutant coverage to the current test's, when Stryker is measuring it. */
export function reportCoverage(coverage: MutantCoverage | undefined): void {
  const ns = (globalThis as { __stryker__?: { mutantCoverage?: MutantCoverage; currentTestId?: string } })
    .__stryker__;
  if (!coverage || ns === undefined) return;
  // Instrumented code makes the record on its first use; here the test process may have run none.
  ns.mutantCoverage ??= { static: {}, perTest: {} };
  const add = (into: Record<string, number>, from: Record<string, number>) => {
    for (const [id, count] of Object.entries(from)) into[id] = (into[id] ?? 0) + count;
  };
  const all: Record<string, number> = {};
  add(all, coverage.static);
  for (const counts of Object.values(coverage.perTest)) add(all, counts);
  const record = ns.mutantCoverage;
  if (ns.currentTestId === undefined) add(record.static, all);
  else add((record.perTest[ns.currentTestId] ??= {}), all);
}

export class BundleProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  private loadedEnv?: string;
  private outputs: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    private readonly bundle: string,
  ) {
    child.on('message', (reply: Reply) => {
      this.outputs.push(reply.output);
      reportCoverage(reply.coverage);
      this.waiting.get(reply.id)?.(reply);
      this.waiting.delete(reply.id);
    });
  }

  /**
   * Starts node with the fake AWS credentials, AWS_ENDPOINT_URL (moto), and NODE_EXTRA_CA_CERTS only
   * when `extraCaCerts` is given.
   */
  public static async start(options: {
    readonly bundle: string;
    readonly awsEndpoint: string;
    readonly extraCaCerts?: string;
  }): Promise<BundleProcess> {
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => {
        for (const child of children) child.kill('SIGKILL');
      });
    }
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: tmpdir(),
      LANG: 'C',
      ...FAKE_AWS_ENV,
      AWS_ENDPOINT_URL: options.awsEndpoint,
      ...(options.extraCaCerts === undefined ? {} : { NODE_EXTRA_CA_CERTS: options.extraCaCerts }),
      ...strykerEnv(),
    };
    const child = spawn(process.execPath, ['-e', CHILD_SCRIPT], {
      cwd: tmpdir(),
      env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('error', reject);
      child.once('exit', (code) =>
        reject(new Error(`the bundle process exited (${code}) at start: ${stderr}`)),
      );
    });
    return new BundleProcess(child, options.bundle);
  }

  /** Loads the bundle afresh with `env` applied, unless it already runs with exactly this one. */
  public async load(env: Readonly<Record<string, string>>): Promise<void> {
    const text = JSON.stringify(env);
    if (text === this.loadedEnv) return;
    const reply = await this.send({ type: 'load', bundle: this.bundle, env });
    if (!reply.ok) throw new Error(`loading the bundle failed: ${reply.message}`);
    this.loadedEnv = text;
  }

  /** One handler invocation; rejects with an Error of the handler's message, as the handler would. */
  public async invoke(event: unknown): Promise<void> {
    const reply = await this.send({ type: 'invoke', event });
    if (!reply.ok) {
      const error = new Error(reply.message);
      error.name = reply.name ?? 'Error';
      throw error;
    }
  }

  /** Everything the handler wrote since the last `clearOutput()`. */
  public output(): string {
    return this.outputs.join('');
  }

  /** The JSON lines of `output()` (Powertools logs and EMF metrics). */
  public records(): Record<string, unknown>[] {
    return this.output()
      .split('\n')
      .filter((line) => line.trim().startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  public clearOutput(): void {
    this.outputs = [];
  }

  public async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private send(message: Record<string, unknown>): Promise<Reply> {
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      if (!this.child.connected) {
        reject(new Error('the bundle process is gone'));
        return;
      }
      const onExit = (code: number | null) => reject(new Error(`the bundle process exited (${code})`));
      this.child.once('exit', onExit);
      this.waiting.set(id, (reply) => {
        this.child.off('exit', onExit);
        resolve(reply);
      });
      this.child.send({ ...message, id });
    });
  }
}
