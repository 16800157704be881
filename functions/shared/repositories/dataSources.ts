import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Page } from '../../../types/api.ts';
import { DataSourceSchema, type DataSource } from '../../../types/dataSource.ts';
import { indexKeys } from '../../../types/table.ts';
import { collections, keys } from '../keys.ts';
import { queryCollectionPage } from './collectionQuery.ts';
import { withoutKeys, type TableRef } from './table.ts';
import type { TransactItem } from './transactions.ts';

/** A data source as stored: the API shape plus where its password lives (never returned to clients). */
export interface DataSourceRecord extends DataSource {
  readonly passwordSecretArn: string;
}

const toRecord = (item: Record<string, unknown>): DataSourceRecord => withoutKeys<DataSourceRecord>(item);

/** The public shape: strict parsing drops nothing silently, so the secret reference is removed explicitly. */
export function toDataSource(record: DataSourceRecord): DataSource {
  const { passwordSecretArn: _secret, ...source } = record;
  return DataSourceSchema.parse(source);
}

export function dataSourceItem(record: DataSourceRecord): Record<string, unknown> {
  return {
    ...keys.dataSource(record.id),
    gsi1pk: collections.sources,
    gsi1sk: `${record.name.toLowerCase()}#${record.id}`,
    ...record,
  };
}

export async function getDataSource(table: TableRef, id: string): Promise<DataSourceRecord | undefined> {
  const out = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: keys.dataSource(id), ConsistentRead: true }),
  );
  return out.Item ? toRecord(out.Item) : undefined;
}

/** Creates the item; fails with ConditionalCheckFailedException if the id is taken. */
export async function putNewDataSource(table: TableRef, record: DataSourceRecord): Promise<void> {
  await table.client.send(
    new PutCommand({
      TableName: table.tableName,
      Item: dataSourceItem(record),
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

export async function deleteDataSourceItem(table: TableRef, id: string): Promise<void> {
  await table.client.send(new DeleteCommand({ TableName: table.tableName, Key: keys.dataSource(id) }));
}

/** Sources ordered by name. */
export async function listDataSources(
  table: TableRef,
  page: { limit: number; cursor?: string },
): Promise<Page<DataSource>> {
  return queryCollectionPage(table, { index: 'gsi1', partition: collections.sources, ...page }, (item) =>
    toDataSource(toRecord(item)),
  );
}

/** Transaction item creating a source; its condition fails if the id is taken. */
export function newDataSourcePut(table: TableRef, record: DataSourceRecord): TransactItem {
  return {
    Put: { TableName: table.tableName, Item: dataSourceItem(record), ConditionExpression: 'attribute_not_exists(pk)' },
  };
}

/**
 * Transaction item replacing a source read earlier; its condition fails if it was changed (or deleted) since,
 * so two concurrent updates cannot silently overwrite each other.
 */
export function replaceDataSourcePut(table: TableRef, record: DataSourceRecord, seenUpdatedAt: string): TransactItem {
  return {
    Put: {
      TableName: table.tableName,
      Item: dataSourceItem(record),
      ConditionExpression: 'updatedAt = :seen',
      ExpressionAttributeValues: { ':seen': seenUpdatedAt },
    },
  };
}

/** Transaction item switching a source on or off; its condition fails if the source is gone. */
export function setEnabledUpdate(table: TableRef, id: string, enabled: boolean, at: string): TransactItem {
  return {
    Update: {
      TableName: table.tableName,
      Key: keys.dataSource(id),
      UpdateExpression: 'SET enabled = :enabled, updatedAt = :at',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':enabled': enabled, ':at': at },
    },
  };
}

/** Transaction item deleting a source; its condition fails if the source is already gone. */
export function dataSourceDelete(table: TableRef, id: string): TransactItem {
  return {
    Delete: { TableName: table.tableName, Key: keys.dataSource(id), ConditionExpression: 'attribute_exists(pk)' },
  };
}

/** Transaction item deleting one schedule item (the schedule goes with its source). */
export function scheduleDelete(table: TableRef, scheduleId: string): TransactItem {
  return { Delete: { TableName: table.tableName, Key: keys.schedule(scheduleId) } };
}

/** Every item of a gsi2 collection, one page at a time (projected to what `select` names). */
async function* gsi2Pages(
  table: TableRef,
  partition: string,
  select: Pick<QueryCommandInput, 'Select' | 'ProjectionExpression' | 'ExpressionAttributeNames'>,
) {
  let start: Record<string, unknown> | undefined;
  do {
    const out = await table.client.send(
      new QueryCommand({
        TableName: table.tableName,
        IndexName: 'gsi2',
        KeyConditionExpression: '#gsi2pk = :pk',
        ...select,
        ExpressionAttributeNames: { ...select.ExpressionAttributeNames, '#gsi2pk': indexKeys('gsi2').partition },
        ExpressionAttributeValues: { ':pk': partition },
        ExclusiveStartKey: start,
      }),
    );
    yield out;
    start = out.LastEvaluatedKey;
  } while (start);
}

/** How many backups a source holds, and how many of those are in the trash: COUNT queries, no item read out. */
export async function countBackupsOf(table: TableRef, sourceId: string): Promise<{ total: number; inTrash: number }> {
  const count = async (collection: string) => {
    let n = 0;
    for await (const page of gsi2Pages(table, collection, { Select: 'COUNT' })) n += page.Count ?? 0;
    return n;
  };
  const [listed, inTrash] = await Promise.all([
    count(collections.backupsOf(sourceId)),
    count(collections.trashOf(sourceId)),
  ]);
  return { total: listed + inTrash, inTrash };
}

/** The ids of a source's schedules, from their keys (`SCHEDULE#<id>`). */
export async function scheduleIdsOf(table: TableRef, sourceId: string): Promise<string[]> {
  const ids: string[] = [];
  const prefix = keys.schedule('').pk;
  for await (const page of gsi2Pages(table, collections.schedulesOf(sourceId), {
    ProjectionExpression: '#pk',
    ExpressionAttributeNames: { '#pk': 'pk' },
  })) {
    for (const item of page.Items ?? []) {
      const pk = item.pk;
      if (typeof pk === 'string' && pk.startsWith(prefix)) ids.push(pk.slice(prefix.length));
    }
  }
  return ids;
}
