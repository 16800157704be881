#!/usr/bin/env node
// The `keepsake` command (package.json "bin"): runs the TypeScript CLI through tsx, as npm start does.
import { register } from 'tsx/esm/api';

// The AWS SDK's Node-version notice (a credential provider's STS or SSO client prints it on Node < 22) is for
// whoever maintains Keepsake's runtime, not for a person running a command; the SDK documents this switch for it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('./keepsake.ts');
process.exitCode = await main(process.argv.slice(2));
