import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Aws,
  CfnCondition,
  DefaultStackSynthesizer,
  Duration,
  Fn,
  Names,
  RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import type { ConsoleConfig } from '../../types/consoleConfig.ts';
import type { ConsoleSignIn } from './Auth.ts';

const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/**
 * The Regions enabled by default in every account (each Region launched since 2019 is opt-in). CloudFront delivers
 * standard logs only to buckets in these: with a log bucket elsewhere the distribution fails to create.
 */
const CLOUDFRONT_LOG_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'sa-east-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-north-1',
  'ap-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-southeast-1',
  'ap-southeast-2',
];

/** Cognito's identity service in the stack's Region, where the console trades its ID token for AWS credentials. */
const IDENTITY_ENDPOINT = `https://cognito-identity.${Aws.REGION}.${Aws.URL_SUFFIX}`;

/** Deployed instead of the build only by template-only synths (tests, local mode, `cdk ls`/`destroy`), which never deploy. */
const NOT_BUILT_PAGE =
  '<!doctype html><title>Keepsake</title><p>The console was not built: run <code>npm run build:web</code>, then deploy.</p>';

/** cdk-nag findings on the distribution that are choices, each with why. */
const DISTRIBUTION_ACKNOWLEDGEMENTS: Record<string, string> = {
  'AwsSolutions-CFR1':
    'The console is for operators anywhere; it serves only public build files, and every API call it makes is SigV4-signed and IAM-authorized, so a geo restriction would protect nothing.',
  'AwsSolutions-CFR2':
    'A WAF web ACL would cost more per month than all of idle Keepsake; the distribution serves static files that hold no data, and the API behind it is IAM-authorized and throttled.',
  'AwsSolutions-CFR4':
    'Served on the default *.cloudfront.net certificate, with which CloudFront cannot enforce a minimum TLS version (TLSv1.2_2021 needs a custom domain and ACM certificate, which Keepsake does not ask for); viewers are redirected to HTTPS and HSTS is sent.',
};

/** cdk-nag findings on the Lambda that CDK provides for every BucketDeployment in a stack (its code and policy are CDK's). */
const DEPLOYMENT_HANDLER_ACKNOWLEDGEMENTS: Record<string, string> = {
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]':
    "CDK's BucketDeployment handler: the managed policy grants writing its own logs only.",
  'AwsSolutions-L1': "The BucketDeployment handler's Python runtime is chosen and updated by aws-cdk-lib, not here.",
};

export interface ConsoleProps {
  /** The API the console calls: its URL goes into config.json and its origin into the CSP's connect-src. */
  readonly restApi: apigw.RestApi;
  /** The Cognito user pool, app client, identity pool and hosted UI people sign in with: they go into config.json. */
  readonly signIn: ConsoleSignIn;
  /** Receives the site bucket's server access logs and the distribution's standard logs (ACLs must be enabled on it). */
  readonly accessLogs: s3.IBucket;
  /** The console's build (Vite's output); web/dist at the repository root unless a test says otherwise. */
  readonly siteDir?: string;
}

/**
 * The web console: the build in web/dist, in a private bucket read only by CloudFront (origin access control),
 * served over HTTPS with security headers and a single-page-app fallback, and a runtime `/config.json` (API URL,
 * Region, how to sign in) written at deploy time into the same bucket, never pruned, so one build serves every
 * deployment. Hashed files under /assets/ are cached for a year; index.html and config.json are revalidated.
 */
export class Console extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly distribution: cloudfront.Distribution;
  /** `https://` + the distribution's domain. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: ConsoleProps) {
    super(scope, id);
    const site = this.siteSource(props.siteDir ?? WEB_DIST);
    // S3-managed keys: the bucket holds the public build only, and a customer key would need a key policy open to
    // every distribution of the account (CDK's OAC cannot name this one without a dependency cycle).
    this.bucket = new s3.Bucket(this, 'Site', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'console/',
      // Kept on `cdk destroy` like every Keepsake bucket: deleting a non-empty bucket would need an auto-delete Lambda.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.distribution = this.buildDistribution(props);
    this.url = `https://${this.distribution.distributionDomainName}`;

    const logGroup = new logs.LogGroup(this, 'DeployLogs', { retention: logs.RetentionDays.THREE_MONTHS });
    const deploy = (
      deployId: string,
      deployProps: Omit<s3deploy.BucketDeploymentProps, 'destinationBucket' | 'logGroup'>,
    ) => new s3deploy.BucketDeployment(this, deployId, { ...deployProps, destinationBucket: this.bucket, logGroup });
    // Three syncs into one bucket, each filtered to its own keys, so none prunes another's files.
    const assets = deploy('DeployAssets', {
      sources: [site],
      exclude: ['*'],
      include: ['assets/*'],
      prune: true,
      // Vite puts a content hash in every name under assets/: a changed file is a new key.
      cacheControl: [
        s3deploy.CacheControl.setPublic(),
        s3deploy.CacheControl.maxAge(Duration.days(365)),
        s3deploy.CacheControl.immutable(),
      ],
    });
    const pages = deploy('DeployPages', {
      sources: [site],
      exclude: ['assets/*', 'config.json'],
      prune: true,
      // index.html names the current hashed files: browsers revalidate it on every load.
      cacheControl: [s3deploy.CacheControl.noCache()],
    });
    // The new index.html goes live only once the files it names are there.
    pages.node.addDependency(assets);
    const config: ConsoleConfig = {
      apiUrl: props.restApi.url,
      region: Aws.REGION,
      auth: { kind: 'cognito', ...props.signIn, identityEndpoint: IDENTITY_ENDPOINT },
    };
    deploy('DeployConfig', {
      sources: [s3deploy.Source.jsonData('config.json', config)],
      prune: false,
      cacheControl: [s3deploy.CacheControl.noCache()],
    });

    const handler = assets.handlerRole.node.scope;
    if (handler) {
      for (const [ruleId, reason] of Object.entries(DEPLOYMENT_HANDLER_ACKNOWLEDGEMENTS))
        Validations.of(handler).acknowledge({ id: ruleId, reason });
      this.acknowledgeHandlerGrants(handler);
    }
  }

  /** The build, or (only when this synth deploys nothing) a stand-in page, so tests and local mode need no build. */
  private siteSource(siteDir: string): s3deploy.ISource {
    // Source maps stay on the build machine: served, they would hand anyone the console's whole source.
    if (existsSync(join(siteDir, 'index.html'))) return s3deploy.Source.asset(siteDir, { exclude: ['**/*.map'] });
    if (!Stack.of(this).bundlingRequired) return s3deploy.Source.data('index.html', NOT_BUILT_PAGE);
    throw new Error(
      `the console is not built: ${join(siteDir, 'index.html')} is missing; run \`npm run build:web\` before synth or deploy`,
    );
  }

  private buildDistribution(props: ConsoleProps): cloudfront.Distribution {
    const region = Aws.REGION;
    const suffix = Aws.URL_SUFFIX;
    // Policies and origin access controls are named per account: the Region keeps two deployments apart.
    const accountUniqueName = (maxLength: number) =>
      `${Names.uniqueResourceName(this, { maxLength: maxLength - 15 })}-${region}`;
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      responseHeadersPolicyName: accountUniqueName(128),
      comment: 'Keepsake console: security headers',
      securityHeadersBehavior: {
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: {
          referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
          override: true,
        },
        // Scripts from the build only, and calls to this API and Cognito's token and identity endpoints only. Styles need
        // 'unsafe-inline': Radix Dialog's scroll lock (react-remove-scroll) inserts a <style> element whose CSS it
        // computes at run time, which no hash can allow, and a static site has no per-response nonce.
        contentSecurityPolicy: {
          contentSecurityPolicy: [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self'",
            `connect-src 'self' https://${props.restApi.restApiId}.execute-api.${region}.${suffix} ${props.signIn.authDomain} ${IDENTITY_ENDPOINT}`,
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
          ].join('; '),
          override: true,
        },
      },
    });
    const origin = origins.S3BucketOrigin.withOriginAccessControl(this.bucket, {
      originAccessControl: new cloudfront.S3OriginAccessControl(this, 'OriginAccess', {
        originAccessControlName: accountUniqueName(64),
        description: 'Keepsake console: CloudFront reads the site bucket',
      }),
    });
    const behavior = (cachePolicy: cloudfront.ICachePolicy): cloudfront.BehaviorOptions => ({
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      cachePolicy,
      responseHeadersPolicy: headers,
    });
    // With origin access control S3 answers 403 (not 404) for a missing key: both mean a route of the app.
    const spaFallback = (httpStatus: number): cloudfront.ErrorResponse => ({
      httpStatus,
      responseHttpStatus: 200,
      responsePagePath: '/index.html',
    });
    const distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Keepsake console',
      defaultRootObject: 'index.html',
      defaultBehavior: behavior(cloudfront.CachePolicy.CACHING_OPTIMIZED),
      additionalBehaviors: {
        '/config.json': behavior(cloudfront.CachePolicy.CACHING_DISABLED),
        '/assets/*': behavior(cloudfront.CachePolicy.CACHING_OPTIMIZED),
      },
      errorResponses: [spaFallback(403), spaFallback(404)],
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
    });
    for (const [ruleId, reason] of Object.entries(DISTRIBUTION_ACKNOWLEDGEMENTS))
      Validations.of(distribution).acknowledge({ id: ruleId, reason });

    // Standard logs go to the access-log bucket wherever CloudFront can deliver them, decided at deploy time because
    // the stack is synthesized without a Region.
    const logsDeliverable = new CfnCondition(this, 'LogsDeliverable', {
      expression: Fn.conditionOr(...CLOUDFRONT_LOG_REGIONS.map((r) => Fn.conditionEquals(Aws.REGION, r))),
    });
    const cfnDistribution = distribution.node.defaultChild as cloudfront.CfnDistribution;
    cfnDistribution.distributionConfig = {
      ...(cfnDistribution.distributionConfig as cloudfront.CfnDistribution.DistributionConfigProperty),
      logging: Fn.conditionIf(
        logsDeliverable.logicalId,
        { Bucket: props.accessLogs.bucketRegionalDomainName, Prefix: 'cloudfront/', IncludeCookies: false },
        Aws.NO_VALUE,
      ),
    };
    return distribution;
  }

  /** The wildcards in what BucketDeployment grants its handler: it reads the CDK asset bucket and syncs the site bucket. */
  private acknowledgeHandlerGrants(handler: Construct): void {
    const stack = Stack.of(this);
    const siteBucketId = stack.resolve((this.bucket.node.defaultChild as s3.CfnBucket).logicalId) as string;
    const qualifier =
      (stack.node.tryGetContext('@aws-cdk/core:bootstrapQualifier') as string | undefined) ??
      DefaultStackSynthesizer.DEFAULT_QUALIFIER;
    const grants: Record<string, string> = {
      'Action::s3:GetObject*': 'reads the zipped build from the CDK asset bucket and objects of the site bucket',
      'Action::s3:GetBucket*': 'reads the location of the asset and site buckets',
      'Action::s3:List*': 'lists the site bucket to sync (and prune) it',
      'Action::s3:DeleteObject*': 'prunes files the new build no longer has from the site bucket',
      'Action::s3:Abort*': 'aborts its own multipart uploads to the site bucket',
      [`Resource::<${siteBucketId}.Arn>/*`]: 'every object of the site bucket, which holds nothing but the console',
      [`Resource::arn:<AWS::Partition>:s3:::cdk-${qualifier}-assets-<AWS::AccountId>-<AWS::Region>/*`]:
        'the CDK bootstrap asset bucket the zipped build is uploaded to',
    };
    for (const [appliesTo, what] of Object.entries(grants)) {
      Validations.of(handler).acknowledge({
        id: `AwsSolutions-IAM5[${appliesTo}]`,
        reason: `CDK's BucketDeployment grant (Bucket.grantRead/grantReadWrite): ${what}. The actions are CDK's choice; the resources are only the asset bucket and the site bucket.`,
      });
    }
  }
}
