import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as z from 'zod';
import { replaceSecretStore, type SecretStore } from '../../functions/shared/secretStore.ts';

/** A reference shaped like a Secrets Manager ARN (name plus a random suffix) so nothing downstream tells them apart. */
function localRef(name: string): string {
  return `arn:aws:secretsmanager:local:000000000000:secret:${name}-${randomBytes(3).toString('hex')}`;
}

/** The errors the local stores throw, named as Secrets Manager names them so callers handle both alike. */
function nameTaken(name: string): Error {
  return Object.assign(new Error(`a secret named ${name} already exists`), { name: 'ResourceExistsException' });
}
function notFound(): Error {
  return Object.assign(new Error('secret not found'), { name: 'ResourceNotFoundException' });
}

/**
 * A secret store in this process's memory, for tests. NOT for production nor for local mode: values are plain text
 * in memory and vanish when the process exits (local mode uses `fileSecretStore`, which encrypts at rest and
 * survives a restart).
 */
export function memorySecretStore(): SecretStore {
  const secrets = new Map<string, { readonly name: string; value: string }>();
  /** Names stay taken after a deletion with recovery, as in Secrets Manager. */
  const names = new Set<string>();
  const known = (ref: string) => {
    const secret = secrets.get(ref);
    if (!secret) throw notFound();
    return secret;
  };
  return {
    async put(name, value) {
      if (names.has(name)) throw nameTaken(name);
      const ref = localRef(name);
      names.add(name);
      secrets.set(ref, { name, value });
      return ref;
    },
    async get(ref) {
      return known(ref).value;
    },
    async update(ref, value) {
      known(ref).value = value;
    },
    async delete(ref, options = {}) {
      const { name } = known(ref);
      secrets.delete(ref);
      if (options.withoutRecovery) names.delete(name);
    },
  };
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** `secrets.json`: each value AES-256-GCM encrypted under `local.key`, its ref as additional authenticated data. */
const secretFileSchema = z.object({
  version: z.literal(1),
  /** Every name taken, including those of secrets deleted with recovery. */
  names: z.array(z.string()),
  secrets: z.record(z.string(), z.object({ name: z.string(), iv: z.base64(), tag: z.base64(), data: z.base64() })),
});
type SecretFile = z.infer<typeof secretFileSchema>;
type EncryptedSecret = SecretFile['secrets'][string];

/** One chain per directory: operations of every file store of this process on that directory run one at a time. */
const chains = new Map<string, Promise<unknown>>();

function serially<T>(dir: string, operation: () => Promise<T>): Promise<T> {
  const run = (chains.get(dir) ?? Promise.resolve()).then(operation);
  chains.set(
    dir,
    run.catch(() => undefined),
  );
  return run;
}

function errorCode(error: unknown): unknown {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** Writes `content` to `path` with mode 0600 in full and on disk; the exclusive flag never reuses an existing file. */
async function writeNewFile(path: string, content: string | Buffer): Promise<void> {
  const file = await open(path, 'wx', 0o600);
  try {
    await file.writeFile(content);
    await file.sync();
  } finally {
    await file.close();
  }
}

async function readKey(keyPath: string): Promise<Buffer> {
  const key = await readFile(keyPath);
  if (key.length !== KEY_BYTES) {
    throw new Error(
      `the secret store key ${keyPath} holds ${key.length} bytes instead of ${KEY_BYTES}: it is damaged or not a key`,
    );
  }
  return key;
}

/**
 * The key in `keyPath`, created on first use. It is written in full to a temporary file and then hard-linked into
 * place, which fails if the key exists: two processes starting at once never overwrite each other's key, and
 * neither can read a half-written one.
 */
async function loadOrCreateKey(keyPath: string): Promise<Buffer> {
  try {
    return await readKey(keyPath);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  const temporary = `${keyPath}.tmp-${randomBytes(6).toString('hex')}`;
  await writeNewFile(temporary, randomBytes(KEY_BYTES));
  try {
    await link(temporary, keyPath);
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
  } finally {
    await unlink(temporary);
  }
  return readKey(keyPath);
}

/**
 * A secret store persisted in `dir`, for local mode: the same behaviour as `memorySecretStore`, but the passwords
 * survive a restart and are encrypted at rest.
 *
 * `dir` (created with mode 0700) holds `local.key`, 32 random bytes created once with mode 0600, and
 * `secrets.json` (mode 0600), whose values are AES-256-GCM encrypted under that key with a fresh IV each, the ref
 * as additional authenticated data so that a value moved to another ref does not decrypt. Anyone who can read the
 * key can read the secrets: this guards against the data file leaking alone (a backup, a copied folder), not
 * against the local user.
 *
 * Each operation reads the file afresh (another local-mode process may have written it) and replaces it
 * atomically (temporary file, then rename); operations of this process on `dir` run one at a time. Two processes
 * writing at the same moment can still lose one's change: local mode runs one API process.
 */
export function fileSecretStore(dir: string): SecretStore {
  const root = resolve(dir);
  const keyPath = join(root, 'local.key');
  const dataPath = join(root, 'secrets.json');
  let key: Buffer | undefined;

  const theKey = async (): Promise<Buffer> => {
    if (!key) {
      await mkdir(root, { recursive: true, mode: 0o700 });
      key = await loadOrCreateKey(keyPath);
    }
    return key;
  };

  const load = async (): Promise<SecretFile> => {
    let text: string;
    try {
      text = await readFile(dataPath, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return { version: 1, names: [], secrets: {} };
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // The parser's message quotes the text; the file's content stays out of errors.
      throw new Error(`the secret store file ${dataPath} is corrupt: it is not JSON`);
    }
    const parsed = secretFileSchema.safeParse(json);
    if (!parsed.success) {
      const where = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
      throw new Error(`the secret store file ${dataPath} is corrupt: unexpected content at ${where}`);
    }
    return parsed.data;
  };

  const save = async (file: SecretFile): Promise<void> => {
    const temporary = `${dataPath}.tmp-${randomBytes(6).toString('hex')}`;
    try {
      await writeNewFile(temporary, `${JSON.stringify(file, null, 2)}\n`);
      await rename(temporary, dataPath);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
  };

  const encrypt = (secretKey: Buffer, ref: string, name: string, value: string): EncryptedSecret => {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', secretKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(ref, 'utf8'));
    const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return {
      name,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
  };

  const decrypt = (secretKey: Buffer, ref: string, secret: EncryptedSecret): string => {
    const iv = Buffer.from(secret.iv, 'base64');
    const tag = Buffer.from(secret.tag, 'base64');
    const failure = `the secret ${ref} in ${dataPath} does not decrypt: the file was altered or ${keyPath} is not the key it was written with`;
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error(failure);
    try {
      const decipher = createDecipheriv('aes-256-gcm', secretKey, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(ref, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(secret.data, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      // Never chain the cause: nothing of the value, decrypted or not, goes into the error.
      throw new Error(failure);
    }
  };

  const known = (file: SecretFile, ref: string): EncryptedSecret => {
    const secret = Object.hasOwn(file.secrets, ref) ? file.secrets[ref] : undefined;
    if (!secret) throw notFound();
    return secret;
  };

  return {
    put: (name, value) =>
      serially(root, async () => {
        const secretKey = await theKey();
        const file = await load();
        if (file.names.includes(name)) throw nameTaken(name);
        const ref = localRef(name);
        file.names.push(name);
        file.secrets[ref] = encrypt(secretKey, ref, name, value);
        await save(file);
        return ref;
      }),
    get: (ref) =>
      serially(root, async () => {
        const secretKey = await theKey();
        return decrypt(secretKey, ref, known(await load(), ref));
      }),
    update: (ref, value) =>
      serially(root, async () => {
        const secretKey = await theKey();
        const file = await load();
        const { name } = known(file, ref);
        file.secrets[ref] = encrypt(secretKey, ref, name, value);
        await save(file);
      }),
    delete: (ref, options = {}) =>
      serially(root, async () => {
        const file = await load();
        const { name } = known(file, ref);
        delete file.secrets[ref];
        if (options.withoutRecovery) file.names = file.names.filter((taken) => taken !== name);
        await save(file);
      }),
  };
}

let sharedMemoryStore: SecretStore | undefined;

/**
 * Tests: every handler of this process keeps its secrets in one in-memory store, the same however often a test
 * sets its handlers up (those imported first keep the store they took). Returns that store.
 */
export function useMemorySecretStore(): SecretStore {
  sharedMemoryStore ??= memorySecretStore();
  replaceSecretStore(sharedMemoryStore);
  return sharedMemoryStore;
}

/** Local mode: every handler of this process keeps its secrets encrypted in `dir` (see `fileSecretStore`). */
export function useFileSecretStore(dir: string): SecretStore {
  const store = fileSecretStore(dir);
  replaceSecretStore(store);
  return store;
}
