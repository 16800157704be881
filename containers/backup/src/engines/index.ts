import type { DumpFormat, Engine } from '../../../../types/engines.ts';
import { formatOfKey, KNOWN_EXTENSIONS } from '../../../../types/engines.ts';
import { RunnerError } from '../errors.ts';
import type { DumpFormatReader, RunnerEngine } from './engine.ts';
import { mysqlEngine, mysqlSqlReader } from './mysql/index.ts';
import { pgCustomReader } from './postgresql/archive.ts';
import { postgresqlEngine } from './postgresql/index.ts';

/** The runner's side of an engine, as the job's connection names it. */
export function engineFor(engine: Engine): RunnerEngine {
  switch (engine) {
    case 'mysql':
    case 'mariadb':
      return mysqlEngine(engine);
    case 'postgresql':
      return postgresqlEngine;
  }
}

const READERS: Record<DumpFormat, DumpFormatReader> = { mysqlSql: mysqlSqlReader, pgCustom: pgCustomReader };

/** The reader of the format a backup object's key names (its extension). */
export function readerForKey(key: string): DumpFormatReader {
  const format = formatOfKey(key);
  if (format === undefined)
    throw new RunnerError(`cannot tell the format of ${key}: its key ends with neither ${KNOWN_EXTENSIONS}`);
  return READERS[format];
}
