import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it, vi } from 'vitest';
import { DumpInspector } from '../../../containers/backup/src/engines/mysql/dumpInspector.ts';
import { DigestTap, FinishGate } from '../../../containers/backup/src/streamTaps.ts';
import { Collector, chunksOf, randomBytesFrom, randomChunks, seeded, splitAt, through } from '../support/streams.ts';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** A small dump in mysqldump's own layout: three tables, a view, a trigger, and the completion trailer. */
const TRAILER = '-- Dump completed on 2024-05-01 12:34:56\n';
const DUMP = Buffer.from(
  [
    '-- MySQL dump 10.13  Distrib 8.4.3, for Linux (x86_64)',
    '--',
    '-- Host: db.example.com    Database: shop',
    '-- ------------------------------------------------------',
    '/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;',
    '',
    'DROP TABLE IF EXISTS `customers`;',
    '/*!40101 SET @saved_cs_client     = @@character_set_client */;',
    'CREATE TABLE `customers` (',
    '  `id` int NOT NULL AUTO_INCREMENT,',
    '  PRIMARY KEY (`id`)',
    ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;',
    "INSERT INTO `customers` VALUES (1,'no\\nCREATE TABLE `fake` here'),(2,'CREATE TABLE `x`');",
    'CREATE TABLE `orders` (`id` int) ENGINE=InnoDB;',
    '-- a comment that mentions CREATE TABLE `nothing`',
    'CREATE TABLE `odd ``name``` (`id` int);',
    '/*!50001 CREATE ALGORITHM=UNDEFINED */',
    '/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */',
    '/*!50001 VIEW `v` AS select 1 AS `1` */;',
    '/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `t` BEFORE INSERT ON `orders` FOR EACH ROW SET @x = 1 */;;',
    '/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;',
    '',
    TRAILER,
  ].join('\n'),
);
const DUMP_TABLES = 3;

async function inspect(chunks: readonly Buffer[]): Promise<{ inspector: DumpInspector; out: Buffer }> {
  const inspector = new DumpInspector();
  const out = await through(inspector, chunks);
  return { inspector, out };
}

describe('DigestTap', () => {
  it('passes bytes through unchanged while counting and hashing them, whatever the chunking', async () => {
    const random = seeded(1);
    for (const length of [1, 100, 65_536, 300_001]) {
      const data = randomBytesFrom(random, length);
      const tap = new DigestTap();
      const out = await through(tap, randomChunks(random, data, 20_000));
      expect(out.equals(data)).toBe(true);
      expect(tap.bytes).toBe(length);
      expect(tap.digest()).toBe(sha256(data));
    }
  });

  it('hashes an empty stream to the SHA-256 of nothing', async () => {
    const tap = new DigestTap();
    expect((await through(tap, [])).length).toBe(0);
    expect(tap.bytes).toBe(0);
    expect(tap.digest()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('gives the same digest for one big chunk and for single bytes', async () => {
    const data = Buffer.from('SELECT 1;\n'.repeat(50));
    const whole = new DigestTap();
    const bytewise = new DigestTap();
    await through(whole, [data]);
    await through(bytewise, chunksOf(data, 1));
    expect(bytewise.digest()).toBe(whole.digest());
    expect(bytewise.bytes).toBe(whole.bytes);
  });
});

describe('DumpInspector', () => {
  it('counts CREATE TABLE statements, not mentions inside data or comments, and passes bytes through', async () => {
    const { inspector, out } = await inspect([DUMP]);
    expect(inspector.tables).toBe(DUMP_TABLES);
    expect(inspector.bytes).toBe(DUMP.length);
    expect(out.equals(DUMP)).toBe(true);
    expect(inspector.completed).toBe(true);
  });

  it('counts a CREATE TABLE split across two chunks at every possible position', async () => {
    for (let at = 0; at <= DUMP.length; at++) {
      const { inspector, out } = await inspect(splitAt(DUMP, at));
      expect({ at, tables: inspector.tables, completed: inspector.completed }).toEqual({
        at,
        tables: DUMP_TABLES,
        completed: true,
      });
      expect(inspector.bytes).toBe(DUMP.length);
      expect(out.equals(DUMP)).toBe(true);
    }
  });

  it('counts a marker cut into three pieces anywhere, and one fed a byte at a time', async () => {
    const marker = DUMP.indexOf('\nCREATE TABLE `orders`');
    for (let i = marker - 2; i <= marker + 18; i++) {
      for (let j = i; j <= marker + 18; j++) {
        const { inspector } = await inspect(splitAt(DUMP, i, j));
        expect({ i, j, tables: inspector.tables }).toEqual({ i, j, tables: DUMP_TABLES });
      }
    }
    const { inspector } = await inspect(chunksOf(DUMP, 1));
    expect(inspector.tables).toBe(DUMP_TABLES);
    expect(inspector.completed).toBe(true);
  });

  it('counts many tables in a large dump cut into random chunks', async () => {
    const random = seeded(7);
    const table = (n: number): string =>
      `\nCREATE TABLE \`t${n}\` (\n  \`id\` int\n);\nINSERT INTO \`t${n}\` VALUES ${'(1),'.repeat(n % 50)}(0);\n`;
    const text = Buffer.from(`-- MySQL dump\n${Array.from({ length: 400 }, (_, n) => table(n)).join('')}${TRAILER}`);
    for (const maxChunk of [1, 7, 16, 100, 4096]) {
      const { inspector } = await inspect(randomChunks(random, text, maxChunk));
      expect({ maxChunk, tables: inspector.tables }).toEqual({ maxChunk, tables: 400 });
      expect(inspector.completed).toBe(true);
    }
  });

  describe('completed', () => {
    const body = DUMP.subarray(0, DUMP.length - TRAILER.length);

    it('is true when the stream ends with the trailer, with or without a final newline or blank lines', async () => {
      for (const ending of [TRAILER, TRAILER.trimEnd(), `${TRAILER}\n\n`, '-- Dump completed\n']) {
        const { inspector } = await inspect([body, Buffer.from(ending)]);
        expect({ ending, completed: inspector.completed }).toEqual({ ending, completed: true });
      }
    });

    it('is true when the trailer itself is split at every position', async () => {
      const dump = Buffer.concat([body, Buffer.from(TRAILER)]);
      for (let at = body.length - 5; at <= dump.length; at++) {
        const { inspector } = await inspect(splitAt(dump, at));
        expect({ at, completed: inspector.completed }).toEqual({ at, completed: true });
      }
    });

    it('is false when the dump stops without the trailer', async () => {
      expect((await inspect([body])).inspector.completed).toBe(false);
      // Cut anywhere before the trailer's text is complete.
      const cut = DUMP.subarray(0, DUMP.length - TRAILER.length + '-- Dump comple'.length);
      expect((await inspect([cut])).inspector.completed).toBe(false);
    });

    it('is false when more SQL follows the trailer', async () => {
      for (const after of [
        'INSERT INTO `t` VALUES (1);\n',
        'DROP TABLE `t`;',
        `${'x'.repeat(600)}\n`,
        `\n${'INSERT INTO `t` VALUES (2);\n'.repeat(100)}`,
      ]) {
        const { inspector } = await inspect([DUMP, Buffer.from(after)]);
        expect({ after: after.slice(0, 30), completed: inspector.completed }).toEqual({
          after: after.slice(0, 30),
          completed: false,
        });
      }
    });

    it('is false for an empty stream', async () => {
      const { inspector } = await inspect([]);
      expect(inspector.completed).toBe(false);
      expect(inspector.tables).toBe(0);
      expect(inspector.bytes).toBe(0);
    });
  });
});

describe('FinishGate', () => {
  function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  }

  const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

  it('passes data through at once but holds the end until its check resolves', async () => {
    const check = deferred();
    const checkFn = vi.fn(() => check.promise);
    const gate = new FinishGate(checkFn);
    const out = new Collector();
    const ended = vi.fn();
    gate.on('end', ended);
    const flow = pipeline(Readable.from([Buffer.from('abc'), Buffer.from('def')]), gate, out);

    await settle();
    expect(checkFn).toHaveBeenCalledTimes(1);
    expect(out.data.toString()).toBe('abcdef');
    expect(ended).not.toHaveBeenCalled();
    expect(out.writableFinished).toBe(false);

    check.resolve();
    await flow;
    expect(ended).toHaveBeenCalledTimes(1);
    expect(out.data.toString()).toBe('abcdef');
  });

  it('does not run its check before the input has ended', async () => {
    const checkFn = vi.fn(() => Promise.resolve());
    const gate = new FinishGate(checkFn);
    const source = new PassThrough();
    const flow = pipeline(source, gate, new Collector());
    source.write('partial');
    await settle();
    expect(checkFn).not.toHaveBeenCalled();
    source.end('rest');
    await flow;
    expect(checkFn).toHaveBeenCalledTimes(1);
  });

  it('errors the stream, and never ends it, when the check rejects', async () => {
    const check = deferred();
    const gate = new FinishGate(() => check.promise);
    const out = new Collector();
    const ended = vi.fn();
    gate.on('end', ended);
    const flow = pipeline(Readable.from([Buffer.from('data')]), gate, out);
    await settle();
    const failure = new Error('mysqldump exited with code 2');
    check.reject(failure);
    await expect(flow).rejects.toBe(failure);
    expect(ended).not.toHaveBeenCalled();
    expect(gate.destroyed).toBe(true);
  });
});
