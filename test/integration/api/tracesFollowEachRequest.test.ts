import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from '../../../types/dataSource.ts';
import type { DataSourceApi } from './dataSourceApi.ts';

/** One X-Ray segment document as the SDK sends it to the daemon (the fields this test reads). */
interface SegmentDocument {
  readonly name: string;
  readonly namespace?: string;
  readonly fault?: boolean;
  readonly annotations?: Record<string, unknown>;
  readonly aws?: { readonly operation?: string };
  readonly subsegments?: readonly SegmentDocument[];
}

const PASSWORD = 'Canary-traced-pw-51d0e7c3';

/** The daemon's UDP socket: each datagram is a JSON header line, then one segment document. */
const daemon = createSocket('udp4');
const received: string[] = [];
daemon.on('message', (message) => received.push(message.toString('utf8')));
await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));

// Lambda's environment, set before the handlers, the tracer and the X-Ray SDK load (they read it once).
let traceCount = 0;
const newTrace = () => {
  traceCount += 1;
  const root = `1-${Math.floor(Date.now() / 1000).toString(16)}-${traceCount.toString(16).padStart(24, '0')}`;
  process.env._X_AMZN_TRACE_ID = `Root=${root};Parent=53995c3f42cd8ad8;Sampled=1`;
};
Object.assign(process.env, {
  AWS_LAMBDA_FUNCTION_NAME: 'keepsake-dataSources',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  LAMBDA_TASK_ROOT: '/var/task',
  _HANDLER: 'index.handler',
  AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${(daemon.address() as AddressInfo).port}`,
});
const { call } = await import('../../support/api.ts');
const { SOURCE, SOURCES, sourceBody, startDataSourceApi } = await import('./dataSourceApi.ts');

let api: DataSourceApi;
beforeAll(async () => {
  newTrace(); // the set-up's own AWS calls (creating the table) go through the patched HTTP client too
  api = await startDataSourceApi();
});
afterAll(async () => {
  await api.scheduler.close();
  daemon.close();
});

/** Every document received so far, with their subsegments, flattened. */
function documents(): SegmentDocument[] {
  const all: SegmentDocument[] = [];
  const walk = (document: SegmentDocument) => {
    all.push(document);
    document.subsegments?.forEach(walk);
  };
  for (const datagram of received) walk(JSON.parse(datagram.slice(datagram.indexOf('\n') + 1)) as SegmentDocument);
  return all;
}

/** Subsegments travel as UDP datagrams: wait until `count` handler subsegments have arrived. */
async function handlerSegments(count: number): Promise<SegmentDocument[]> {
  for (let waited = 0; waited < 2000; waited += 20) {
    const found = documents().filter((document) => document.name === '## index.handler');
    if (found.length >= count) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`fewer than ${count} handler subsegments reached the daemon`);
}

describe('a request to an API Lambda in AWS', () => {
  it('is one X-Ray subsegment with its AWS calls inside, holding neither the body nor the answer', async () => {
    newTrace();
    const created = await call<DataSource>(api.create, {
      method: 'POST',
      resource: SOURCES,
      body: sourceBody({ password: PASSWORD }),
    });
    expect(created.status).toBe(201);
    newTrace();
    const read = await call<DataSource>(api.get, {
      method: 'GET',
      resource: SOURCE,
      pathParameters: { id: created.body.id },
    });
    expect(read.status).toBe(200);

    const [first, second] = await handlerSegments(2);
    expect(first?.annotations).toMatchObject({ ColdStart: true, Service: 'keepsake' });
    expect(second?.annotations).toMatchObject({ ColdStart: false, Service: 'keepsake' });
    expect(first?.fault).toBeFalsy();
    const operations = documents()
      .filter((document) => document.namespace === 'aws')
      .map((document) => `${document.name} ${document.aws?.operation}`);
    expect(operations).toEqual(expect.arrayContaining(['DynamoDB TransactWriteItems', 'DynamoDB GetItem']));
    const sent = received.join('\n');
    expect(sent).not.toContain(PASSWORD);
    expect(sent).not.toContain(created.body.host);
  });

  it('marks an unexpected error a fault, and a refused request none', async () => {
    const before = (await handlerSegments(0)).length;
    newTrace();
    const refused = await call(api.create, { method: 'POST', resource: SOURCES, body: sourceBody({ port: 'abc' }) });
    expect(refused.status).toBe(400);
    // The last test of the file: without its table, every read fails in a way no handler expects.
    await api.table.client.send(new DeleteTableCommand({ TableName: api.table.tableName }));
    newTrace();
    const failed = await call(api.get, { method: 'GET', resource: SOURCE, pathParameters: { id: 'some-id' } });
    expect(failed.status).toBe(500);

    const [refusedSegment, failedSegment] = (await handlerSegments(before + 2)).slice(before);
    expect(refusedSegment?.fault).toBeFalsy();
    expect(failedSegment?.fault).toBe(true);
  });
});
