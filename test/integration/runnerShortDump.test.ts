import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../containers/backup/src/backup.ts';
import { backupJob, dropDatabases, recreateDatabase } from '../support/runner.ts';
import { jobEnv, services } from '../support/services.ts';

const DATABASE = 'short_dump';
const DUMP =
  '-- MariaDB dump\nCREATE TABLE `t` (id INT);\nINSERT INTO `t` VALUES (1);\n-- Dump completed on 2026-01-01  0:00:00\n';

/**
 * A dump tool that finishes at once (a tiny database on a fast server): its whole output must still be read.
 * Node discards the unread stdout of a child that has exited, so the runner must be reading before it can exit.
 */
describe.runIf(services().mariadb !== null)('a dump that ends as soon as it starts', () => {
  let fakeDump: string;

  beforeAll(async () => {
    await recreateDatabase(DATABASE);
    const dir = await mkdtemp(join(tmpdir(), 'keepsake-fake-dump-'));
    fakeDump = join(dir, 'mysqldump');
    await writeFile(
      fakeDump,
      `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "mysqldump  Ver 10.19 Distrib 10.11.0-MariaDB"; exit 0; fi\nprintf '%s' '${DUMP.replace(/'/g, "'\\''")}'\n`,
    );
    await chmod(fakeDump, 0o755);
    return () => dropDatabases(DATABASE);
  });

  it('is read whole every time', async () => {
    for (let i = 0; i < 15; i++) {
      const result = await runBackup(backupJob(DATABASE, { sourceId: 'short-dump', key: `short-dump/${i}.sql.gz` }), {
        env: { ...jobEnv(), KEEPSAKE_MYSQLDUMP: fakeDump },
      });
      expect(result.uncompressedBytes, `run ${i}`).toBe(Buffer.byteLength(DUMP));
      expect(result.tables).toBe(1);
    }
  });
});
