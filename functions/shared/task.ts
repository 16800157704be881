import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type * as z from 'zod';
import { fieldErrors } from '../../types/zodMessages.ts';
import { logger } from './logger.ts';
import { tracer } from './tracer.ts';

/** A state machine handed a task input its own definition should never produce: a bug, not a retryable fault. */
export class InvalidTaskInput extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTaskInput';
  }
}

/**
 * The middy chain of a Lambda that is a Step Functions task (not behind the API): an X-Ray subsegment per
 * invocation (errors included, the result left out), the input parsed with its zod schema, the Lambda context and
 * the execution's request id on every log line (never the input), and errors thrown as they are, so their `name`
 * (e.g. `Conflict`) is the `Error` a state's Catch or Retry matches on.
 */
export function taskHandler<S extends z.ZodType, R>(schema: S, operation: (input: z.output<S>) => Promise<R>) {
  return middy<unknown, R, Error, Context>()
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger, { logEvent: false, resetKeys: true }))
    .handler(async (event, context) => {
      logger.appendKeys({ requestId: context.awsRequestId, task: context.functionName });
      const parsed = schema.safeParse(event);
      if (!parsed.success) {
        const fields = fieldErrors(parsed.error);
        throw new InvalidTaskInput(
          `invalid task input: ${Object.entries(fields)
            .map(([f, m]) => `${f}: ${m}`)
            .join('; ')}`,
        );
      }
      try {
        return await operation(parsed.data);
      } catch (error) {
        logger.error('task failed', {
          error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
        });
        throw error;
      }
    });
}
