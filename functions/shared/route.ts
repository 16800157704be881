/**
 * One API route: what the CDK API and the local HTTP adapter need to mount a handler. `handler` is the file
 * under `functions/` whose `handler` export serves it; `path` is the API Gateway resource (`{id}` parameters).
 */
export interface ApiRoute {
  readonly operation: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly handler: string;
}
