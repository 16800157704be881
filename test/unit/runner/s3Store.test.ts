import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  PutObjectTaggingCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createS3Client,
  onUploadFailure,
  partSizeFor,
  openObject,
  readTaggedChecksum,
  tagChecksum,
} from '../../../containers/backup/src/s3Store.ts';
import { RESULT_TAGS, backupKey, type S3Location } from '../../../types/job.ts';

const AT = new Date('2024-03-05T07:08:09.987Z');

describe('backupKey', () => {
  it('is {sourceId}/{database}/{YYYY-MM-DD_HH-mm-ss}.sql.gz', () => {
    expect(backupKey('mysql', 'src-1', 'shop', AT)).toBe('src-1/shop/2024-03-05_07-08-09.sql.gz');
    expect(backupKey('mysql', 'src-1', 'shop', new Date('1999-12-31T23:59:59.999Z'))).toBe(
      'src-1/shop/1999-12-31_23-59-59.sql.gz',
    );
  });

  describe('in a non-UTC time zone', () => {
    const saved = process.env.TZ;
    beforeEach(() => {
      process.env.TZ = 'Pacific/Auckland';
    });
    afterEach(() => {
      process.env.TZ = saved;
    });

    it('still uses UTC', () => {
      expect(new Date('2024-03-05T12:00:00Z').getHours()).not.toBe(12);
      expect(backupKey('mysql', 'src-1', 'shop', AT)).toBe('src-1/shop/2024-03-05_07-08-09.sql.gz');
    });
  });

  it('URI-encodes odd database names so each stays one path segment', () => {
    expect(backupKey('mysql', 's', 'a/b', AT)).toBe('s/a%2Fb/2024-03-05_07-08-09.sql.gz');
    expect(backupKey('mysql', 's', 'my db', AT)).toBe('s/my%20db/2024-03-05_07-08-09.sql.gz');
    expect(backupKey('mysql', 's', 'ü日本', AT)).toBe('s/%C3%BC%E6%97%A5%E6%9C%AC/2024-03-05_07-08-09.sql.gz');
    expect(backupKey('mysql', 's', '100%?#&+', AT)).toBe('s/100%25%3F%23%26%2B/2024-03-05_07-08-09.sql.gz');
    expect(backupKey('mysql', 's', 'back\\slash`tick', AT)).toBe('s/back%5Cslash%60tick/2024-03-05_07-08-09.sql.gz');
    for (const name of ['a/b', 'x/../y', '/', 'a\nb'])
      expect(backupKey('mysql', 's', name, AT).split('/')).toHaveLength(3);
  });
});

describe('createS3Client', () => {
  const config = (client: S3Client): Record<string, unknown> => client.config as unknown as Record<string, unknown>;
  const value = async (client: S3Client, key: string): Promise<unknown> =>
    (config(client)[key] as () => Promise<unknown>)();

  it('keeps the SDK default checksums against AWS', async () => {
    const client = createS3Client({ bucket: 'my-backups', region: 'eu-west-1' });
    expect(await value(client, 'region')).toBe('eu-west-1');
    expect(await value(client, 'requestChecksumCalculation')).toBe('WHEN_SUPPORTED');
    expect(await value(client, 'responseChecksumValidation')).toBe('WHEN_SUPPORTED');
    expect(config(client).endpoint).toBeUndefined();
    expect(config(client).forcePathStyle).toBe(false);
  });

  it('uses WHEN_REQUIRED checksums and path style only with a custom endpoint', async () => {
    const client = createS3Client({ bucket: 'local', region: 'us-east-1', endpoint: 'http://127.0.0.1:4569' });
    expect(await value(client, 'requestChecksumCalculation')).toBe('WHEN_REQUIRED');
    expect(await value(client, 'responseChecksumValidation')).toBe('WHEN_REQUIRED');
    expect(config(client).forcePathStyle).toBe(true);
    expect(await value(client, 'endpoint')).toMatchObject({ hostname: '127.0.0.1', port: 4569, protocol: 'http:' });
  });

  it('lets a custom endpoint turn path style off', async () => {
    const client = createS3Client({
      bucket: 'local',
      region: 'us-east-1',
      endpoint: 'http://minio.local:9000',
      forcePathStyle: false,
    });
    expect(config(client).forcePathStyle).toBe(false);
    expect(await value(client, 'requestChecksumCalculation')).toBe('WHEN_REQUIRED');
  });
});

describe('payload signing', () => {
  /** The headers of the request as it would go on the wire, read after the SDK has signed it. */
  async function signedHeaders(
    client: S3Client,
    send: (client: S3Client) => Promise<unknown>,
  ): Promise<Record<string, string>> {
    let seen: Record<string, string> = {};
    client.middlewareStack.add(
      () => async (args) => {
        seen = (args.request as { headers: Record<string, string> }).headers;
        throw new Error('not sent');
      },
      { step: 'finalizeRequest', name: 'testWire', priority: 'low' },
    );
    await expect(send(client)).rejects.toThrow('not sent');
    return seen;
  }
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

  it.each([
    ['AWS', { bucket: 'b', region: 'eu-west-1' }],
    ['a custom endpoint', { bucket: 'b', region: 'us-east-1', endpoint: 'http://127.0.0.1:9' }],
  ])(
    'sends upload parts to %s signed but with an unsigned payload, so no part is hashed twice',
    async (_where, location) => {
      const client = createS3Client(location);
      client.config.credentials = async () => credentials;
      const headers = await signedHeaders(client, (c) =>
        c.send(
          new UploadPartCommand({ Bucket: 'b', Key: 'k', UploadId: 'u', PartNumber: 1, Body: Buffer.alloc(1024, 7) }),
        ),
      );
      expect(headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
      expect(headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/.*SignedHeaders=[^,]*x-amz-content-sha256/,
      );
    },
  );

  it('still signs the payload of every other request', async () => {
    const client = createS3Client({ bucket: 'b', region: 'eu-west-1' });
    client.config.credentials = async () => credentials;
    const headers = await signedHeaders(client, (c) =>
      c.send(new PutObjectTaggingCommand({ Bucket: 'b', Key: 'k', Tagging: { TagSet: [{ Key: 'a', Value: 'b' }] } })),
    );
    expect(headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('onUploadFailure', () => {
  it('reports a request that fails for good, and still fails the request', async () => {
    const client = createS3Client({ bucket: 'local', region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });
    const failure = Object.assign(new Error('socket hang up'), { name: 'NetworkingError' });
    // Stands in for the network: every request fails after the fail-fast middleware has been passed.
    client.middlewareStack.add(
      () => async () => {
        throw failure;
      },
      { step: 'finalizeRequest', name: 'testNetwork' },
    );
    const seen: unknown[] = [];
    onUploadFailure(client, (error) => seen.push(error));
    await expect(client.send(new GetObjectTaggingCommand({ Bucket: 'local', Key: 'k' }))).rejects.toBe(failure);
    expect(seen).toEqual([failure]);
  });
});

describe('object helpers', () => {
  // Mocks every S3Client's send; set up here (not at collection time) so the tests above use real clients.
  let s3: AwsClientStub<S3Client>;
  const location: S3Location = { bucket: 'my-backups', region: 'us-east-1' };
  const client = (): S3Client => new S3Client({ region: 'us-east-1' });
  beforeAll(() => {
    s3 = mockClient(S3Client);
  });
  beforeEach(() => s3.reset());
  afterAll(() => s3.restore());

  it('tags the checksum on the object', async () => {
    s3.on(PutObjectTaggingCommand).resolves({});
    await tagChecksum(client(), location, 'k.sql.gz', { [RESULT_TAGS.sha256]: 'f'.repeat(64) });
    expect(s3).toHaveReceivedCommandWith(PutObjectTaggingCommand, {
      Bucket: 'my-backups',
      Key: 'k.sql.gz',
      Tagging: { TagSet: [{ Key: 'keepsake-sha256', Value: 'f'.repeat(64) }] },
    });
  });

  it('reads the tagged checksum, or undefined when there is none', async () => {
    s3.on(GetObjectTaggingCommand, { Key: 'tagged' }).resolves({
      TagSet: [
        { Key: 'other', Value: 'x' },
        { Key: RESULT_TAGS.sha256, Value: 'abc' },
      ],
    });
    s3.on(GetObjectTaggingCommand, { Key: 'untagged' }).resolves({ TagSet: [] });
    expect(await readTaggedChecksum(client(), location, 'tagged')).toBe('abc');
    expect(await readTaggedChecksum(client(), location, 'untagged')).toBeUndefined();
  });

  it('says that a missing object does not exist', async () => {
    s3.on(GetObjectCommand).rejects(
      Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }),
    );
    s3.on(GetObjectTaggingCommand).rejects(Object.assign(new Error('Not Found'), { name: 'NotFound' }));
    await expect(openObject(client(), location, 'gone')).rejects.toThrow('s3://my-backups/gone does not exist');
    await expect(readTaggedChecksum(client(), location, 'gone')).rejects.toThrow('s3://my-backups/gone does not exist');
  });

  it('names other read errors', async () => {
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    await expect(openObject(client(), location, 'k')).rejects.toThrow(
      's3://my-backups/k cannot be read (AccessDenied: Access Denied)',
    );
  });

  it('returns the body stream of an object, with the version and ETag that read it again', async () => {
    const body = Readable.from([Buffer.from('gz')]);
    s3.on(GetObjectCommand).resolves({ Body: body as never, VersionId: 'v1', ETag: '"e1"' });
    expect(await openObject(client(), location, 'k')).toEqual({ body, pin: { versionId: 'v1', etag: '"e1"' } });
  });
});

describe('partSizeFor', () => {
  const MiB = 1024 * 1024;

  it('uses S3 minimum 5 MiB parts for ordinary databases', () => {
    expect(partSizeFor(0)).toBe(5 * MiB);
    expect(partSizeFor(20e9)).toBe(5 * MiB);
  });

  it('grows parts so twice the data estimate fits in 10,000 parts', () => {
    for (const dataBytes of [30e9, 500e9, 4e12]) {
      const part = partSizeFor(dataBytes);
      expect(part % MiB).toBe(0);
      expect(part * 10_000).toBeGreaterThanOrEqual(dataBytes * 2);
      expect((part - MiB) * 10_000).toBeLessThan(dataBytes * 2);
    }
  });
});
