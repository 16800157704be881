#!/usr/bin/env node
// The `keepsake` command (package.json "bin"): runs the TypeScript CLI through tsx, as npm start does.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./keepsake.ts');
process.exitCode = await main(process.argv.slice(2));
