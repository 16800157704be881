import { createHash } from 'node:crypto';

/**
 * A PEM bundle of about `characters` characters (RDS's global bundle is ~160 KB): certificate-shaped blocks of
 * deterministic base64, enough to measure and move around. Not a real certificate: no server checks it in tests.
 */
export function pemBundle(characters: number, seed = 'keepsake'): string {
  const blocks: string[] = [];
  let length = 0;
  for (let i = 0; length < characters; i++) {
    let der = Buffer.alloc(0);
    for (let j = 0; der.length < 1200; j++)
      der = Buffer.concat([der, createHash('sha512').update(`${seed}/${i}/${j}`).digest()]);
    const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
    const block = ['-----BEGIN CERTIFICATE-----', ...lines, '-----END CERTIFICATE-----', ''].join('\n');
    blocks.push(block);
    length += block.length;
  }
  return blocks.join('');
}
