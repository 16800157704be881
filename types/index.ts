export * from './dataSource.ts';
export * from './backup.ts';
export * from './job.ts';
export * from './zodMessages.ts';
