import { Transform, type TransformCallback } from 'node:stream';

/**
 * A DEFINER clause where mysqldump writes one: at the start of a line, after `CREATE ` (routines), a version
 * comment (`/*!50013 ` views) or both (`/*!50003 CREATE*/ /*!50017 ` triggers, events). Anchoring it matters:
 * MariaDB's dump puts each row of an extended INSERT on its own line starting with `(`, so a text value that
 * merely contains `DEFINER=`a`@`b`` must never match.
 */
const DEFINER =
  /^((?:\/\*!\d{5} CREATE\*\/ )?(?:\/\*!\d{5} |CREATE )(?:ALGORITHM=\w+ )?)DEFINER=`(?:[^`]|``)*`@`(?:[^`]|``)*`/;
const MARKER = Buffer.from('DEFINER=');

/**
 * Rewrites `DEFINER=`user`@`host`` clauses (views, triggers, routines, events) to `DEFINER=CURRENT_USER`, so a
 * dump restores on managed MySQL (RDS, Aurora) where the restoring user has no SUPER privilege.
 * Works line by line across chunk boundaries; data lines (INSERT statements and their row lines) are never
 * touched, and chunks without the marker pass through without being decoded.
 */
export class DefinerRewrite extends Transform {
  private carry: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const lastNewline = data.lastIndexOf(0x0a);
    if (lastNewline === -1) {
      this.carry = data;
      callback();
      return;
    }
    this.carry = data.subarray(lastNewline + 1);
    callback(null, rewriteLines(data.subarray(0, lastNewline + 1)));
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.carry.length > 0 ? rewriteLines(this.carry) : undefined);
  }
}

function rewriteLines(lines: Buffer): Buffer {
  if (lines.indexOf(MARKER) === -1) return lines;
  // latin1 maps every byte to one char and back, so binary content survives the round trip untouched.
  const text = lines
    .toString('latin1')
    .split('\n')
    .map((line) => line.replace(DEFINER, '$1DEFINER=CURRENT_USER'))
    .join('\n');
  return Buffer.from(text, 'latin1');
}
