import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { RequestSigner } from '../../types/apiClient.ts';
import { executeApiSigner } from '../../types/sigV4.ts';

/** The region of an API Gateway URL (`https://{id}.execute-api.{region}.amazonaws.com/...`), else AWS_REGION. */
export function regionOf(url: URL, env: NodeJS.ProcessEnv = process.env): string {
  const match = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(url.hostname);
  const region = match?.[1] ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new Error(`cannot tell the region of ${url.origin}: set AWS_REGION`);
  return region;
}

/**
 * Signs API requests with SigV4 for API Gateway's AWS_IAM authorizer, with credentials from the standard chain
 * (environment, ~/.aws profiles, SSO, instance or task role), as the AWS CLI finds them. A caller that has already
 * resolved the chain (the smoke test) passes its provider, and `env` for the region of a non-execute-api host.
 */
export const sigV4Signer = (
  apiUrl: string,
  options: { readonly credentials?: AwsCredentialIdentityProvider; readonly env?: NodeJS.ProcessEnv } = {},
): RequestSigner =>
  executeApiSigner({
    region: regionOf(new URL(apiUrl), options.env),
    credentials: options.credentials ?? defaultProvider(),
  });
