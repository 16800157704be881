import { documentClient } from './clients.ts';
import { requireEnv } from './env.ts';
import type { TableRef } from './repositories/table.ts';

/** The Keepsake table as handlers see it: the shared document client and `TABLE_NAME` (required, read at load). */
export function tableFromEnv(env: NodeJS.ProcessEnv = process.env): TableRef {
  return { client: documentClient, tableName: requireEnv('TABLE_NAME', env) };
}
