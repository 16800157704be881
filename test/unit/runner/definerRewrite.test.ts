import { describe, expect, it } from 'vitest';
import { DefinerRewrite } from '../../../containers/backup/src/engines/mysql/definerRewrite.ts';
import { chunksOf, randomBytesFrom, randomChunks, seeded, splitAt, through } from '../support/streams.ts';

const rewrite = (chunks: readonly Buffer[]): Promise<Buffer> => through(new DefinerRewrite(), chunks);
const rewriteText = async (text: string): Promise<string> => (await rewrite([Buffer.from(text)])).toString();

/** Each line as mysqldump writes it, and the line expected after the rewrite. */
const CASES: ReadonlyArray<readonly [string, string]> = [
  [
    '/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `trg` BEFORE INSERT ON `t` FOR EACH ROW SET NEW.x = 1 */;;',
    '/*!50003 CREATE*/ /*!50017 DEFINER=CURRENT_USER*/ /*!50003 TRIGGER `trg` BEFORE INSERT ON `t` FOR EACH ROW SET NEW.x = 1 */;;',
  ],
  ['CREATE DEFINER=`a``b`@`%` PROCEDURE `p`()', 'CREATE DEFINER=CURRENT_USER PROCEDURE `p`()'],
  [
    '/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */',
    '/*!50013 DEFINER=CURRENT_USER SQL SECURITY DEFINER */',
  ],
  [
    'CREATE DEFINER=`app`@`10.0.%.%` FUNCTION `f`(x INT) RETURNS int',
    'CREATE DEFINER=CURRENT_USER FUNCTION `f`(x INT) RETURNS int',
  ],
  [
    '/*!50106 CREATE*/ /*!50117 DEFINER=`ops@corp`@`host``x`*/ /*!50106 EVENT `ev` ON SCHEDULE EVERY 1 DAY DO SELECT 1 */ ;;',
    '/*!50106 CREATE*/ /*!50117 DEFINER=CURRENT_USER*/ /*!50106 EVENT `ev` ON SCHEDULE EVERY 1 DAY DO SELECT 1 */ ;;',
  ],
  ['/*!50013 DEFINER=``@`` SQL SECURITY INVOKER */', '/*!50013 DEFINER=CURRENT_USER SQL SECURITY INVOKER */'],
  [
    '/*!50013 DEFINER=`ünïcode`@`höst` SQL SECURITY DEFINER */',
    '/*!50013 DEFINER=CURRENT_USER SQL SECURITY DEFINER */',
  ],
];

const INSERT_LINES = [
  "INSERT INTO `audit` VALUES (1,'DEFINER=`root`@`localhost`'),(2,'CREATE DEFINER=`a`@`b` PROCEDURE');",
  "INSERT IGNORE INTO `t` VALUES ('/*!50017 DEFINER=`x`@`y`*/');",
];

/** mariadb-dump can write each row of an extended INSERT on a line of its own; those are data too. */
const ROW_LINES = [
  'INSERT INTO `audit` VALUES',
  "(3,'/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */'),",
  "(4,'CREATE DEFINER=`a`@`b` PROCEDURE `p`()'),",
  "(5,'/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/');",
];

const DUMP_IN = [
  '-- MySQL dump',
  'SET NAMES utf8mb4;',
  ...CASES.flatMap(([line]) => [line, INSERT_LINES[0] ?? '']),
  ...INSERT_LINES,
  '-- Dump completed',
  '',
].join('\n');
const DUMP_OUT = [
  '-- MySQL dump',
  'SET NAMES utf8mb4;',
  ...CASES.flatMap(([, line]) => [line, INSERT_LINES[0] ?? '']),
  ...INSERT_LINES,
  '-- Dump completed',
  '',
].join('\n');

describe('DefinerRewrite', () => {
  it.each(CASES)('rewrites %s', async (input, expected) => {
    expect(await rewriteText(`${input}\n`)).toBe(`${expected}\n`);
  });

  it('rewrites the last line even without a final newline', async () => {
    const [input, expected] = CASES[1] ?? ['', ''];
    expect(await rewriteText(input)).toBe(expected);
    expect(await rewriteText(`SELECT 1;\n${input}`)).toBe(`SELECT 1;\n${expected}`);
  });

  it('never touches INSERT lines', async () => {
    for (const line of INSERT_LINES) expect(await rewriteText(`${line}\n`)).toBe(`${line}\n`);
  });

  it('never touches the row lines of an extended INSERT, however it is split', async () => {
    const [definer, rewritten] = CASES[2] ?? ['', ''];
    const input = Buffer.from(`${definer}\n${ROW_LINES.join('\n')}\n${definer}\n`);
    const expected = `${rewritten}\n${ROW_LINES.join('\n')}\n${rewritten}\n`;
    for (let at = 0; at <= input.length; at += 3) {
      const out = (await rewrite(splitAt(input, at))).toString();
      if (out !== expected) expect({ at, out }).toEqual({ at, out: expected });
    }
  });

  it('leaves text without a definer exactly as it is', async () => {
    const text =
      'SQL SECURITY DEFINER\nDEFINER = CURRENT_USER\nDEFINER=CURRENT_USER\nDEFINER=root@localhost\n-- DEFINER=`unterminated\n';
    expect(await rewriteText(text)).toBe(text);
  });

  it('rewrites a whole dump the same way when it is split at every possible position', async () => {
    const input = Buffer.from(DUMP_IN);
    const expected = Buffer.from(DUMP_OUT);
    expect((await rewrite([input])).toString()).toBe(DUMP_OUT);
    for (let at = 0; at <= input.length; at++) {
      const out = await rewrite(splitAt(input, at));
      if (!out.equals(expected)) expect({ at, out: out.toString() }).toEqual({ at, out: DUMP_OUT });
    }
  });

  it('rewrites a definer cut into three pieces anywhere, and one fed a byte at a time', async () => {
    const input = Buffer.from(DUMP_IN);
    const start = input.indexOf('DEFINER=`a``b`');
    for (let i = start - 1; i <= start + 24; i++) {
      for (let j = i; j <= start + 24; j++) {
        const out = (await rewrite(splitAt(input, i, j))).toString();
        if (out !== DUMP_OUT) expect({ i, j, out }).toEqual({ i, j, out: DUMP_OUT });
      }
    }
    expect((await rewrite(chunksOf(input, 1))).toString()).toBe(DUMP_OUT);
    expect((await rewrite(randomChunks(seeded(31), input, 40))).toString()).toBe(DUMP_OUT);
  });

  it('keeps every one of the 256 byte values unchanged, next to a rewritten definer', async () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const [definer, rewritten] = CASES[0] ?? ['', ''];
    const input = Buffer.concat([
      all,
      Buffer.from(`\n${definer}\n`),
      all,
      Buffer.from(`\nINSERT INTO t VALUES (x'00');\n`),
      all,
    ]);
    const expected = Buffer.concat([
      all,
      Buffer.from(`\n${rewritten}\n`),
      all,
      Buffer.from(`\nINSERT INTO t VALUES (x'00');\n`),
      all,
    ]);
    for (const chunks of [[input], chunksOf(input, 1), chunksOf(input, 7), randomChunks(seeded(37), input, 100)]) {
      expect((await rewrite(chunks)).equals(expected)).toBe(true);
    }
  });

  it('passes random binary data through byte for byte', async () => {
    const random = seeded(41);
    for (const length of [1, 255, 4096, 100_000]) {
      const data = randomBytesFrom(random, length);
      expect((await rewrite(randomChunks(random, data, 3000))).equals(data)).toBe(true);
    }
    // Binary data that also contains the marker, on an INSERT line and elsewhere.
    const withMarker = Buffer.concat([
      randomBytesFrom(random, 5000),
      Buffer.from('\nINSERT DEFINER=`a`@`b`\xff\n', 'latin1'),
      randomBytesFrom(random, 5000),
    ]);
    expect((await rewrite(randomChunks(random, withMarker, 700))).equals(withMarker)).toBe(true);
  });

  it('keeps Windows line endings and multibyte UTF-8 intact', async () => {
    const text = "CREATE DEFINER=`ü`@`%` PROCEDURE `prøc`()\r\nSELECT '日本語';\r\n";
    const out = await rewrite(chunksOf(Buffer.from(text), 3));
    expect(out.toString('utf8')).toBe("CREATE DEFINER=CURRENT_USER PROCEDURE `prøc`()\r\nSELECT '日本語';\r\n");
  });
});
