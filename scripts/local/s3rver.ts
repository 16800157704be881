import { S3Client } from '@aws-sdk/client-s3';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { freePort, portOpen, startProcess, waitUntil } from './processes.ts';

/** s3rver's fixed credentials; any SDK client pointed at it must sign with these. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface LocalS3 {
  readonly endpoint: string;
  readonly port: number;
  readonly bucket: string;
  /** The server's process: the bench reads its CPU time, which shares the machine's cores with a backup. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** Runs s3rver as its own process (as S3 is: its CPU is not the runner's) with one bucket created. */
export async function startS3rver(directory: string, bucket: string): Promise<LocalS3> {
  await mkdir(directory, { recursive: true });
  const port = await freePort();
  const bin = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');
  const proc = startProcess(process.execPath, [
    bin,
    '-d',
    directory,
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    '--silent',
    '--configure-bucket',
    bucket,
  ]);
  await waitUntil(`s3rver on port ${port}`, 30_000, async () => {
    if (proc.child.exitCode !== null) throw new Error(`s3rver exited: ${proc.stderr}`);
    return portOpen(port);
  });
  return { endpoint: `http://127.0.0.1:${port}`, port, bucket, pid: proc.child.pid, stop: () => proc.stop() };
}

/** An SDK client for a local s3rver: its credentials, path-style URLs, no default request checksums. */
export function localS3Client(endpoint: string): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
