import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { deployConfigFrom } from '../../infra/config.ts';
import { KeepsakeStack } from '../../infra/keepsakeStack.ts';
import CDK_JSON from '../../cdk.json' with { type: 'json' };

/**
 * The whole stack as `cdk synth` builds it from `-c` context, without esbuild bundling (local mode and the template
 * tests need the template, not the Lambda bundles). The runner's image asset needs containers/backup/dist
 * (`npm run build:runner`; npm start and npm test build it).
 */
export function keepsakeApp(context: Record<string, unknown> = {}): { app: App; stack: KeepsakeStack } {
  const app = new App({ context: { ...CDK_JSON.context, 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new KeepsakeStack(app, 'Keepsake', { config: deployConfigFrom((key) => app.node.tryGetContext(key)) });
  return { app, stack };
}

export const keepsakeTemplate = (context: Record<string, unknown> = {}): Template =>
  Template.fromStack(keepsakeApp(context).stack);
