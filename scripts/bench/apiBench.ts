/**
 * List latency of the backups API against DynamoDB Local with 100 and with 10,000 backup records: p50/p95 of
 * the first page of `GET /v1/backups` and of a filtered page (`sourceId` + `status`), through the real handler.
 * Each list is one Query on a GSI, so its cost follows the page size, not the table's: the 10,000 figures are
 * held within 1.5× of the 100 figures (a Scan or a FilterExpression would grow with the table).
 *
 * The two sizes live in two tables, each served by its own instance of the handler, and are measured in
 * alternating blocks: measured one after the other, the second size ran on a JVM (and a Node) warmed by the
 * first and by seeding, and came out faster, which says nothing about the data.
 *
 *   tsx scripts/bench/apiBench.ts [--requests 400] [--warmup 200] [--blocks 8]
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import type { BackupRecord } from '../../functions/shared/repositories/backups.ts';
import type { TableRef } from '../../functions/shared/repositories/table.ts';
import { createTableInput } from '../../functions/shared/tableSchema.ts';
import type { BackupStatus } from '../../types/backup.ts';
import { describeZodError } from '../../types/zodMessages.ts';
import { startDynamoDb } from '../local/dynamodb.ts';

const FlagsSchema = z.object({
  requests: z.coerce.number().int('--requests must be a whole number').min(20).max(100_000),
  warmup: z.coerce.number().int('--warmup must be a whole number').min(0).max(10_000),
  blocks: z.coerce.number().int('--blocks must be a whole number').min(1).max(100),
});

/** Two sources, so that the filtered page is a full page (25 items) at 100 records too. */
const SOURCES = ['src-a', 'src-b'];
/** A realistic mix: mostly succeeded, some failures and cancellations, a few in flight. */
const STATUS_MIX: BackupStatus[] = [
  ...Array<BackupStatus>(16).fill('succeeded'),
  'failed',
  'failed',
  'cancelled',
  'running',
];
const FILTER = { sourceId: 'src-b', status: 'succeeded' } as const;
const TARGET_RATIO = 1.5;

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const context = {
  awsRequestId: 'bench',
  functionName: 'bench',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

/** An API Gateway REST proxy event for `GET /v1/backups`. */
function listEvent(query: Record<string, string>): APIGatewayProxyEvent {
  return {
    httpMethod: 'GET',
    resource: '/v1/backups',
    path: '/v1/backups',
    pathParameters: null,
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: null,
    headers: {},
    multiValueHeaders: {},
    body: null,
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {
      requestId: 'bench',
      identity: { userArn: 'arn:aws:iam::123456789012:user/bench' },
    } as APIGatewayProxyEvent['requestContext'],
  };
}

/** Records `from`..`to`-1, one minute apart (index 0 is the oldest), cycling sources and the status mix. */
function records(from: number, to: number): BackupRecord[] {
  const start = Date.parse('2025-01-01T00:00:00.000Z');
  return Array.from({ length: to - from }, (_, k) => {
    const i = from + k;
    const createdAt = new Date(start + i * 60_000).toISOString();
    const sourceId = SOURCES[i % SOURCES.length] as string;
    const status = STATUS_MIX[Math.floor(i / SOURCES.length) % STATUS_MIX.length] as BackupStatus;
    const base: BackupRecord = {
      id: `bk-${String(i).padStart(6, '0')}`,
      sourceId,
      database: 'shop',
      status,
      trigger: 'schedule',
      createdAt,
    };
    if (status !== 'succeeded')
      return status === 'running' ? { ...base, startedAt: createdAt } : { ...base, finishedAt: createdAt, error: 'x' };
    return {
      ...base,
      s3Key: `${sourceId}/shop/${createdAt.slice(0, 19).replace('T', '_').replaceAll(':', '-')}.sql.gz`,
      compressedBytes: 50_000_000 + (i % 1000),
      uncompressedBytes: 200_000_000,
      sha256: i.toString(16).padStart(64, '0'),
      tables: 42,
      startedAt: createdAt,
      finishedAt: createdAt,
      durationMs: 60_000,
    };
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

interface Latency {
  readonly p50: number;
  readonly p95: number;
  readonly items: number;
}

/** One kind of request to time: a handler (bound to one table) and a query. */
class Probe {
  private readonly samples: number[] = [];
  private items = 0;

  constructor(
    private readonly handler: Handler,
    private readonly query: Record<string, string>,
  ) {}

  /** One request, timed from event to response; `record` false for warm-up. */
  async once(record: boolean): Promise<void> {
    const started = performance.now();
    const response = await this.handler(listEvent(this.query), context);
    const elapsed = performance.now() - started;
    if (response.statusCode !== 200)
      throw new Error(
        `GET /v1/backups ${JSON.stringify(this.query)} answered ${response.statusCode}: ${response.body}`,
      );
    this.items = (JSON.parse(response.body) as { items: unknown[] }).items.length;
    if (record) this.samples.push(elapsed);
  }

  latency(): Latency {
    const sorted = [...this.samples].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), items: this.items };
  }
}

/** Sequential requests: a warm-up of each probe, then `blocks` rounds in which every probe runs its share in turn. */
async function measure(probes: readonly Probe[], requests: number, warmup: number, blocks: number): Promise<void> {
  for (let i = 0; i < warmup; i++) for (const probe of probes) await probe.once(false);
  const perBlock = Math.ceil(requests / blocks);
  for (let b = 0; b < blocks; b++) {
    for (const probe of probes) for (let i = 0; i < perBlock; i++) await probe.once(true);
  }
}

/**
 * The list handler bound to `tableName`: a module instance of its own (a query string makes a distinct ESM
 * module), loaded with TABLE_NAME pointing at that table since handlers read it at load.
 */
async function listHandlerFor(tableName: string): Promise<Handler> {
  process.env.TABLE_NAME = tableName;
  const url = `${new URL('../../functions/backups/listBackups.ts', import.meta.url).href}?table=${tableName}`;
  return ((await import(url)) as { handler: Handler }).handler;
}

const ms = (value: number) => `${value.toFixed(2)} ms`.padStart(10);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '400' },
      warmup: { type: 'string', default: '200' },
      blocks: { type: 'string', default: '8' },
    },
  });
  const parsed = FlagsSchema.safeParse(values);
  if (!parsed.success) throw new Error(describeZodError(parsed.error));
  const { requests, warmup, blocks } = parsed.data;

  const dynamodb = await startDynamoDb();
  try {
    // DynamoDB Local accepts any credentials, but the SDK wants some.
    process.env.AWS_REGION ??= 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID ??= 'local';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
    process.env.KEEPSAKE_DYNAMODB_ENDPOINT = dynamodb.endpoint;
    const raw = new DynamoDBClient({ endpoint: dynamodb.endpoint });
    const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
    const { putBackupRecords } = await import('../../functions/shared/repositories/backups.ts');

    const sizes = [100, 10_000] as const;
    const probes = new Map<number, { first: Probe; filtered: Probe }>();
    for (const size of sizes) {
      const table: TableRef = { client, tableName: `keepsake-bench-${size}` };
      await raw.send(new CreateTableCommand(createTableInput(table.tableName)));
      const started = performance.now();
      await putBackupRecords(table, records(0, size));
      console.log(
        `seeded ${size.toLocaleString('en')} backups with BatchWriteItem in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      const handler = await listHandlerFor(table.tableName);
      probes.set(size, { first: new Probe(handler, {}), filtered: new Probe(handler, { ...FILTER }) });
    }
    const all = [...probes.values()].flatMap((p) => [p.first, p.filtered]);

    console.log(
      `\nGET /v1/backups through the real handler on DynamoDB Local: page size 25, ${warmup} warm-up requests each, then ${requests} each in ${blocks} alternating blocks`,
    );
    await measure(all, requests, warmup, blocks);

    const results = new Map(
      [...probes].map(([size, p]) => [size, { first: p.first.latency(), filtered: p.filtered.latency() }]),
    );
    for (const [size, { first, filtered }] of results) {
      console.log(`\n${size.toLocaleString('en')} backups`);
      console.log(
        `  first page                       p50 ${ms(first.p50)}   p95 ${ms(first.p95)}   (${first.items} items)`,
      );
      console.log(
        `  sourceId=${FILTER.sourceId}&status=${FILTER.status}  p50 ${ms(filtered.p50)}   p95 ${ms(filtered.p95)}   (${filtered.items} items)`,
      );
    }

    const small = results.get(100);
    const large = results.get(10_000);
    if (!small || !large) throw new Error('missing results');
    console.log(`\nratio 10,000 / 100 (target ≤ ${TARGET_RATIO}):`);
    let missed = 0;
    for (const [label, a, b] of [
      ['first page p50', small.first.p50, large.first.p50],
      ['first page p95', small.first.p95, large.first.p95],
      ['filtered page p50', small.filtered.p50, large.filtered.p50],
      ['filtered page p95', small.filtered.p95, large.filtered.p95],
    ] as const) {
      const ratio = b / a;
      if (ratio > TARGET_RATIO) missed++;
      console.log(
        `  ${label.padEnd(20)} ${ratio.toFixed(2).padStart(6)}   ${ratio <= TARGET_RATIO ? 'met' : 'MISSED'}`,
      );
    }
    if (missed) process.exitCode = 1;
  } finally {
    await dynamodb.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
