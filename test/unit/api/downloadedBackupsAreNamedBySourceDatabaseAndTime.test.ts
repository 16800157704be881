import { describe, expect, it } from 'vitest';
import { attachmentDisposition, downloadFileName } from '../../../functions/backups/downloadName.ts';

const backup = (overrides: Partial<Parameters<typeof downloadFileName>[0]> = {}) => ({
  sourceName: 'Shop',
  database: 'shop',
  createdAt: '2026-03-01T11:59:07.123Z',
  key: 'src-1/shop/2026-03-01_11-59-07.sql.gz',
  ...overrides,
});

describe('the name a downloaded backup is saved under', () => {
  it('is {source}-{database}-{UTC time}{the object key’s extension}', () => {
    expect(downloadFileName(backup())).toBe('Shop-shop-2026-03-01T11-59-07Z.sql.gz');
    expect(downloadFileName(backup({ key: 'src-1/app/2026-03-01_11-59-07.dump.gz', database: 'app' }))).toBe(
      'Shop-app-2026-03-01T11-59-07Z.dump.gz',
    );
    // A safety backup's label sits before the extension in its key; the file keeps the extension only.
    expect(downloadFileName(backup({ key: 'src-1/shop/2026-03-01_11-59-07_safety-ab12.sql.gz' }))).toBe(
      'Shop-shop-2026-03-01T11-59-07Z.sql.gz',
    );
  });

  it('keeps spaces and letters of any script but no separator, quote, control or direction character', () => {
    expect(downloadFileName(backup({ sourceName: 'demo (local MariaDB)' }))).toBe(
      'demo (local MariaDB)-shop-2026-03-01T11-59-07Z.sql.gz',
    );
    expect(downloadFileName(backup({ sourceName: '../prod\\eu "main"\u0007\ttab', database: 'Ünïcødé/日本' }))).toBe(
      '_prod_eu _main_tab-Ünïcødé_日本-2026-03-01T11-59-07Z.sql.gz',
    );
    // U+202E would show "…gz.exe" reversed: the extension read is always the real one.
    expect(downloadFileName(backup({ sourceName: 'x\u202eexe.' }))).toBe('x_exe.-shop-2026-03-01T11-59-07Z.sql.gz');
    expect(downloadFileName(backup({ sourceName: '...', database: ' ' }))).toBe('_-_-2026-03-01T11-59-07Z.sql.gz');
    expect(downloadFileName(backup({ sourceName: 'a'.repeat(100) }))).toBe(
      `${'a'.repeat(60)}-shop-2026-03-01T11-59-07Z.sql.gz`,
    );
  });
});

describe('the Content-Disposition it is sent with (RFC 6266)', () => {
  it('is a plain quoted filename for an ASCII name', () => {
    expect(attachmentDisposition('Shop-shop-2026-03-01T11-59-07Z.sql.gz')).toBe(
      'attachment; filename="Shop-shop-2026-03-01T11-59-07Z.sql.gz"',
    );
  });

  it("adds filename*=UTF-8'' (RFC 5987) after an ASCII stand-in for any other name", () => {
    expect(attachmentDisposition('Bücher (EU)-日本-x.sql.gz')).toBe(
      `attachment; filename="Bucher (EU)-__-x.sql.gz"; filename*=UTF-8''B%C3%BCcher%20%28EU%29-%E6%97%A5%E6%9C%AC-x.sql.gz`,
    );
  });
});
