import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { errorResponse } from './http.ts';
import { logger } from './logger.ts';

/** A route's handler: the export of a handler file (functions/<area>/<verbNoun>.ts). */
export type RouteHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * One Lambda serving several routes (operations that need exactly the same grants share one, infra/constructs/Api.ts):
 * each request goes to the handler of the route API Gateway matched, `METHOD /resource/{param}`, untouched. A route
 * it was not given means the API and the Lambda disagree: a logged 500, never another route's handler.
 */
export function routeTo(handlers: Readonly<Record<string, RouteHandler>>): RouteHandler {
  return async (event, context) => {
    const route = `${event.httpMethod} ${event.resource}`;
    const handler = Object.hasOwn(handlers, route) ? handlers[route] : undefined;
    if (!handler) {
      // Outside the handlers' middy chain: the log line must not carry the keys of this instance's last request.
      logger.resetKeys();
      logger.appendKeys({ requestId: event.requestContext?.requestId ?? context.awsRequestId, route });
      return errorResponse(new Error(`this function does not serve ${route}`));
    }
    return handler(event, context);
  };
}
