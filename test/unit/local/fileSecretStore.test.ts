import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { passwordFromSecret, passwordSecret, secretStoreFromEnv } from '../../../functions/shared/secretStore.ts';
import {
  fileSecretStore,
  memorySecretStore,
  useFileSecretStore,
  useMemorySecretStore,
} from '../../../scripts/local/secretStores.ts';

const PASSWORD = 'correct horse battery staple';
const REF = /^arn:aws:secretsmanager:local:000000000000:secret:keepsake\/data-source\/a-[0-9a-f]{6}$/;

let parent: string;
/** The store's directory, inside a fresh temporary one so the store has to create it. */
let dir: string;

beforeEach(async () => {
  parent = await mkdtemp(join(tmpdir(), 'keepsake-secrets-'));
  dir = join(parent, 'secrets');
});

afterEach(async () => {
  await rm(parent, { recursive: true, force: true });
});

type SecretsFile = {
  version: number;
  names: string[];
  secrets: Record<string, { name: string; iv: string; tag: string; data: string }>;
};

async function readSecretsFile(): Promise<SecretsFile> {
  return JSON.parse(await readFile(join(dir, 'secrets.json'), 'utf8')) as SecretsFile;
}

async function writeSecretsFile(file: SecretsFile): Promise<void> {
  await writeFile(join(dir, 'secrets.json'), JSON.stringify(file));
}

/** The error `promise` rejects with. */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('the file secret store', () => {
  it('round-trips put, get, update and delete by an ARN-shaped reference', async () => {
    const store = fileSecretStore(dir);
    const ref = await store.put('keepsake/data-source/a', passwordSecret('one'));
    expect(ref).toMatch(REF);
    expect(passwordFromSecret(await store.get(ref))).toBe('one');
    await store.update(ref, passwordSecret('two'));
    expect(passwordFromSecret(await store.get(ref))).toBe('two');
    await store.delete(ref);
    expect((await rejectionOf(store.get(ref))).name).toBe('ResourceNotFoundException');
  });

  it('keeps the secrets across a restart (a second store over the same directory)', async () => {
    const first = fileSecretStore(dir);
    const kept = await first.put('keepsake/data-source/a', passwordSecret(PASSWORD));
    const updated = await first.put('keepsake/data-source/b', 'old');
    await first.update(updated, 'new');

    const second = fileSecretStore(dir);
    expect(passwordFromSecret(await second.get(kept))).toBe(PASSWORD);
    await expect(second.get(updated)).resolves.toBe('new');
    expect((await rejectionOf(second.put('keepsake/data-source/a', 'x'))).name).toBe('ResourceExistsException');
  });

  it('writes no plaintext, no leftover files, and only owner-readable files in an owner-only directory', async () => {
    const store = fileSecretStore(dir);
    const ref = await store.put('keepsake/data-source/a', passwordSecret(PASSWORD));
    await store.update(ref, passwordSecret(`${PASSWORD} 2`));
    await store.put('keepsake/data-source/b', PASSWORD);

    const files = (await readdir(dir)).sort();
    expect(files).toEqual(['local.key', 'secrets.json']);
    for (const file of files) expect(await readFile(join(dir, file), 'latin1')).not.toContain(PASSWORD);
    // Base64 would hide a plain value from the search above: look inside the decoded fields too.
    for (const entry of Object.values((await readSecretsFile()).secrets)) {
      for (const field of [entry.iv, entry.tag, entry.data])
        expect(Buffer.from(field, 'base64').toString('latin1')).not.toContain(PASSWORD);
    }
    expect(await mode(dir)).toBe(0o700);
    expect(await mode(join(dir, 'local.key'))).toBe(0o600);
    expect(await mode(join(dir, 'secrets.json'))).toBe(0o600);
    expect((await readFile(join(dir, 'local.key'))).length).toBe(32);
    const content = await readSecretsFile();
    expect(content.version).toBe(1);
    expect(content.names).toEqual(['keepsake/data-source/a', 'keepsake/data-source/b']);
  });

  it('refuses a taken name, keeps it taken after a delete with recovery, and frees it after one without', async () => {
    const store = fileSecretStore(dir);
    const ref = await store.put('keepsake/data-source/a', 'x');
    const taken = await rejectionOf(store.put('keepsake/data-source/a', 'y'));
    expect(taken.name).toBe('ResourceExistsException');
    expect(taken.message).toBe('a secret named keepsake/data-source/a already exists');
    await store.delete(ref);
    expect((await rejectionOf(store.put('keepsake/data-source/a', 'y'))).name).toBe('ResourceExistsException');

    const other = await store.put('keepsake/data-source/b', 'x');
    await store.delete(other, { withoutRecovery: true });
    const again = await store.put('keepsake/data-source/b', 'y');
    expect(again).not.toBe(other);
    await expect(store.get(again)).resolves.toBe('y');
  });

  it('answers ResourceNotFoundException for an unknown reference, on every operation', async () => {
    const store = fileSecretStore(dir);
    await store.put('keepsake/data-source/a', 'x');
    const unknown = 'arn:aws:secretsmanager:local:000000000000:secret:keepsake/data-source/zz-abcdef';
    for (const attempt of [
      store.get(unknown),
      store.update(unknown, 'v'),
      store.delete(unknown),
      store.get('constructor'),
    ]) {
      expect((await rejectionOf(attempt)).name).toBe('ResourceNotFoundException');
    }
  });

  it('refuses a tampered value without quoting it', async () => {
    const ref = await fileSecretStore(dir).put('keepsake/data-source/a', passwordSecret(PASSWORD));
    const content = await readSecretsFile();
    const entry = content.secrets[ref]!;
    const data = Buffer.from(entry.data, 'base64');
    data[0]! ^= 0x01;
    entry.data = data.toString('base64');
    await writeSecretsFile(content);

    const error = await rejectionOf(fileSecretStore(dir).get(ref));
    expect(error.message).toContain(join(dir, 'secrets.json'));
    expect(error.message).toContain('does not decrypt');
    expect(`${error.message} ${String(error.cause)} ${error.stack}`).not.toContain(PASSWORD);
  });

  it('refuses a value moved to another reference', async () => {
    const store = fileSecretStore(dir);
    const a = await store.put('keepsake/data-source/a', passwordSecret(PASSWORD));
    const b = await store.put('keepsake/data-source/b', passwordSecret('other'));
    const content = await readSecretsFile();
    content.secrets[b] = { ...content.secrets[a]!, name: 'keepsake/data-source/b' };
    await writeSecretsFile(content);

    const error = await rejectionOf(store.get(b));
    expect(error.message).toContain('does not decrypt');
    expect(error.message).not.toContain(PASSWORD);
    expect(passwordFromSecret(await store.get(a))).toBe(PASSWORD);
  });

  it('refuses to decrypt with another key, and names a key file of the wrong length', async () => {
    const ref = await fileSecretStore(dir).put('keepsake/data-source/a', PASSWORD);
    const keyPath = join(dir, 'local.key');
    await writeFile(keyPath, Buffer.alloc(32, 7));
    const wrongKey = await rejectionOf(fileSecretStore(dir).get(ref));
    expect(wrongKey.message).toContain(keyPath);
    expect(wrongKey.message).not.toContain(PASSWORD);

    await writeFile(keyPath, Buffer.alloc(31, 7));
    expect((await rejectionOf(fileSecretStore(dir).get(ref))).message).toContain(
      `the secret store key ${keyPath} holds 31 bytes instead of 32`,
    );
  });

  it('names a corrupt data file without quoting it', async () => {
    const store = fileSecretStore(dir);
    await store.put('keepsake/data-source/a', 'x');
    const dataPath = join(dir, 'secrets.json');

    await writeFile(dataPath, `{"version": 1, "names": ["${PASSWORD}"`);
    const notJson = await rejectionOf(store.put('keepsake/data-source/b', 'y'));
    expect(notJson.message).toBe(`the secret store file ${dataPath} is corrupt: it is not JSON`);

    await writeFile(
      dataPath,
      JSON.stringify({ version: 1, names: [], secrets: { r: { name: 'a', iv: PASSWORD, tag: 'AA==', data: 'AA==' } } }),
    );
    const badShape = await rejectionOf(store.get('r'));
    expect(badShape.message).toBe(`the secret store file ${dataPath} is corrupt: unexpected content at secrets.r.iv`);
  });

  it('loses none of 20 concurrent puts, across two stores of this process over the same directory', async () => {
    const stores = [fileSecretStore(dir), fileSecretStore(dir)];
    const names = Array.from({ length: 20 }, (_, i) => `keepsake/data-source/s${i}`);
    const refs = await Promise.all(names.map((name, i) => stores[i % 2]!.put(name, `value ${i}`)));

    const restarted = fileSecretStore(dir);
    expect(await Promise.all(refs.map((ref) => restarted.get(ref)))).toEqual(names.map((_, i) => `value ${i}`));
    expect((await readSecretsFile()).names.sort()).toEqual([...names].sort());
    expect(await readdir(dir)).toHaveLength(2);
  });
});

describe('the in-memory secret store', () => {
  it('round-trips values by an ARN-shaped reference and keeps deleted names taken unless deleted at once', async () => {
    const store = memorySecretStore();
    const ref = await store.put('keepsake/data-source/a', passwordSecret('one'));
    expect(ref).toMatch(REF);
    expect(passwordFromSecret(await store.get(ref))).toBe('one');
    await store.update(ref, passwordSecret('two'));
    expect(passwordFromSecret(await store.get(ref))).toBe('two');
    await expect(store.put('keepsake/data-source/a', 'x')).rejects.toThrow(/already exists/);
    await store.delete(ref);
    await expect(store.get(ref)).rejects.toThrow(/not found/);
    await expect(store.put('keepsake/data-source/a', 'x')).rejects.toThrow(/already exists/);

    const other = await store.put('keepsake/data-source/b', 'x');
    await store.delete(other, { withoutRecovery: true });
    await expect(store.put('keepsake/data-source/b', 'y')).resolves.toMatch(/data-source\/b-/);
  });
});

describe('the store the handlers use outside AWS', () => {
  it('is the file store local mode puts in place, or one in-memory store however often a test sets up', async () => {
    const file = useFileSecretStore(dir);
    expect(secretStoreFromEnv()).toBe(file);
    const ref = await secretStoreFromEnv().put('keepsake/data-source/a', 'v');
    await expect(fileSecretStore(dir).get(ref)).resolves.toBe('v');

    const memory = useMemorySecretStore();
    expect(secretStoreFromEnv()).toBe(memory);
    expect(useMemorySecretStore()).toBe(memory);
  });
});
