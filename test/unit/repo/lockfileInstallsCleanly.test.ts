import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface LockEntry {
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
}

/**
 * `npm ci` (CI, a newcomer's first command) refuses a lock in which some package names a dependency that has no
 * entry. The npm mirror here lacks some platform builds (e.g. @tailwindcss/oxide for macOS/Windows 4.3.5), and
 * `npm install` then leaves them named but unlocked: remove those names from the naming entry's
 * optionalDependencies (they are other platforms' binaries) so that a clean clone installs.
 */
describe('package-lock.json', () => {
  it('has an entry for every dependency any locked package names', () => {
    const lock = JSON.parse(readFileSync(new URL('../../../package-lock.json', import.meta.url), 'utf8')) as {
      packages: Record<string, LockEntry>;
    };
    const unresolved: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
        // Node's lookup: the package's own node_modules, then each enclosing one up to the root.
        const scopes = path.split('/node_modules/').map((_, i, parts) => parts.slice(0, i + 1).join('/node_modules/'));
        const candidates = [
          ...scopes.reverse().map((scope) => `${scope ? `${scope}/` : ''}node_modules/${name}`),
          `node_modules/${name}`,
        ];
        if (!candidates.some((candidate) => candidate in lock.packages))
          unresolved.push(`${path || '(root)'} → ${name}`);
      }
    }
    expect(unresolved).toEqual([]);
  });
});
