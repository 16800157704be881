import { spawn } from 'node:child_process';
import { crc32, inflateRawSync } from 'node:zlib';

/**
 * Splits a gzip file into its members (RFC 1952) and checks each one on its own: header, deflate stream, and
 * the trailer's CRC-32 and length. Throws on anything malformed, including trailing garbage.
 */
export function gzipMembers(file: Buffer): Buffer[] {
  const members: Buffer[] = [];
  let at = 0;
  while (at < file.length) {
    if (file.length - at < 18) throw new Error(`truncated gzip member at offset ${at}`);
    if (file[at] !== 0x1f || file[at + 1] !== 0x8b || file[at + 2] !== 8)
      throw new Error(`no gzip header at offset ${at}`);
    const flags = file[at + 3] ?? 0;
    let body = at + 10;
    if (flags & 0x04) body += 2 + file.readUInt16LE(body); // FEXTRA
    if (flags & 0x08) body = file.indexOf(0, body) + 1; // FNAME
    if (flags & 0x10) body = file.indexOf(0, body) + 1; // FCOMMENT
    if (flags & 0x02) body += 2; // FHCRC
    const { buffer, engine } = inflateRawSync(file.subarray(body), { info: true }) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    const trailer = body + engine.bytesWritten;
    if (trailer + 8 > file.length) throw new Error(`gzip member at offset ${at} has no trailer`);
    if (file.readUInt32LE(trailer) !== crc32(buffer)) throw new Error(`CRC mismatch in member at offset ${at}`);
    if (file.readUInt32LE(trailer + 4) !== buffer.length % 2 ** 32)
      throw new Error(`length mismatch in member at offset ${at}`);
    members.push(buffer);
    at = trailer + 8;
  }
  if (members.length === 0) throw new Error('no gzip member at all');
  return members;
}

/** Decompresses with the system's `gunzip -c`, which must exit 0 with nothing on stderr. */
export function systemGunzip(file: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('gunzip', ['-c'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0 && stderr === '') resolve(Buffer.concat(out));
      else reject(new Error(`gunzip -c exited with ${code}: ${stderr}`));
    });
    child.stdin.on('error', reject);
    child.stdin.end(file);
  });
}
