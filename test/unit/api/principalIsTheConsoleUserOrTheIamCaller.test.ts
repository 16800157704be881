import type { APIGatewayEventIdentity, APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { principalOf } from '../../../functions/shared/http.ts';
import { proxyEvent } from '../../../scripts/local/httpApi.ts';
import { cognitoSubOf } from '../../../types/audit.ts';

const ACCOUNT = '123456789012';
const POOL = 'eu-west-1_AbCdEfGhI';
const SUB = '7d3f2c1a-90b4-4e57-8c2d-5b6a1e0f9c33';
const IDENTITY_ID = 'eu-west-1:0f4c9a52-6b1e-4d7a-9e3f-2a8b7c6d5e41';

/** What API Gateway's AWS_IAM authorizer puts in `requestContext.identity`: every field, null where it has none. */
const identity = (fields: Partial<APIGatewayEventIdentity>): APIGatewayEventIdentity => ({
  accessKey: null,
  accountId: ACCOUNT,
  apiKey: null,
  apiKeyId: null,
  caller: null,
  clientCert: null,
  cognitoAuthenticationProvider: null,
  cognitoAuthenticationType: null,
  cognitoIdentityId: null,
  cognitoIdentityPoolId: null,
  principalOrgId: null,
  sourceIp: '203.0.113.7',
  user: null,
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0',
  userArn: null,
  vpcId: undefined,
  vpceId: undefined,
  ...fields,
});

function eventFrom(who: APIGatewayEventIdentity): APIGatewayProxyEvent {
  const event = proxyEvent({
    method: 'DELETE',
    resource: '/v1/backups/{id}',
    path: '/v1/backups/bk-1',
    pathParameters: { id: 'bk-1' },
    query: null,
    headers: {},
    body: null,
    principal: 'replaced',
  });
  return { ...event, requestContext: { ...event.requestContext, accountId: ACCOUNT, stage: 'prod', identity: who } };
}

/** Identity-pool credentials of a console user: the role is their group's, shared by everyone in it. */
const consoleUser = (provider: string | null) =>
  identity({
    accessKey: 'ASIAQ3EGRSTUVWXYZ123',
    caller: 'AROAQ3EGRSTUVWXYZ4567:CognitoIdentityCredentials',
    user: 'AROAQ3EGRSTUVWXYZ4567:CognitoIdentityCredentials',
    userArn: `arn:aws:sts::${ACCOUNT}:assumed-role/Keepsake-AuthadminRole1A2B3C4D-5E6F7G8H9I0J/CognitoIdentityCredentials`,
    cognitoAuthenticationType: 'authenticated',
    cognitoAuthenticationProvider: provider,
    cognitoIdentityId: IDENTITY_ID,
    cognitoIdentityPoolId: 'eu-west-1:3c9d8e7f-1a2b-4c5d-8e9f-0a1b2c3d4e5f',
  });

describe('the principal an audit event records', () => {
  it("is a console user's user pool sub, from the sign-in API Gateway names for identity-pool credentials", () => {
    const provider = `cognito-idp.eu-west-1.amazonaws.com/${POOL},cognito-idp.eu-west-1.amazonaws.com/${POOL}:CognitoSignIn:${SUB}`;
    const principal = principalOf(eventFrom(consoleUser(provider)));
    expect(principal).toBe(`cognito:${SUB}`);
    expect(cognitoSubOf(principal)).toBe(SUB);
  });

  it('is the same for every sign-in of one person, whatever their role or identity', () => {
    const provider = `cognito-idp.eu-west-1.amazonaws.com/${POOL},cognito-idp.eu-west-1.amazonaws.com/${POOL}:CognitoSignIn:${SUB}`;
    const asViewer = identity({
      ...consoleUser(provider),
      userArn: `arn:aws:sts::${ACCOUNT}:assumed-role/Keepsake-AuthviewerRole/CognitoIdentityCredentials`,
      cognitoIdentityId: 'eu-west-1:other',
    });
    expect(principalOf(eventFrom(asViewer))).toBe(principalOf(eventFrom(consoleUser(provider))));
  });

  it('falls back to the identity id for a Cognito identity without a user pool sign-in, never to the shared role', () => {
    expect(principalOf(eventFrom(consoleUser(null)))).toBe(IDENTITY_ID);
    expect(principalOf(eventFrom(consoleUser('graph.facebook.com')))).toBe(IDENTITY_ID);
    // The sign-in part without its provider is not what API Gateway writes: not trusted as a user.
    expect(principalOf(eventFrom(consoleUser(`:CognitoSignIn:${SUB}`)))).toBe(IDENTITY_ID);
  });

  it("is an IAM user's ARN", () => {
    const alice = identity({
      accessKey: 'AKIAQ3EGRSTUVWXYZ890',
      caller: 'AIDAQ3EGRSTUVWXYZ1234',
      user: 'AIDAQ3EGRSTUVWXYZ1234',
      userArn: `arn:aws:iam::${ACCOUNT}:user/alice`,
    });
    const principal = principalOf(eventFrom(alice));
    expect(principal).toBe(`arn:aws:iam::${ACCOUNT}:user/alice`);
    expect(cognitoSubOf(principal)).toBeUndefined();
  });

  it("is an assumed role's session ARN (an application, a CI job)", () => {
    const ci = identity({
      accessKey: 'ASIAQ3EGRSTUVWXYZ321',
      caller: 'AROAQ3EGRSTUVWXYZ7654:deploy-42',
      user: 'AROAQ3EGRSTUVWXYZ7654:deploy-42',
      userArn: `arn:aws:sts::${ACCOUNT}:assumed-role/KeepsakeCi/deploy-42`,
    });
    expect(principalOf(eventFrom(ci))).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/KeepsakeCi/deploy-42`);
  });

  it('is the caller when there is no ARN, and says unknown when there is nothing', () => {
    expect(principalOf(eventFrom(identity({ caller: 'AIDAQ3EGRSTUVWXYZ1234' })))).toBe('AIDAQ3EGRSTUVWXYZ1234');
    expect(principalOf(eventFrom(identity({})))).toBe('unknown');
  });

  it("names no principal but a console user's as a user pool sub", () => {
    for (const principal of [
      'keepsake:retention',
      `arn:aws:iam::${ACCOUNT}:user/cognito:x`,
      'cognito:',
      `cognito:${SUB}/x`,
      IDENTITY_ID,
    ]) {
      expect(cognitoSubOf(principal), principal).toBeUndefined();
    }
  });
});
