import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { tracer } from './tracer.ts';

/**
 * The user pool's API, created once per container. Apart from clients.ts, which every handler imports: only the
 * audit log's Lambda names people, and loading this SDK client would add to every other Lambda's cold start.
 */
export const cognitoClient = tracer.captureAWSv3Client(new CognitoIdentityProviderClient({}));
