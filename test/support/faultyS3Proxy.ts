import { createServer, request, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** The status this proxy answered with (injected or forwarded). */
  status?: number;
}

export interface FaultyS3Proxy {
  readonly endpoint: string;
  /** Every request the proxy received, in order. */
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

const ACCESS_DENIED = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>Access Denied (injected by the test proxy)</Message><RequestId>keepsake-test</RequestId></Error>`;

/**
 * An HTTP proxy in front of s3rver that answers `403 AccessDenied` (with S3's XML error body) to every request
 * `shouldFail` picks, and forwards everything else untouched. The Host header is kept, so SigV4 signatures made
 * for the proxy's address still verify at s3rver.
 */
export async function startFaultyS3Proxy(
  target: string,
  shouldFail: (request: SeenRequest) => boolean,
): Promise<FaultyS3Proxy> {
  const upstream = new URL(target);
  const requests: SeenRequest[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const seen: SeenRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams };
    requests.push(seen);
    if (shouldFail(seen)) {
      // Read the body first, so the client sees the answer rather than a reset connection it would retry.
      req.resume();
      req.once('end', () => {
        seen.status = 403;
        res.writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(ACCESS_DENIED) });
        res.end(ACCESS_DENIED);
      });
      return;
    }
    const headers: OutgoingHttpHeaders = { ...req.headers };
    // Node answers `Expect: 100-continue` itself; the header is not signed, so dropping it is safe.
    delete headers.expect;
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (answer) => {
        seen.status = answer.statusCode;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.once('error', (error) => {
      seen.status = 502;
      res.destroy(error);
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
