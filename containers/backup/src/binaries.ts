import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** The first of `names` found as an executable on PATH, or undefined. */
export async function firstOnPath(names: readonly string[], env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const name of names) {
    for (const dir of (env.PATH ?? '').split(delimiter)) {
      const candidate = join(dir, name);
      try {
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not in this directory
      }
    }
  }
  return undefined;
}
