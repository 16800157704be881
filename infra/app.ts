import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { deployConfigFrom } from './config.ts';
import { KeepsakeStack } from './keepsakeStack.ts';

// No env {account, region}: synth must work offline without credentials (see shared/TOOLCHAIN.md).
const app = new App();
new KeepsakeStack(app, 'Keepsake', { config: deployConfigFrom((key) => app.node.tryGetContext(key)) });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
