import type { Transform } from 'node:stream';
import type { Connection } from '../../../../types/dataSource.ts';
import type { DumpFormat, Engine } from '../../../../types/engines.ts';
import type { PasswordRef } from '../../../../types/job.ts';
import type { JobContext } from '../context.ts';
import type { ExitStatus } from '../processes.ts';

/** What the runner learns from the server before a dump. */
export interface ServerInfo {
  readonly version: string;
  /** Data and index bytes of what is dumped, as the server estimates them (sizes the upload's parts). */
  readonly dataBytes: number;
}

/**
 * Why a job reads a dump stream: `backup` watches it go by on its way to the store (the dump tool's exit status
 * vouches for the rest), `check` must prove on its own that the stream is a whole archive (verify, and the check of
 * the whole object before a restore), `restore` watches what the restore client is fed (which reads it all anyway).
 */
export type WatchPurpose = 'backup' | 'check' | 'restore';

/** The verdict on a dump stream that went by a `DumpWatch`. */
export type DumpVerdict = { readonly tables: number } | { readonly problem: string };

/** A pass-through stage on an uncompressed dump that counts it and judges, once it ended, whether it is whole. */
export interface DumpWatch {
  readonly stage: Transform;
  /** Uncompressed bytes seen so far. */
  readonly bytes: number;
  /** Settles after the stream ended (or was cut): never rejects, a stream that is not whole is a `problem`. */
  verdict(): Promise<DumpVerdict>;
}

/** A format's own reading of its dumps: needs client tools at most, never a connection. */
export interface DumpFormatReader {
  readonly format: DumpFormat;
  /** `env` is the environment for any tool it starts: never one that holds the password. */
  watch(purpose: WatchPurpose, ctx: JobContext, env: NodeJS.ProcessEnv): Promise<DumpWatch>;
}

/** How a restore makes its target ready; the answer says whether objects may be there already. */
export interface PrepareTarget {
  /** `false`: the safety step found no such database, so it is created plainly (one created since is refused). */
  readonly targetExisted?: boolean;
  /** A rollback: drop the target and create it afresh, so only the backup's objects remain. */
  readonly replaceTarget: boolean;
}

/** Where a restore writes, and what makes that the target once it succeeded (or cleans up after a failure). */
export interface PreparedTarget {
  /** The database the client restores into: the target itself, or one that takes its place when done. */
  readonly database: string;
  /** After the client succeeded: makes `database` the target. */
  commit(): Promise<void>;
  /** After the client failed: removes what only this restore made, never the target. */
  abandon(): Promise<void>;
}

/** The client that applies a dump read from its stdin to a database, and the stages the dump passes on its way. */
export interface RestoreCommand {
  readonly command: readonly [string, readonly string[]];
  /** What the client is called in messages and `onSpawn`. */
  readonly tool: string;
  /** Stages between the uncompressed dump and the client's stdin (MySQL's DEFINER rewrite). */
  readonly stages: readonly Transform[];
  /** The client's failure in its own words, naming the failing statement; default: its last lines. */
  readonly describeFailure?: (status: ExitStatus) => string;
}

/** One job's connection to its server: the engine's client tools with the credentials written where only they read. */
export interface EngineSession {
  /** What the dump tool is called in messages and `onSpawn`. */
  readonly dumpTool: string;
  /** The environment for the dump and restore clients: the runner's, without the password or its variable. */
  readonly childEnv: NodeJS.ProcessEnv;
  /** Values no message, log or result may carry. */
  readonly secrets: readonly string[];
  /** Connects to `database` once within the connect timeout: a wrong password or host fails here, before any upload. */
  probe(database: string): Promise<ServerInfo>;
  /** Whether `database` exists as the server decides it; throws when that cannot be told. */
  databaseExists(database: string): Promise<boolean>;
  dumpCommand(database: string): readonly [string, readonly string[]];
  /** Makes `target` ready to be written: created when absent, dropped and created again for a rollback. */
  prepareTarget(target: string, how: PrepareTarget): Promise<PreparedTarget>;
  /** Throws, before anything is read, when this client cannot restore safely (MySQL's sandbox option missing). */
  restoreCommand(database: string, options: { rewriteDefiners: boolean }): RestoreCommand;
  /** Base tables in `database`, as a dump of it counts them. */
  tableCount(database: string): Promise<number>;
  dropDatabase(database: string): Promise<void>;
}

/** The database access a job gives an engine. */
export interface EngineAccess {
  readonly connection: Connection;
  readonly password: string;
  readonly passwordRef: PasswordRef;
  readonly connectTimeoutSeconds: number;
}

/**
 * An engine of the runner: the seam every engine-specific step goes through. A new engine adds a folder under
 * `engines/`, its row in types/engines.ts and its case in `engines/index.ts`; backup, restore and verify stay as
 * they are.
 */
export interface RunnerEngine {
  readonly engine: Engine;
  readonly reader: DumpFormatReader;
  /**
   * Finds the client tools (and logs which), writes the credentials to a private directory, runs `fn` with a
   * session, and removes the directory afterwards, also after a failure or a stop.
   */
  withSession<T>(access: EngineAccess, ctx: JobContext, fn: (session: EngineSession) => Promise<T>): Promise<T>;
}
