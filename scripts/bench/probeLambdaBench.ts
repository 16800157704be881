/**
 * Bundle size and cold start of the two Lambdas that connect to a customer's database (the connection test and
 * the database inspector), before and after they moved from a hand-written MySQL protocol to mysql2. Each
 * handler is bundled as infra/constructs/KeepsakeFunction.ts has esbuild do it (ESM, minified, AWS SDK external),
 * and its module load (wall and CPU) is timed in fresh Node processes, old and new alternately, median of the runs.
 *
 * "Before" is the tree as it was just before functions/dataSources/mysqlProtocol.ts was deleted (or `--before`).
 *
 *   tsx scripts/bench/probeLambdaBench.ts [--runs 15] [--before <git revision>]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import * as z from 'zod';
import { describeZodError } from '../../types/zodMessages.ts';
import { median } from './measure.ts';

const FlagsSchema = z.object({
  runs: z.coerce.number().int('--runs must be a whole number').min(3).max(200),
  before: z
    .string()
    .regex(/^[\w./^~-]+$/, '--before must be a git revision')
    .optional(),
});

const ROOT = resolve(import.meta.dirname, '../..');
/** Inside the repository (and ignored by git), so that the bundles find node_modules for the external AWS SDK. */
const WORK = join(ROOT, '.scratch', 'probe-lambda-bench');
const HANDLERS = {
  testDataSource: 'functions/dataSources/testDataSource.ts',
  inspectDatabase: 'functions/dataSources/inspectDatabase.ts',
} as const;
type HandlerName = keyof typeof HANDLERS;
/** What the handlers read at load; no AWS call happens before a request. */
const ENV = { ...process.env, TABLE_NAME: 'bench', AWS_REGION: 'us-east-1', NODE_OPTIONS: '' };

const git = (...args: string[]): string => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();

/** The revision whose tree still speaks the hand-written protocol: the parent of the commit that deleted it, or HEAD. */
function beforeRevision(flag: string | undefined): string {
  if (flag) return git('rev-parse', '--verify', `${flag}^{commit}`);
  const deletion = git('log', '-1', '--format=%H', '--diff-filter=D', '--', 'functions/dataSources/mysqlProtocol.ts');
  return git('rev-parse', deletion ? `${deletion}^` : 'HEAD');
}

/** The code a Lambda bundles (functions/, types/, the runner's shared sources) as it was at `revision`. */
function checkOut(revision: string, into: string): void {
  mkdirSync(into, { recursive: true });
  const archive = execFileSync('git', ['archive', revision, 'functions', 'types', 'containers/backup/src'], {
    cwd: ROOT,
    maxBuffer: 256 * 1024 * 1024,
  });
  execFileSync('tar', ['-x', '-C', into], { input: archive });
}

/** KeepsakeFunction's bundling options; returns the bundle's path and its size in bytes (source map apart). */
async function bundle(root: string, handler: HandlerName, outDir: string): Promise<{ file: string; bytes: number }> {
  const file = join(outDir, `${handler}.mjs`);
  await build({
    entryPoints: [join(root, HANDLERS[handler])],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    sourcemap: true,
    mainFields: ['module', 'main'],
    external: ['@aws-sdk/*'],
    banner: {
      js: "import { createRequire as __keepsakeRequire } from 'node:module'; const require = __keepsakeRequire(import.meta.url);",
    },
    logLevel: 'error',
  });
  return { file, bytes: statSync(file).size };
}

interface Load {
  readonly wallMs: number;
  /** User + system CPU of the import: steadier than wall time when other work shares the cores. */
  readonly cpuMs: number;
}

/** What importing the bundle costs a fresh Node process: what a cold start spends before the first request. */
function load(file: string): Load {
  const script =
    'const wall = performance.now(); const cpu = process.cpuUsage(); await import(process.argv[1]); const used = process.cpuUsage(cpu);' +
    'process.stdout.write(JSON.stringify({ wallMs: performance.now() - wall, cpuMs: (used.user + used.system) / 1000 }));';
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script, file], { env: ENV, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`loading ${file} failed (exit ${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as Load;
}

const spread = (values: number[]): string =>
  `${median(values).toFixed(1).padStart(7)} (${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)})`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' }, before: { type: 'string' } } });
  const parsed = FlagsSchema.safeParse(values);
  if (!parsed.success) throw new Error(describeZodError(parsed.error));
  const { runs } = parsed.data;
  const revision = beforeRevision(parsed.data.before);

  rmSync(WORK, { recursive: true, force: true });
  const beforeRoot = join(WORK, 'tree-before');
  checkOut(revision, beforeRoot);
  const sides = { before: beforeRoot, after: ROOT } as const;

  console.log(
    `Lambda bundles and cold starts: before = ${revision.slice(0, 12)} (hand-written protocol), after = working tree (mysql2); ${runs} loads each, median`,
  );
  console.log(
    'handler           side     bundle KiB   module load wall ms        module load CPU ms   (median, min–max)',
  );
  try {
    for (const handler of Object.keys(HANDLERS) as HandlerName[]) {
      const bundles = {
        before: await bundle(sides.before, handler, join(WORK, 'before')),
        after: await bundle(sides.after, handler, join(WORK, 'after')),
      };
      const loads: Record<keyof typeof sides, Load[]> = { before: [], after: [] };
      load(bundles.before.file); // the first load of all warms the page cache for both alike
      load(bundles.after.file);
      for (let i = 0; i < runs; i++) {
        loads.before.push(load(bundles.before.file));
        loads.after.push(load(bundles.after.file));
      }
      for (const side of ['before', 'after'] as const) {
        const kib = (bundles[side].bytes / 1024).toFixed(1).padStart(10);
        const wall = spread(loads[side].map((l) => l.wallMs));
        const cpu = spread(loads[side].map((l) => l.cpuMs));
        console.log(`${handler.padEnd(17)} ${side.padEnd(6)} ${kib}   ${wall.padEnd(24)} ${cpu}`);
      }
    }
  } finally {
    rmSync(WORK, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
