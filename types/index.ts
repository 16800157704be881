export * from './dataSource.ts';
export * from './backup.ts';
export * from './job.ts';
export * from './zodMessages.ts';
export * from './api.ts';
export * from './table.ts';
export * from './audit.ts';
