import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { synthesizedMachines, type AslDefinition, type MachineName } from './stateMachines.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CACHE_FILE = join(ROOT, '.keepsake', 'cache', 'machines.json');

/** What the synthesized definitions depend on: the infra code, the CDK context and the locked CDK version. */
async function sourcesHash(): Promise<string> {
  const infra = (await readdir(join(ROOT, 'infra'), { recursive: true })).filter((f) => f.endsWith('.ts')).map((f) => join('infra', f));
  const files = [...infra.sort(), 'cdk.json', 'package-lock.json', 'scripts/local/stack.ts', 'scripts/local/stateMachines.ts'];
  const hash = createHash('sha256');
  for (const file of files) hash.update(file).update('\0').update(await readFile(join(ROOT, file))).update('\0');
  return hash.digest('hex');
}

/**
 * The synthesized state machines, kept in `cacheFile` with a hash of what they were built from: synthesizing the
 * stack takes ~10 s on a 2-core machine, so local mode does it only when infra or the CDK changed.
 */
export async function cachedMachines(cacheFile = CACHE_FILE): Promise<Record<MachineName, AslDefinition>> {
  const hash = await sourcesHash();
  const cached = await readFile(cacheFile, 'utf8').then(
    (text) => JSON.parse(text) as { hash?: string; machines?: Record<MachineName, AslDefinition> },
    () => undefined,
  );
  if (cached?.hash === hash && cached.machines) return cached.machines;
  const machines = synthesizedMachines();
  await mkdir(dirname(cacheFile), { recursive: true });
  // Renamed into place: another local mode starting at the same time reads a whole file or none.
  const partial = `${cacheFile}.${process.pid}`;
  await writeFile(partial, JSON.stringify({ hash, machines }));
  await rename(partial, cacheFile);
  return machines;
}
