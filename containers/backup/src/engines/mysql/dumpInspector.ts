import { Transform, type TransformCallback } from 'node:stream';

const TABLE_MARKER = Buffer.from('\nCREATE TABLE `');
const TAIL_BYTES = 512;

/**
 * Watches a mysqldump stream go by: counts its bytes and its `CREATE TABLE` statements, and keeps its last bytes
 * so that a dump which stopped early (no `-- Dump completed` trailer) is caught even when the tool exited 0.
 */
export class DumpInspector extends Transform {
  /** `bufferBytes` decouples producer and consumer (a dump and a compressor that reads in big blocks). */
  constructor(bufferBytes = 16 * 1024) {
    super({ highWaterMark: bufferBytes });
  }

  bytes = 0;
  tables = 0;
  private tail: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.tables += countStraddling(this.tail, chunk, TABLE_MARKER) + countOccurrences(chunk, TABLE_MARKER);
    this.tail = Buffer.concat([this.tail, chunk.subarray(-TAIL_BYTES)]).subarray(-TAIL_BYTES);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  /** True when the stream ended with mysqldump's completion trailer. */
  get completed(): boolean {
    return /-- Dump completed[^\n]*\n?\s*$/.test(this.tail.toString('latin1'));
  }
}

function countOccurrences(haystack: Buffer, needle: Buffer): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) count++;
  return count;
}

/** Matches that start in the previous chunk's tail and end in this chunk. */
function countStraddling(previous: Buffer, chunk: Buffer, needle: Buffer): number {
  const span = needle.length - 1;
  if (previous.length === 0 || span === 0) return 0;
  return countOccurrences(Buffer.concat([previous.subarray(-span), chunk.subarray(0, span)]), needle);
}
