import { rootSql as rootSqlOn } from '../../scripts/local/mariadb.ts';
import { mariadb } from './services.ts';

/** Runs SQL as root on the shared test MariaDB through the stock `mariadb` client (DELIMITER works). */
export function rootSql(statements: string, database?: string): Promise<string> {
  return rootSqlOn(mariadb().socket, statements, database);
}
