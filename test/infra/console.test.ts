import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { Console } from '../../infra/constructs/Console.ts';
import { keepsakeApp } from '../../scripts/local/stack.ts';
import { ConsoleConfigSchema } from '../../types/consoleConfig.ts';
import { text } from '../support/cfnText.ts';

const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';

type Resource = ReturnType<Template['findResources']>[string];
type Statement = {
  Effect: string;
  Action: string | string[];
  Principal?: unknown;
  Resource: unknown;
  Condition?: unknown;
};

/** One synth of the whole stack: the template and the cloud assembly's directory (where asset files are staged). */
function synthesized(): { t: Template; assemblyDir: string } {
  const { app, stack } = keepsakeApp();
  const assembly = app.synth();
  return {
    t: Template.fromJSON(assembly.getStackArtifact(stack.artifactId).template),
    assemblyDir: assembly.directory,
  };
}

describe('Console', () => {
  const { t, assemblyDir } = synthesized();
  const only = (type: string): [string, Resource] => {
    const found = Object.entries(t.findResources(type)) as [string, Resource][];
    expect(
      found.map(([id]) => id),
      type,
    ).toHaveLength(1);
    return found[0] as [string, Resource];
  };
  const [distributionId, distribution] = only('AWS::CloudFront::Distribution');
  const config = distribution.Properties.DistributionConfig;
  const behaviors: Resource[] = [config.DefaultCacheBehavior, ...config.CacheBehaviors];
  const siteBucketId =
    Object.entries(t.findResources('AWS::S3::Bucket')).find(
      ([, b]) => b.Properties.LoggingConfiguration?.LogFilePrefix === 'console/',
    )?.[0] ?? '';
  const accessLogsId =
    Object.keys(t.findResources('AWS::S3::Bucket')).find((id) => id.startsWith('StorageAccessLogs')) ?? '';
  const deployments = Object.entries(t.findResources('Custom::CDKBucketDeployment')) as [string, Resource][];
  const deployment = (match: (properties: Resource) => boolean) => {
    const found = deployments.filter(([, d]) => match(d.Properties));
    expect(found).toHaveLength(1);
    return found[0] as [string, Resource];
  };

  it('serves a private, TLS-only bucket that only this distribution can read, through origin access control', () => {
    expect(siteBucketId).toMatch(/^ConsoleSite/);
    const site = t.findResources('AWS::S3::Bucket')[siteBucketId] as Resource;
    expect(site.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(site.Properties.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: accessLogsId });

    const [oacId, oac] = only('AWS::CloudFront::OriginAccessControl');
    expect(oac.Properties.OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
    expect(config.Origins).toEqual([
      expect.objectContaining({
        DomainName: { 'Fn::GetAtt': [siteBucketId, 'RegionalDomainName'] },
        OriginAccessControlId: { 'Fn::GetAtt': [oacId, 'Id'] },
      }),
    ]);

    const policy = Object.values(t.findResources('AWS::S3::BucketPolicy')).find(
      (p) => p.Properties.Bucket.Ref === siteBucketId,
    ) as Resource;
    const statements = policy.Properties.PolicyDocument.Statement as Statement[];
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0]).toMatchObject({ Action: 's3:GetObject', Principal: { Service: 'cloudfront.amazonaws.com' } });
    expect(text(allows[0]?.Resource)).toBe(`<${siteBucketId}.Arn>/*`);
    const sourceArn = (allows[0]?.Condition as { StringEquals: { 'AWS:SourceArn': unknown } }).StringEquals[
      'AWS:SourceArn'
    ];
    expect(text(sourceArn)).toBe(`arn:<AWS::Partition>:cloudfront::<AWS::AccountId>:distribution/<${distributionId}>`);
  });

  it('redirects to HTTPS over HTTP/2 and HTTP/3 from price class 100 edges, with index.html at the root', () => {
    expect(config).toMatchObject({
      DefaultRootObject: 'index.html',
      HttpVersion: 'http2and3',
      PriceClass: 'PriceClass_100',
      Enabled: true,
    });
    for (const behavior of behaviors) expect(behavior.ViewerProtocolPolicy).toBe('redirect-to-https');
  });

  it('sends HSTS, nosniff, DENY framing, a strict referrer policy and a CSP on every response', () => {
    const [headersId, headers] = only('AWS::CloudFront::ResponseHeadersPolicy');
    for (const behavior of behaviors) expect(behavior.ResponseHeadersPolicyId).toEqual({ Ref: headersId });
    const security = headers.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    expect(security.StrictTransportSecurity.AccessControlMaxAgeSec).toBeGreaterThanOrEqual(31_536_000);
    expect(security.StrictTransportSecurity.IncludeSubdomains).toBe(true);
    expect(security.ContentTypeOptions).toEqual({ Override: true });
    expect(security.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    expect(security.ReferrerPolicy).toEqual({ ReferrerPolicy: 'strict-origin-when-cross-origin', Override: true });

    const csp = text(security.ContentSecurityPolicy.ContentSecurityPolicy);
    const directives = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    const apiId = Object.keys(t.findResources('AWS::ApiGateway::RestApi'))[0];
    const [domainId] = only('AWS::Cognito::UserPoolDomain');
    // The API, the hosted UI's token endpoint and the identity service: what the signed-in console fetches.
    expect(directives['connect-src']).toEqual([
      "'self'",
      `https://<${apiId}>.execute-api.<AWS::Region>.<AWS::URLSuffix>`,
      `https://<${domainId}>.auth.<AWS::Region>.amazoncognito.com`,
      'https://cognito-identity.<AWS::Region>.<AWS::URLSuffix>',
    ]);
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    // Radix Dialog's scroll lock inserts a <style> element at run time; scripts stay strict.
    expect(directives['style-src']).toEqual(["'self'", "'unsafe-inline'"]);
    expect(directives['img-src']).toEqual(["'self'", 'data:']);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(csp.match(/'unsafe-[a-z-]+'/g)).toEqual(["'unsafe-inline'"]);
  });

  it('answers paths that are not files (403 from S3 with origin access control, or 404) with index.html and 200', () => {
    expect(config.CustomErrorResponses).toEqual(
      expect.arrayContaining(
        [403, 404].map((code) =>
          expect.objectContaining({ ErrorCode: code, ResponseCode: 200, ResponsePagePath: '/index.html' }),
        ),
      ),
    );
  });

  it('never caches /config.json at the edge and caches /assets/* and the rest with CachingOptimized', () => {
    const policyFor = (path: string) =>
      (config.CacheBehaviors as { PathPattern: string; CachePolicyId: string }[]).find((b) => b.PathPattern === path)
        ?.CachePolicyId;
    expect(policyFor('/config.json')).toBe(CACHING_DISABLED);
    expect(policyFor('/assets/*')).toBe(CACHING_OPTIMIZED);
    expect(config.DefaultCacheBehavior.CachePolicyId).toBe(CACHING_OPTIMIZED);
  });

  it('deploys hashed assets as immutable for a year and the pages as revalidated, each pruning only its own files', () => {
    const [assetsId, assets] = deployment((p) => JSON.stringify(p.Include) === '["assets/*"]');
    expect(assets.Properties).toMatchObject({
      DestinationBucketName: { Ref: siteBucketId },
      Prune: true,
      Exclude: ['*'],
    });
    expect(assets.Properties.SystemMetadata['cache-control']).toBe('public, max-age=31536000, immutable');

    const [, pages] = deployment((p) => Array.isArray(p.Exclude) && p.Exclude.includes('assets/*'));
    expect(pages.Properties).toMatchObject({ DestinationBucketName: { Ref: siteBucketId }, Prune: true });
    expect(pages.Properties.Exclude).toContain('config.json');
    expect(pages.Properties.Include).toBeUndefined();
    expect(pages.Properties.SystemMetadata['cache-control']).toBe('no-cache');
    // The new index.html must not go live before the files it names.
    expect(pages.DependsOn).toContain(assetsId);
    // Both deploy the same build.
    expect(pages.Properties.SourceObjectKeys).toEqual(assets.Properties.SourceObjectKeys);
  });

  it('writes /config.json at deploy time with the API URL, Region and the Cognito ids, never pruned, in the shape the console parses', () => {
    const [, configDeployment] = deployment((p) => p.SourceMarkers !== undefined);
    expect(configDeployment.Properties).toMatchObject({ DestinationBucketName: { Ref: siteBucketId }, Prune: false });
    expect(configDeployment.Properties.SystemMetadata['cache-control']).toBe('no-cache');

    // The staged file holds markers that the deployment replaces with the values CloudFormation resolves.
    const markers = (configDeployment.Properties.SourceMarkers as Record<string, unknown>[])[0] ?? {};
    const apiId = Object.keys(t.findResources('AWS::ApiGateway::RestApi'))[0];
    const stageId = Object.keys(t.findResources('AWS::ApiGateway::Stage'))[0];
    const [userPoolId] = only('AWS::Cognito::UserPool');
    const [clientId] = only('AWS::Cognito::UserPoolClient');
    const [identityPoolId] = only('AWS::Cognito::IdentityPool');
    const [domainId] = only('AWS::Cognito::UserPoolDomain');
    const deployed: Record<string, string> = {
      [`<${apiId}>`]: 'abc123',
      '<AWS::Region>': 'eu-west-1',
      '<AWS::URLSuffix>': 'amazonaws.com',
      [`<${stageId}>`]: 'prod',
      [`<${userPoolId}>`]: 'eu-west-1_Pool1',
      [`<${clientId}>`]: 'client1',
      [`<${identityPoolId}>`]: 'eu-west-1:0000-1111',
      [`<${domainId}>`]: 'keepsake-123456789012',
    };
    const [objectKey] = configDeployment.Properties.SourceObjectKeys as string[];
    let json = readFileSync(join(assemblyDir, `asset.${objectKey?.replace(/\.zip$/, '')}`, 'config.json'), 'utf8');
    for (const [marker, value] of Object.entries(markers))
      json = json.replaceAll(marker, deployed[text(value)] ?? `unexpected ${text(value)}`);
    expect(ConsoleConfigSchema.parse(JSON.parse(json))).toEqual({
      apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/',
      region: 'eu-west-1',
      auth: {
        kind: 'cognito',
        userPoolId: 'eu-west-1_Pool1',
        userPoolClientId: 'client1',
        identityPoolId: 'eu-west-1:0000-1111',
        authDomain: 'https://keepsake-123456789012.auth.eu-west-1.amazoncognito.com',
        identityEndpoint: 'https://cognito-identity.eu-west-1.amazonaws.com',
      },
    });
    // The only other deployments are the two syncs above, which exclude it from their pruning.
    expect(deployments).toHaveLength(3);
  });

  it('sends standard logs to the access-log bucket in the Regions CloudFront delivers them to, and none elsewhere', () => {
    const logging = config.Logging['Fn::If'] as [string, Record<string, unknown>, unknown];
    expect(logging[1]).toEqual({
      Bucket: { 'Fn::GetAtt': [accessLogsId, 'RegionalDomainName'] },
      Prefix: 'cloudfront/',
      IncludeCookies: false,
    });
    expect(logging[2]).toEqual({ Ref: 'AWS::NoValue' });
    const condition = JSON.stringify((t.toJSON() as { Conditions: Record<string, unknown> }).Conditions[logging[0]]);
    for (const region of ['us-east-1', 'eu-west-1', 'ap-southeast-2']) expect(condition).toContain(`"${region}"`);
    for (const optIn of ['af-south-1', 'eu-south-1', 'me-central-1', 'ap-southeast-4'])
      expect(condition).not.toContain(`"${optIn}"`);
  });

  it('names its account-wide CloudFront policies per Region, so the stack deploys to two Regions of one account', () => {
    const [, headers] = only('AWS::CloudFront::ResponseHeadersPolicy');
    const [, oac] = only('AWS::CloudFront::OriginAccessControl');
    expect(text(headers.Properties.ResponseHeadersPolicyConfig.Name)).toMatch(/-<AWS::Region>$/);
    expect(text(oac.Properties.OriginAccessControlConfig.Name)).toMatch(/-<AWS::Region>$/);
  });

  it('outputs ConsoleUrl: https:// and the distribution domain', () => {
    const output = (t.toJSON() as { Outputs: Record<string, { Value: unknown }> }).Outputs.ConsoleUrl;
    expect(text(output?.Value)).toBe(`https://<${distributionId}.DomainName>`);
  });

  it("acknowledges the deployment Lambda's grants for the site bucket only: another bucket's deployment is reported", () => {
    const { app, stack } = keepsakeApp();
    const other = new s3.Bucket(stack, 'OtherSite', { enforceSSL: true });
    new s3deploy.BucketDeployment(stack, 'OtherDeployment', {
      sources: [s3deploy.Source.data('a.txt', 'a')],
      destinationBucket: other,
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::<OtherSite[0-9A-F]+\.Arn>\/\*\]/);
  });
});

describe('Console build', () => {
  /** The Console alone; `deploys` false is a template-only synth, as in tests, local mode and `cdk ls`/`destroy`. */
  const consoleIn = (siteDir: string, deploys: boolean) => {
    const app = new App(deploys ? {} : { context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'ConsoleTest');
    const restApi = new apigw.RestApi(stack, 'Api');
    restApi.root.addMethod('GET', new apigw.MockIntegration());
    const signIn = {
      userPoolId: 'pool',
      userPoolClientId: 'client',
      identityPoolId: 'identities',
      authDomain: 'https://keepsake.auth.eu-west-1.amazoncognito.com',
    };
    return () => new Console(stack, 'Console', { restApi, accessLogs: new s3.Bucket(stack, 'Logs'), siteDir, signIn });
  };
  const dirs: string[] = [];
  const emptyDir = () => {
    dirs.push(mkdtempSync(join(tmpdir(), 'keepsake-web-')));
    return dirs.at(-1) as string;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to synth for a deploy without a built console, naming the command that builds it', () => {
    expect(consoleIn(emptyDir(), true)).toThrow(
      /the console is not built: .*index\.html is missing; run `npm run build:web`/,
    );
  });

  it('deploys the build when there is one', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Keepsake</title>');
    expect(consoleIn(dir, true)).not.toThrow();
  });

  it('needs no build for a template-only synth', () => {
    expect(consoleIn(emptyDir(), false)).not.toThrow();
  });
});
