import { Aws, Duration, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { REQUIRED_ROLE } from '../../functions/roles.ts';
import { apiRoutes } from '../../functions/routes.ts';
import { SIGN_IN_CALLBACK_PATH } from '../../types/consoleConfig.ts';
import { roleAllows, type Role } from '../../types/roles.ts';

/** Precedence decides `cognito:preferred_role` for a user in several groups: the lowest number, the widest role. */
const GROUPS: readonly { readonly role: Role; readonly precedence: number; readonly description: string }[] = [
  {
    role: 'admin',
    precedence: 0,
    description: 'Keepsake admins: everything, including data sources, schedules, restores, deletion and the audit log',
  },
  {
    role: 'operator',
    precedence: 1,
    description: 'Keepsake operators: read, and start, cancel, verify, download and trash backups',
  },
  { role: 'viewer', precedence: 2, description: 'Keepsake viewers: read only' },
];

/** A route's method ARN path: each `{parameter}` becomes `*`, which IAM matches across `/` too (hence the Deny below). */
const arnPath = (path: string) => path.replace(/\{[^}]+\}/g, '*');

/** cdk-nag findings on the user pool that are choices, each with why. */
const USER_POOL_ACKNOWLEDGEMENTS: Record<string, string> = {
  'AwsSolutions-COG2':
    'MFA is optional (TOTP) so that an invited operator can sign in once and enrol an authenticator app from the hosted UI; SMS MFA would need an SNS role and a spending limit.',
  'AwsSolutions-COG8':
    'The Plus feature plan (threat protection) costs per active user every month, more than all of idle Keepsake; sign-up is closed, passwords are strong and MFA is available.',
};

/** What the console needs to sign people in: written into its config.json. */
export interface ConsoleSignIn {
  readonly userPoolId: string;
  readonly userPoolClientId: string;
  readonly identityPoolId: string;
  /** The hosted UI's base URL (the user pool's Cognito prefix domain). */
  readonly authDomain: string;
}

export interface AuthProps {
  /** The API whose methods the groups' roles may invoke. */
  readonly restApi: apigw.RestApi;
  /** The first admin, invited by e-mail at deploy time (`-c adminEmail=…`); without it no user is created. */
  readonly adminEmail?: string;
}

/**
 * Who may use the console: a Cognito user pool (no self sign-up, e-mail sign-in, optional TOTP MFA) with the
 * hosted UI on a Cognito prefix domain and a public app client (authorization code with PKCE), the groups
 * viewer, operator and admin, and an identity pool that hands each signed-in user the IAM role of their widest
 * group. Each role may invoke exactly the API methods functions/roles.ts allows it, so the API refuses what the
 * console hides. Call {@link allowSignInFrom} with the console's URL: the app client's callback URLs name the
 * console, whose config.json names this client.
 */
export class Auth extends Construct {
  public readonly userPool: cognito.UserPool;
  public readonly client: cognito.UserPoolClient;
  public readonly identityPool: cognito.CfnIdentityPool;
  public readonly signIn: ConsoleSignIn;
  private consoleUrl: string | undefined;

  constructor(scope: Construct, id: string, props: AuthProps) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'Users', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(7),
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      userInvitation: {
        emailSubject: 'Your Keepsake console account',
        emailBody:
          'You have been invited to the Keepsake console. Sign in with the e-mail address {username} and the temporary password {####} (valid for 7 days); you will choose your own password then.',
      },
      // The accounts are the only copy of who may restore and delete backups: never deleted with the stack.
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const [ruleId, reason] of Object.entries(USER_POOL_ACKNOWLEDGEMENTS))
      Validations.of(this.userPool).acknowledge({ id: ruleId, reason });

    const stack = Stack.of(this);
    // Prefix domains are unique per Region across all accounts: the account id keeps ours apart, the stack name keeps
    // two stacks of one account apart. Cognito refuses prefixes containing aws, amazon or cognito.
    const stackPart =
      stack.stackName
        .toLowerCase()
        .replace(/aws|amazon|cognito|[^a-z0-9-]/g, '')
        .replace(/^-+/, '')
        .slice(0, 40) || 'keepsake';
    const domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: `${stackPart}-${Aws.ACCOUNT_ID}` },
    });

    // Resolved at synth, once allowSignInFrom has named the console (its URL is a token until deploy).
    const consoleUrl = (path: string) => Lazy.string({ produce: () => `${this.requireConsoleUrl()}${path}` });
    this.client = this.userPool.addClient('Console', {
      generateSecret: false,
      // No password flows for the app itself: people sign in on the hosted UI, the console only refreshes tokens.
      authFlows: { user: false },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [consoleUrl(SIGN_IN_CALLBACK_PATH)],
        logoutUrls: [consoleUrl('/')],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      // A working day: the refresh token lives in the tab's sessionStorage only.
      refreshTokenValidity: Duration.hours(12),
    });

    this.identityPool = new cognito.CfnIdentityPool(this, 'Identities', {
      allowUnauthenticatedIdentities: false,
      allowClassicFlow: false,
      cognitoIdentityProviders: [
        {
          providerName: this.userPool.userPoolProviderName,
          clientId: this.client.userPoolClientId,
          serverSideTokenCheck: true,
        },
      ],
    });

    const groups = {} as Record<Role, cognito.UserPoolGroup>;
    for (const group of GROUPS) {
      const role = new iam.Role(this, `${group.role}Role`, {
        description: `Keepsake console, ${group.role} group: the API methods a ${group.role} may call`,
        assumedBy: new iam.FederatedPrincipal(
          'cognito-identity.amazonaws.com',
          {
            StringEquals: { 'cognito-identity.amazonaws.com:aud': this.identityPool.ref },
            'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
          },
          'sts:AssumeRoleWithWebIdentity',
        ),
      });
      this.allowApi(role, group.role, props.restApi);
      groups[group.role] = this.userPool.addGroup(`${group.role}Group`, {
        groupName: group.role,
        description: group.description,
        precedence: group.precedence,
        role,
      });
    }

    // Each user gets the role of their widest group (cognito:preferred_role); a user in no group gets nothing.
    new cognito.CfnIdentityPoolRoleAttachment(this, 'RoleMapping', {
      identityPoolId: this.identityPool.ref,
      roleMappings: {
        console: {
          identityProvider: `${this.userPool.userPoolProviderName}:${this.client.userPoolClientId}`,
          type: 'Token',
          ambiguousRoleResolution: 'Deny',
        },
      },
    });

    if (props.adminEmail) {
      const admin = new cognito.CfnUserPoolUser(this, 'FirstAdmin', {
        userPoolId: this.userPool.userPoolId,
        username: props.adminEmail,
        desiredDeliveryMediums: ['EMAIL'],
        userAttributes: [
          { name: 'email', value: props.adminEmail },
          { name: 'email_verified', value: 'true' },
        ],
      });
      const membership = new cognito.CfnUserPoolUserToGroupAttachment(this, 'FirstAdminIsAdmin', {
        userPoolId: this.userPool.userPoolId,
        groupName: groups.admin.groupName,
        username: props.adminEmail,
      });
      membership.node.addDependency(admin);
    }

    this.signIn = {
      userPoolId: this.userPool.userPoolId,
      userPoolClientId: this.client.userPoolClientId,
      identityPoolId: this.identityPool.ref,
      authDomain: domain.baseUrl(),
    };
  }

  /** Lets the console at `url` (`https://…`, no trailing slash) receive sign-ins and sign-outs from the hosted UI. */
  allowSignInFrom(url: string): void {
    this.consoleUrl = url;
  }

  private requireConsoleUrl(): string {
    if (this.consoleUrl === undefined)
      throw new Error(
        `${this.node.path}: call allowSignInFrom(consoleUrl) so the hosted UI may send people back to the console`,
      );
    return this.consoleUrl;
  }

  /**
   * Allows `execute-api:Invoke` on exactly the methods `role` may call, and denies the others: a `*` for a path
   * parameter also matches longer paths (GET /v1/backups/* would match GET /v1/backups/{id}/download-url).
   */
  private allowApi(grantee: iam.Role, role: Role, restApi: apigw.RestApi): void {
    const stage = restApi.deploymentStage.stageName;
    const arnOf = (route: (typeof apiRoutes)[number]) =>
      restApi.arnForExecuteApi(route.method, arnPath(route.path), stage);
    const allowed = apiRoutes.filter((route) => roleAllows(role, REQUIRED_ROLE[route.operation]));
    const denied = apiRoutes.filter((route) => !allowed.includes(route));
    grantee.addToPolicy(new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: allowed.map(arnOf) }));
    if (denied.length > 0)
      grantee.addToPolicy(
        new iam.PolicyStatement({
          effect: iam.Effect.DENY,
          actions: ['execute-api:Invoke'],
          resources: denied.map(arnOf),
        }),
      );
    const resolve = (value: string) => `<${(Stack.of(this).resolve(value) as { Ref: string }).Ref}>`;
    for (const route of allowed.filter((r) => r.path.includes('{'))) {
      Validations.of(grantee).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:${resolve(restApi.restApiId)}/${resolve(stage)}/${route.method}${arnPath(route.path)}]`,
        reason: `${route.method} ${route.path}: the * stands for the path parameter, any id of this one API method; longer paths it would also match are denied unless the ${role} may call them.`,
      });
    }
  }
}
