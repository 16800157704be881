import { freePort } from '../../../scripts/local/processes.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_INSPECTED_TABLES, type DatabaseInspection } from '../../../types/apiDataSources.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import { call } from '../../support/api.ts';
import { connectionTo, mariadb, services } from '../../support/services.ts';
import { rootSql } from '../../support/sql.ts';
import { SOURCE, SOURCES, startDataSourceApi, type DataSourceApi } from './dataSourceApi.ts';

const DATABASE = `${SOURCES}/{id}/databases/{database}`;
const SHOP = `inspect_shop_${process.pid}`;
const MANY = `inspect_many_${process.pid}`;
/** Every character that ends a quoted literal or identifier, or escapes one, in a single name. */
const ODD = `inspect_o'dd\`"\\ ${process.pid}`;
const quoted = (name: string) => `\`${name.replaceAll('`', '``')}\``;

describe.runIf(services().mariadb !== null)('inspecting a database of a data source against the shared MariaDB', () => {
  let api: DataSourceApi;
  let id: string;

  const inspect = (database: string, sourceId = id) =>
    call<DatabaseInspection & { error?: string; fields?: Record<string, string> }>(api.inspect, {
      method: 'GET',
      resource: DATABASE,
      pathParameters: { id: sourceId, database },
    });
  const patch = (body: Record<string, unknown>) =>
    call<DataSource>(api.update, { method: 'PATCH', resource: SOURCE, pathParameters: { id }, body });

  beforeAll(async () => {
    const manyTables = Array.from(
      { length: MAX_INSPECTED_TABLES + 7 },
      (_, i) => `CREATE TABLE t${String(i).padStart(4, '0')} (id INT) ENGINE=MEMORY;`,
    ).join('\n');
    await rootSql(`DROP DATABASE IF EXISTS ${SHOP}; DROP DATABASE IF EXISTS ${MANY}; DROP DATABASE IF EXISTS ${quoted(ODD)};
      CREATE DATABASE ${SHOP}; USE ${SHOP};
      CREATE TABLE orders (id INT PRIMARY KEY, total DECIMAL(10,2), note VARCHAR(200)) ENGINE=InnoDB;
      INSERT INTO orders SELECT seq, seq * 1.5, REPEAT('x', 150) FROM seq_1_to_2000;
      CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(40)) ENGINE=InnoDB;
      INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace'), (3, 'Edsger');
      CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 1000;
      ANALYZE TABLE orders, customers;
      CREATE DATABASE ${MANY}; USE ${MANY}; ${manyTables}
      CREATE DATABASE ${quoted(ODD)}; USE ${quoted(ODD)}; CREATE TABLE ${quoted("it's `here`")} (id INT);`);
    api = await startDataSourceApi();
    const created = await call<DataSource>(api.create, {
      method: 'POST',
      resource: SOURCES,
      body: { name: 'Local MariaDB', ...connectionTo('mysql'), password: mariadb().password },
    });
    expect(created.status).toBe(201);
    id = created.body.id;
  }, 120_000);

  afterAll(async () => {
    await api?.scheduler.close();
    await rootSql(
      `DROP DATABASE IF EXISTS ${SHOP}; DROP DATABASE IF EXISTS ${MANY}; DROP DATABASE IF EXISTS ${quoted(ODD)};`,
    );
  });

  it('lists the tables of an existing database with row and size estimates, the view marked as a view', async () => {
    const response = await inspect(SHOP);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      database: SHOP,
      exists: true,
      tableCount: 3,
      tables: [
        { name: 'big_orders', kind: 'view' },
        { name: 'customers', kind: 'table', approxRows: expect.any(Number), bytes: expect.any(Number) },
        { name: 'orders', kind: 'table', approxRows: expect.any(Number), bytes: expect.any(Number) },
      ],
    });
    if (!response.body.exists) return;
    const [, customers, orders] = response.body.tables;
    expect(customers?.approxRows).toBe(3);
    // InnoDB's estimate after ANALYZE: near the real 2000, not exact.
    expect(orders?.approxRows).toBeGreaterThan(1000);
    expect(orders?.approxRows).toBeLessThan(4000);
    // 2000 rows of ~160 bytes fill more than a few 16 KB pages.
    expect(orders?.bytes).toBeGreaterThan(200_000);
  });

  it('says a database that is not there does not exist (the source connects without a default database)', async () => {
    const response = await inspect(`inspect_missing_${process.pid}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ database: `inspect_missing_${process.pid}`, exists: false });
  });

  it('treats another case of the name as another database where the server keeps case (lower_case_table_names 0)', async () => {
    const folds = (await rootSql('SELECT @@lower_case_table_names')).trim() !== '0';
    const response = await inspect(SHOP.toUpperCase());
    expect(response.status).toBe(200);
    if (folds) expect(response.body).toMatchObject({ database: SHOP, exists: true, tableCount: 3 });
    else expect(response.body).toEqual({ database: SHOP.toUpperCase(), exists: false });
  });

  it('reads a name holding quotes, a backtick and a backslash as that name, and an injection attempt as a name that does not exist', async () => {
    const odd = await inspect(ODD);
    expect(odd.status).toBe(200);
    expect(odd.body).toEqual({
      database: ODD,
      exists: true,
      tableCount: 1,
      tables: [{ name: "it's `here`", kind: 'table', approxRows: 0, bytes: expect.any(Number) }],
    });

    // Pasted into a quoted literal unescaped, this would match every schema (and SHOP's tables would show).
    for (const attempt of [`x' OR '1'='1`, `${SHOP}' OR 'a'='a`, `x\\' OR 1=1 #`]) {
      const response = await inspect(attempt);
      expect({ attempt, status: response.status, body: response.body }).toEqual({
        attempt,
        status: 200,
        body: { database: attempt, exists: false },
      });
    }
  });

  it(`lists at most ${MAX_INSPECTED_TABLES} tables, in name order, and counts them all`, async () => {
    const response = await inspect(MANY);
    expect(response.status).toBe(200);
    if (!response.body.exists) throw new Error(`${MANY} should exist`);
    expect(response.body.tableCount).toBe(MAX_INSPECTED_TABLES + 7);
    expect(response.body.tables).toHaveLength(MAX_INSPECTED_TABLES);
    expect(response.body.tables[0]?.name).toBe('t0000');
    expect(response.body.tables.at(-1)?.name).toBe(`t${String(MAX_INSPECTED_TABLES - 1).padStart(4, '0')}`);
  });

  it('refuses a name MySQL would refuse with a 400 naming the database field, before connecting', async () => {
    for (const bad of ['x'.repeat(65), 'trailing space ']) {
      const response = await inspect(bad);
      expect(response.status).toBe(400);
      expect(Object.keys(response.body.fields ?? {})).toEqual(['database']);
    }
  });

  it('answers 404 for an unknown source', async () => {
    expect((await inspect(SHOP, 'no-such-source')).status).toBe(404);
  });

  it("answers 502 with the server's refusal for a wrong password, which it never repeats", async () => {
    const wrong = `wr'ong\`"pw ${process.pid}`;
    expect((await patch({ password: wrong })).status).toBe(200);
    try {
      const response = await inspect(SHOP);
      expect(response.status).toBe(502);
      expect(response.body.error).toMatch(
        new RegExp(
          `^cannot inspect database "${SHOP}": ERROR 1045 \\(28000\\): Access denied for user 'keepsake'@'[^']+' \\(using password: YES\\)$`,
        ),
      );
      expect(response.raw.body).not.toContain(wrong);
      expect(response.raw.body).not.toContain(mariadb().password);
    } finally {
      await patch({ password: mariadb().password });
    }
  });

  it('answers 502 saying the server cannot be reached, not a 500', async () => {
    const port = await freePort();
    await patch({ host: '127.0.0.1', port });
    try {
      const response = await inspect(SHOP);
      expect(response.status).toBe(502);
      expect(response.body.error).toBe(
        `cannot inspect database "${SHOP}": Can't connect to 127.0.0.1:${port}: connection refused (nothing listens on that port, or a firewall rejects it)`,
      );
    } finally {
      await patch({ host: mariadb().host, port: mariadb().port });
    }
  });
});
