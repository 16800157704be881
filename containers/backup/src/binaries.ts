import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** The first of `names` found as an executable in one of `dirs` (an earlier name wins over an earlier dir), or undefined. */
export async function firstExecutable(names: readonly string[], dirs: readonly string[]): Promise<string | undefined> {
  for (const name of names) {
    for (const dir of dirs) {
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

/** The first of `names` found as an executable on PATH, or undefined. */
export function firstOnPath(names: readonly string[], env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return firstExecutable(names, (env.PATH ?? '').split(delimiter));
}
