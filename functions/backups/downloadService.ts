import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { DownloadUrlResponse } from '../../types/backupApi.ts';
import { Conflict, NotFound } from '../shared/errors.ts';
import { recordAudit } from '../shared/repositories/audit.ts';
import { getBackupRecord } from '../shared/repositories/backups.ts';
import { getDataSource } from '../shared/repositories/dataSources.ts';
import type { TableRef } from '../shared/repositories/table.ts';
import { attachmentDisposition, downloadFileName } from './downloadName.ts';

/** How long a download link works. */
export const DOWNLOAD_URL_SECONDS = 5 * 60;

export interface DownloadDeps {
  readonly table: TableRef;
  readonly s3: S3Client;
  /** The backup bucket (env BACKUP_BUCKET_NAME). */
  readonly bucket: string;
  readonly now: () => Date;
}

/**
 * A presigned GET of a succeeded backup's object, valid for 5 minutes and saved as `{source}-{database}-{time}.sql.gz`
 * (S3 answers a signed GET's `response-content-disposition` with that header). The source is named by its id once
 * it is deleted. Handing out a copy of a database is recorded in the audit trail (before the link is returned).
 */
export async function downloadUrl(
  deps: DownloadDeps,
  request: { backupId: string; principal: string },
): Promise<DownloadUrlResponse> {
  const record = await getBackupRecord(deps.table, request.backupId);
  if (!record) throw new NotFound('backup', request.backupId);
  if (record.trashedAt)
    throw new Conflict(`backup ${record.id} is in the trash: take it out of the trash to download it`);
  if (record.status !== 'succeeded' || !record.s3Key)
    throw new Conflict(`backup ${record.id} is ${record.status}: only succeeded backups can be downloaded`);
  const now = deps.now();
  const source = await getDataSource(deps.table, record.sourceId);
  const fileName = downloadFileName({
    sourceName: source?.name ?? record.sourceId,
    database: record.database,
    createdAt: record.createdAt,
    key: record.s3Key,
  });
  const url = await getSignedUrl(
    deps.s3,
    new GetObjectCommand({
      Bucket: deps.bucket,
      Key: record.s3Key,
      ResponseContentDisposition: attachmentDisposition(fileName),
    }),
    { expiresIn: DOWNLOAD_URL_SECONDS, signingDate: now },
  );
  await recordAudit(deps.table, {
    principal: request.principal,
    action: 'backup.download',
    targetType: 'backup',
    targetId: record.id,
    summary: `object ${record.s3Key}`,
  });
  return { url, expiresAt: new Date(now.getTime() + DOWNLOAD_URL_SECONDS * 1000).toISOString() };
}
