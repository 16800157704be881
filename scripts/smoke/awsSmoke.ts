/**
 * `npm run smoke:aws`: the end-to-end check an operator runs after `cdk deploy` (see smoke.ts and README.md,
 * "Smoke test after deploying"). Exit 0 every step passed, 1 a step failed, 2 bad arguments or no credentials.
 */
import { main } from './smoke.ts';

process.exitCode = await main(process.argv.slice(2));
