import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { REQUIRED_ROLE } from '../../functions/roles.ts';
import { deployConfigFrom } from '../../infra/config.ts';
import { apiRoutes } from '../../functions/routes.ts';
import { keepsakeTemplate } from '../../scripts/local/stack.ts';
import { roleAllows, type Role } from '../../types/roles.ts';
import { text } from '../support/cfnText.ts';

type Resource = ReturnType<Template['findResources']>[string];
type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Principal?: unknown;
  Condition?: unknown;
};

const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

describe('Auth', () => {
  const t = keepsakeTemplate({ adminEmail: 'first.admin@example.com' });
  const only = (type: string): [string, Resource] => {
    const found = Object.entries(t.findResources(type)) as [string, Resource][];
    expect(
      found.map(([id]) => id),
      type,
    ).toHaveLength(1);
    return found[0] as [string, Resource];
  };
  const [userPoolId, userPool] = only('AWS::Cognito::UserPool');
  const [clientId, client] = only('AWS::Cognito::UserPoolClient');
  const [identityPoolId, identityPool] = only('AWS::Cognito::IdentityPool');
  const [distributionId] = only('AWS::CloudFront::Distribution');
  const apiId = Object.keys(t.findResources('AWS::ApiGateway::RestApi'))[0];
  const stageId = Object.keys(t.findResources('AWS::ApiGateway::Stage'))[0];
  const groups = Object.values(t.findResources('AWS::Cognito::UserPoolGroup'));
  const roleIdOf = (role: Role) =>
    (groups.find((g) => g.Properties.GroupName === role)?.Properties.RoleArn['Fn::GetAtt'] as string[])[0] as string;
  const statementsOf = (roleId: string) =>
    Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  const methodArn = (method: string, path: string) =>
    `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiId}>/<${stageId}>/${method}${path}`;

  it('keeps a user pool that only admins add people to, signing in by e-mail with a strong password, optional TOTP and e-mail recovery', () => {
    expect(userPool.Properties).toMatchObject({
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      UsernameAttributes: ['email'],
      AutoVerifiedAttributes: ['email'],
      Policies: {
        PasswordPolicy: {
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        },
      },
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
      DeletionProtection: 'ACTIVE',
    });
    expect(userPool.DeletionPolicy).toBe('Retain');
    expect(userPool.UpdateReplacePolicy).toBe('Retain');
  });

  it('serves the hosted UI on a Cognito prefix domain named after the stack and the account', () => {
    const [, domain] = only('AWS::Cognito::UserPoolDomain');
    expect(text(domain.Properties.Domain)).toBe('keepsake-<AWS::AccountId>');
    expect(domain.Properties.UserPoolId).toEqual({ Ref: userPoolId });
    expect(domain.Properties.CustomDomainConfig).toBeUndefined();
  });

  it('has one public app client: authorization code only (PKCE, no secret), back to the console URL, no password flows', () => {
    expect(client.Properties).toMatchObject({
      UserPoolId: { Ref: userPoolId },
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      SupportedIdentityProviders: ['COGNITO'],
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
    });
    expect(client.Properties.CallbackURLs.map(text)).toEqual([`https://<${distributionId}.DomainName>/auth/callback`]);
    expect(client.Properties.LogoutURLs.map(text)).toEqual([`https://<${distributionId}.DomainName>/`]);
  });

  it('has the groups viewer, operator and admin, each with its role, the widest first (admin < operator < viewer)', () => {
    const precedence = Object.fromEntries(groups.map((g) => [g.Properties.GroupName, g.Properties.Precedence]));
    expect(precedence).toEqual({ admin: 0, operator: 1, viewer: 2 });
    for (const role of ROLES) {
      const roleResource = t.findResources('AWS::IAM::Role')[roleIdOf(role)] as Resource;
      // Only identities of this identity pool that signed in may take the role.
      expect(roleResource.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRoleWithWebIdentity',
          Principal: { Federated: 'cognito-identity.amazonaws.com' },
          Condition: {
            StringEquals: { 'cognito-identity.amazonaws.com:aud': { Ref: identityPoolId } },
            'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
          },
        },
      ]);
    }
    expect(new Set(ROLES.map(roleIdOf)).size).toBe(3);
  });

  it('gives signed-in users the role of their token (cognito:preferred_role), denies the ambiguous and never the unauthenticated', () => {
    expect(identityPool.Properties).toMatchObject({ AllowUnauthenticatedIdentities: false, AllowClassicFlow: false });
    expect(identityPool.Properties.CognitoIdentityProviders).toEqual([
      {
        ClientId: { Ref: clientId },
        ProviderName: { 'Fn::GetAtt': [userPoolId, 'ProviderName'] },
        ServerSideTokenCheck: true,
      },
    ]);
    const [, attachment] = only('AWS::Cognito::IdentityPoolRoleAttachment');
    expect(attachment.Properties.IdentityPoolId).toEqual({ Ref: identityPoolId });
    const mappings = Object.values(attachment.Properties.RoleMappings) as Record<string, unknown>[];
    expect(mappings).toHaveLength(1);
    expect(mappings[0]).toMatchObject({ Type: 'Token', AmbiguousRoleResolution: 'Deny' });
    expect(text(mappings[0]?.IdentityProvider)).toBe(`<${userPoolId}.ProviderName>:<${clientId}>`);
    // No default role: a user in no group gets no credentials at all.
    expect(attachment.Properties.Roles).toBeUndefined();
  });

  it("lists in each group role's Allow exactly the API methods its role may call (functions/roles.ts), and denies the rest", () => {
    for (const role of ROLES) {
      const statements = statementsOf(roleIdOf(role));
      const arns = (effect: string) =>
        statements
          .filter((s) => s.Effect === effect)
          .flatMap((s) => [s.Resource].flat().map(text))
          .sort();
      for (const s of statements) expect(s.Action).toBe('execute-api:Invoke');
      const expected = (allowed: boolean) =>
        apiRoutes
          .filter((r) => roleAllows(role, REQUIRED_ROLE[r.operation]) === allowed)
          .map((r) => methodArn(r.method, r.path.replace(/\{\w+\}/g, '*')))
          .sort();
      expect(arns('Allow'), role).toEqual(expected(true));
      expect(arns('Deny'), role).toEqual(expected(false));
    }
  });

  it('lets a viewer read but not restore or download, an operator download but not restore, and an admin do everything, as IAM evaluates it', () => {
    // IAM's ARN match: `*` matches any characters, `/` included; an explicit Deny wins over any Allow.
    const matches = (pattern: string, arn: string) =>
      new RegExp(
        `^${pattern
          .split('*')
          .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      ).test(arn);
    const mayInvoke = (role: Role, method: string, path: string) => {
      const arn = methodArn(method, path);
      const statements = statementsOf(roleIdOf(role));
      const hit = (effect: string) =>
        statements.some(
          (s) =>
            s.Effect === effect &&
            [s.Resource]
              .flat()
              .map(text)
              .some((p) => matches(p, arn)),
        );
      return hit('Allow') && !hit('Deny');
    };
    expect(mayInvoke('viewer', 'GET', '/v1/backups/b-1')).toBe(true);
    expect(mayInvoke('viewer', 'POST', '/v1/restores')).toBe(false);
    expect(mayInvoke('viewer', 'GET', '/v1/backups/b-1/download-url')).toBe(false);
    expect(mayInvoke('operator', 'GET', '/v1/backups/b-1/download-url')).toBe(true);
    expect(mayInvoke('operator', 'POST', '/v1/restores')).toBe(false);
    expect(mayInvoke('admin', 'POST', '/v1/restores')).toBe(true);
    expect(mayInvoke('admin', 'DELETE', '/v1/backups/b-1')).toBe(true);
    // Every route, with ids filled in, is callable exactly by the roles functions/roles.ts allows.
    for (const route of apiRoutes) {
      const path = route.path.replace(/\{\w+\}/g, 'id-1');
      for (const role of ROLES)
        expect(mayInvoke(role, route.method, path), `${role} ${route.method} ${route.path}`).toBe(
          roleAllows(role, REQUIRED_ROLE[route.operation]),
        );
    }
  });

  it('invites the first admin by e-mail into the admin group when adminEmail is given', () => {
    const [userId, user] = only('AWS::Cognito::UserPoolUser');
    expect(user.Properties).toEqual({
      UserPoolId: { Ref: userPoolId },
      Username: 'first.admin@example.com',
      DesiredDeliveryMediums: ['EMAIL'],
      UserAttributes: [
        { Name: 'email', Value: 'first.admin@example.com' },
        { Name: 'email_verified', Value: 'true' },
      ],
    });
    const [, membership] = only('AWS::Cognito::UserPoolUserToGroupAttachment');
    const adminGroupId = Object.entries(t.findResources('AWS::Cognito::UserPoolGroup')).find(
      ([, g]) => g.Properties.GroupName === 'admin',
    )?.[0];
    expect(membership.Properties).toEqual({
      UserPoolId: { Ref: userPoolId },
      GroupName: { Ref: adminGroupId },
      Username: 'first.admin@example.com',
    });
    expect(membership.DependsOn).toContain(userId);
  });

  it('refuses an adminEmail that is not an e-mail address, naming the field', () => {
    expect(() => deployConfigFrom((key) => (key === 'adminEmail' ? 'admin' : undefined))).toThrow(
      'invalid deploy context: adminEmail: adminEmail must be an e-mail address',
    );
  });

  it('creates no user without adminEmail', () => {
    const bare = keepsakeTemplate();
    bare.resourceCountIs('AWS::Cognito::UserPoolUser', 0);
    bare.resourceCountIs('AWS::Cognito::UserPoolUserToGroupAttachment', 0);
    bare.resourceCountIs('AWS::Cognito::UserPool', 1);
  });
});
