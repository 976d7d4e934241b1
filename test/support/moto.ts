/**
 * A moto server for tests and benchmarks: one `python3 -m moto.server` per caller, on a free loopback
 * port, stopped when the caller is done (and on process exit, so a crashed run leaves no orphan).
 *
 * Known moto gaps (moto 5.2.1) to keep in mind; none of them is encoded as expected AWS behaviour:
 * - PutSecretValue accepts the same ClientRequestToken twice with different values (AWS refuses with
 *   ResourceExistsException); that case is tested with aws-sdk-client-mock instead.
 * - GetSecretValue without VersionStage can return the wrong version after a stage move; always pass one.
 * - After a rotation, moto keeps AWSPENDING on the new AWSCURRENT version and refuses the next
 *   RotateSecret ("Previous rotation request is still in progress") until the label is removed.
 * - RotateSecret runs no code: with a function that exists it labels a fresh, empty version AWSPENDING
 *   (its id is the token the tests then pass to the four steps themselves).
 * - CancelRotateSecret only turns rotation off; like AWS it leaves the AWSPENDING label where it is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export const MOTO_ACCOUNT = '123456789012';
export const MOTO_REGION = 'us-east-1';

/** Fake credentials and region: nothing here can reach AWS, and nothing should try. */
export const FAKE_AWS_ENV: Readonly<Record<string, string>> = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_SESSION_TOKEN: 'testing',
  AWS_REGION: MOTO_REGION,
  AWS_DEFAULT_REGION: MOTO_REGION,
  AWS_EC2_METADATA_DISABLED: 'true',
};

export interface MotoServer {
  readonly endpoint: string;
  readonly port: number;
  /** Wipes every backend (POST /moto-api/reset). */
  reset(): Promise<void>;
  /** POST /moto-api/config, e.g. `{ lambda: { use_docker: false } }`. */
  configure(config: Record<string, unknown>): Promise<void>;
  /**
   * Creates a function that RotateSecret accepts as its rotation Lambda (moto checks it exists but,
   * with use_docker off, runs nothing). Returns its ARN. Call again after reset().
   */
  createDummyRotationFunction(name?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** How long to wait for the server to answer. */
  readonly startTimeoutMs?: number;
  readonly python?: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** moto routes unsigned requests by path; an Authorization header naming the service picks the backend. */
function authFor(service: string): string {
  return `AWS4-HMAC-SHA256 Credential=testing/20260101/${MOTO_REGION}/${service}/aws4_request, SignedHeaders=host, Signature=0`;
}

/**
 * `python3 -m moto.server ARGS`, plus a watchdog: when our end of its stdin closes (this process
 * exited, even by SIGKILL or a crashed jest worker), the server exits too, so no run leaves an orphan.
 */
const WATCHDOG = [
  'import os, runpy, sys, threading',
  'threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()',
  "sys.argv = ['moto.server'] + sys.argv[1:]",
  "runpy.run_module('moto.server', run_name='__main__')",
].join('\n');

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a test runner dies before afterAll: 'exit' handlers must be synchronous.
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

async function waitUntilUp(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `moto server exited during start-up (code ${child.exitCode}, signal ${child.signalCode})`,
      );
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`moto server did not answer on ${endpoint} within ${timeoutMs} ms`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    running.delete(child);
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
  running.delete(child);
}

/** Starts moto on a free port; retries twice if another process grabbed the port first. */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  installExitHook();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    const child = spawn(
      options.python ?? 'python3',
      ['-c', WATCHDOG, '-H', '127.0.0.1', '-p', String(port)],
      {
        // stdin stays open as the watchdog's lifeline; moto's request log (stderr) is kept for errors.
        stdio: ['pipe', 'ignore', 'pipe'],
        env: { ...process.env, ...FAKE_AWS_ENV },
      },
    );
    running.add(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const endpoint = `http://127.0.0.1:${port}`;
    try {
      await waitUntilUp(endpoint, child, options.startTimeoutMs ?? 20000);
      return makeServer(endpoint, port, child);
    } catch (error) {
      lastError = new Error(`${(error as Error).message}\n${stderr.slice(-1000)}`);
      await stopChild(child);
    }
  }
  throw lastError;
}

function makeServer(endpoint: string, port: number, child: ChildProcess): MotoServer {
  const post = async (path: string, init: RequestInit = {}): Promise<string> => {
    const response = await fetch(`${endpoint}${path}`, { method: 'POST', ...init });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`moto ${path} answered ${response.status}: ${text.slice(0, 300)}`);
    }
    return text;
  };
  return {
    endpoint,
    port,
    async reset() {
      await post('/moto-api/reset');
    },
    async configure(config) {
      await post('/moto-api/config', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(config),
      });
    },
    async createDummyRotationFunction(name = 'rotation-dummy') {
      await this.configure({ lambda: { use_docker: false } });
      const roleName = `${name}-role`;
      const query = new URLSearchParams({
        Action: 'CreateRole',
        Version: '2010-05-08',
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }),
      });
      await post(`/?${query.toString()}`, { headers: { Authorization: authFor('iam') } });
      const text = await post('/2015-03-31/functions', {
        headers: { 'content-type': 'application/json', Authorization: authFor('lambda') },
        body: JSON.stringify({
          FunctionName: name,
          Runtime: 'nodejs22.x',
          Role: `arn:aws:iam::${MOTO_ACCOUNT}:role/${roleName}`,
          Handler: 'index.handler',
          // An empty zip archive: with use_docker off moto never runs it.
          Code: { ZipFile: 'UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==' },
        }),
      });
      return (JSON.parse(text) as { FunctionArn: string }).FunctionArn;
    },
    async stop() {
      await stopChild(child);
    },
  };
}

/**
 * Jest helper: starts moto in beforeAll, stops it in afterAll, and points the AWS SDK at it through
 * AWS_ENDPOINT_URL with fake credentials (restoring the environment afterwards).
 */
export function useMoto(): { readonly server: MotoServer } {
  const holder: { server?: MotoServer } = {};
  const saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    holder.server = await startMoto();
    const env = { ...FAKE_AWS_ENV, AWS_ENDPOINT_URL: holder.server.endpoint };
    for (const [key, value] of Object.entries(env)) {
      saved[key] = process.env[key];
      process.env[key] = value;
    }
  }, 30000);
  afterAll(async () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await holder.server?.stop();
  }, 30000);
  return {
    get server(): MotoServer {
      if (!holder.server) throw new Error('moto is not running: use the server inside a test or hook');
      return holder.server;
    },
  };
}
