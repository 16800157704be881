import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * The Powertools tracer every handler shares: it wraps the SDK clients (clients.ts) and each invocation
 * (http.ts, task.ts), so a trace runs from API Gateway or Step Functions through the Lambda to each AWS call.
 *
 * On only inside a Lambda function (`AWS_LAMBDA_FUNCTION_NAME`, which Lambda reserves): local mode and tests have
 * no X-Ray daemon, and Powertools' own test (any `AWS_EXECUTION_ENV`) would also switch it on in CloudShell,
 * CodeBuild or ECS. `POWERTOOLS_TRACE_ENABLED=false` turns it off in Lambda too.
 */
export const tracer = new Tracer({
  serviceName: 'keepsake',
  enabled: process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined,
});
