import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runnerTaskDefinition, type RunnerTaskDefinition } from './fargateTask.ts';
import { keepsakeTemplate } from './stack.ts';
import { machinesThatMayPublish } from './resourcePolicy.ts';
import { synthesizedMachines, type AslDefinition, type MachineName } from './stateMachines.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CACHE_FILE = join(ROOT, '.keepsake', 'cache', 'machines.json');

/** What the synthesized definitions depend on: the infra code, the CDK context and the locked CDK version. */
async function sourcesHash(): Promise<string> {
  const infra = (await readdir(join(ROOT, 'infra'), { recursive: true }))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join('infra', f));
  const files = [
    ...infra.sort(),
    'cdk.json',
    'package-lock.json',
    'scripts/local/stack.ts',
    'scripts/local/stateMachines.ts',
    'scripts/local/fargateTask.ts',
    'scripts/local/resourcePolicy.ts',
  ];
  const hash = createHash('sha256');
  for (const file of files)
    hash
      .update(file)
      .update('\0')
      .update(await readFile(join(ROOT, file)))
      .update('\0');
  return hash.digest('hex');
}

/** What local mode takes from the synthesized stack: the state machines and the runner's task definition. */
export interface Synthesized {
  readonly machines: Record<MachineName, AslDefinition>;
  readonly runnerTask: RunnerTaskDefinition;
  /** The machines whose role may publish to the alerts topic (scripts/local/resourcePolicy.ts). */
  readonly publishers: MachineName[];
}

/**
 * The synthesized state machines and runner task, kept in `cacheFile` with a hash of what they were built from:
 * synthesizing the stack takes ~10 s on a 2-core machine, so local mode does it only when infra or the CDK changed.
 */
export async function cachedSynthesis(cacheFile = CACHE_FILE): Promise<Synthesized> {
  const hash = await sourcesHash();
  const cached = await readFile(cacheFile, 'utf8').then(
    (text) => JSON.parse(text) as { hash?: string } & Partial<Synthesized>,
    () => undefined,
  );
  if (cached?.hash === hash && cached.machines && cached.runnerTask && cached.publishers)
    return { machines: cached.machines, runnerTask: cached.runnerTask, publishers: cached.publishers };
  const template = keepsakeTemplate();
  const synthesized: Synthesized = {
    machines: synthesizedMachines(template),
    runnerTask: runnerTaskDefinition(template),
    publishers: machinesThatMayPublish(template),
  };
  await mkdir(dirname(cacheFile), { recursive: true });
  // Renamed into place: another local mode starting at the same time reads a whole file or none.
  const partial = `${cacheFile}.${process.pid}`;
  await writeFile(partial, JSON.stringify({ hash, ...synthesized }));
  await rename(partial, cacheFile);
  return synthesized;
}
