import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mariadb } from './services.ts';

const execFileAsync = promisify(execFile);

/** Runs SQL as root on the shared test MariaDB through the stock `mariadb` client (DELIMITER works). */
export async function rootSql(statements: string, database?: string): Promise<string> {
  const args = ['--no-defaults', `--socket=${mariadb().socket}`, '-uroot', '--default-character-set=utf8mb4', '--batch', '--skip-column-names', ...(database ? [`--database=${database}`] : [])];
  const child = execFileAsync('mariadb', args, { maxBuffer: 256 * 1024 * 1024 });
  child.child.stdin?.end(statements);
  return (await child).stdout;
}
