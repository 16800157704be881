import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Page } from '../../../types/api.ts';
import { DataSourceSchema, type DataSource } from '../../../types/dataSource.ts';
import { collections, keys } from '../keys.ts';
import { queryPage, withoutKeys, type TableRef } from './table.ts';

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
  const out = await table.client.send(new GetCommand({ TableName: table.tableName, Key: keys.dataSource(id), ConsistentRead: true }));
  return out.Item ? toRecord(out.Item) : undefined;
}

/** Creates the item; fails with ConditionalCheckFailedException if the id is taken. */
export async function putNewDataSource(table: TableRef, record: DataSourceRecord): Promise<void> {
  await table.client.send(
    new PutCommand({ TableName: table.tableName, Item: dataSourceItem(record), ConditionExpression: 'attribute_not_exists(pk)' }),
  );
}

export async function deleteDataSourceItem(table: TableRef, id: string): Promise<void> {
  await table.client.send(new DeleteCommand({ TableName: table.tableName, Key: keys.dataSource(id) }));
}

/** Sources ordered by name. */
export async function listDataSources(table: TableRef, page: { limit: number; cursor?: string }): Promise<Page<DataSource>> {
  return queryPage(table, { index: 'gsi1', partition: collections.sources, ...page }, (item) => toDataSource(toRecord(item)));
}
