import { App } from 'aws-cdk-lib';
import { KeepsakeStack } from './keepsakeStack.ts';

// No env {account, region}: synth must work offline without credentials (see shared/TOOLCHAIN.md).
const app = new App();
new KeepsakeStack(app, 'Keepsake', {
  objectLock: app.node.tryGetContext('objectLock') === 'true' || app.node.tryGetContext('objectLock') === true,
});
