/**
 * One synth in its own process, for the benchmark scripts (not run by hand). argv[2] is a JSON
 * SynthJob; the last stdout line is `BENCH_RESULT <json SynthOutcome>`. Built-in CloudFormation
 * validation follows CDK_VALIDATION, as in any CDK app.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { ExampleStack } from '../../bin/example-stack';
import { BaselineStack } from '../baseline/baseline-stack';
import { templateStats, type Template, type TemplateStats } from '../lib/template-stats';
import { GrowthStack, type GrowthCase } from './growth-stacks';
import { VaultStack } from './vault-stack';

const loadedMs = process.uptime() * 1000;

export type AppKind = 'empty' | 'example' | 'baseline' | 'vault' | GrowthCase;

export interface SynthJob {
  readonly app: AppKind;
  /** Secrets, for `baseline` and `vault`. */
  readonly secrets?: number;
  /** The audit part: the baseline's trail/filter/dashboard, or a SecretsAudit for `vault`. */
  readonly audit?: boolean;
  /** cdk-nag's AwsSolutions and NIST 800-53 rev 5 packs, as bin/app.ts registers them. */
  readonly nag?: boolean;
  /**
   * Turn off aws-cdk-lib's own 500-resource check (context `@aws-cdk/core:stackResourceLimit` = 0) so
   * that a stack over CloudFormation's limit is still counted. Our library's check stays on.
   */
  readonly noResourceLimit?: boolean;
  /** The feature flags `cdk init` writes into a new project's cdk.json (this project sets none). */
  readonly recommendedFlags?: boolean;
}

export interface SynthOutcome {
  readonly ok: boolean;
  readonly error?: string;
  /** Node start to the end of module loading (aws-cdk-lib, our library, cdk-nag). */
  readonly loadMs: number;
  readonly constructMs: number;
  readonly synthMs: number;
  readonly templateBytes?: number;
  readonly stats?: TemplateStats;
}

const PARTNER = 'arn:aws:iam::111122223333:role/partner-reporting-reader';
const STACK = 'Bench';

function build(app: App, job: SynthJob): Stack {
  switch (job.app) {
    case 'empty':
      return new Stack(app, STACK);
    case 'example':
      return new ExampleStack(app, STACK, { partnerReaderArn: PARTNER });
    case 'baseline':
      return new BaselineStack(app, STACK, {
        secrets: job.secrets ?? 2,
        partnerReaderArn: PARTNER,
        audit: job.audit,
      });
    case 'vault':
      return new VaultStack(app, STACK, {
        secrets: job.secrets ?? 2,
        partnerReaderArn: PARTNER,
        audit: job.audit,
      });
    default:
      return new GrowthStack(app, STACK, { growth: job.app, secrets: job.secrets ?? 2 });
  }
}

function main(): SynthOutcome {
  const job = JSON.parse(process.argv[2] ?? '{}') as SynthJob;
  const outdir = mkdtempSync(join(tmpdir(), 'bench-synth-'));
  const start = performance.now();
  let constructed = start;
  try {
    const app = new App({
      outdir,
      context: {
        ...(job.recommendedFlags ? cxapi.CURRENTLY_RECOMMENDED_FLAGS : {}),
        ...(job.noResourceLimit ? { '@aws-cdk/core:stackResourceLimit': 0 } : {}),
      },
    });
    build(app, job);
    if (job.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app));
    constructed = performance.now();
    const assembly = app.synth();
    const synthMs = performance.now() - constructed;
    const artifact = assembly.getStackByName(STACK);
    return {
      ok: true,
      loadMs: loadedMs,
      constructMs: constructed - start,
      synthMs,
      templateBytes: statSync(join(assembly.directory, artifact.templateFile)).size,
      stats: templateStats(artifact.template as Template),
    };
  } catch (error) {
    return {
      ok: false,
      error: (error as Error).message,
      loadMs: loadedMs,
      constructMs: constructed - start,
      synthMs: performance.now() - constructed,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

console.log(`BENCH_RESULT ${JSON.stringify(main())}`);
