import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TABLE_INDEXES } from '../../types/table.ts';

export interface KeepsakeFunctionProps {
  /**
   * Handler file under functions/, e.g. `dataSources/createDataSource.ts`, or the absolute path of a generated entry
   * (a Lambda serving several routes, Api.ts); it exports `handler`.
   */
  readonly handlerFile: string;
  readonly description?: string;
  readonly environment?: Record<string, string>;
  readonly timeout?: Duration;
  readonly memorySize?: number;
}

const FUNCTIONS_DIR = fileURLToPath(new URL('../../functions/', import.meta.url));

/**
 * Every Keepsake Lambda: Node.js 24 on ARM64 (Graviton: cheaper per ms), ESM bundled by esbuild (minified,
 * tree-shaken, source maps on), JSON logs into an explicit log group with retention, X-Ray tracing. The AWS SDK
 * is left to the runtime. Its role holds no managed policy: it may write its own log group and nothing else
 * until a grant helper adds (with the matching environment variable) what its operation needs.
 *
 * Why 24 and not 20: Lambda deprecated nodejs20.x on 2026-04-30 and blocks creating functions on it from
 * 2027-02-01, so a stack on 20 would soon stop deploying. The code stays Node 20-compatible (local mode, tests).
 */
export class KeepsakeFunction extends Construct {
  public readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: KeepsakeFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    logGroup.grantWrite(role);
    this.function = new NodejsFunction(this, 'Function', {
      role,
      entry: isAbsolute(props.handlerFile) ? props.handlerFile : `${FUNCTIONS_DIR}${props.handlerFile}`,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(15),
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        externalModules: ['@aws-sdk/*'],
        forceDockerBundling: false,
        // CommonJS dependencies inside an ESM bundle still call require().
        banner:
          "import { createRequire as __keepsakeRequire } from 'node:module'; const require = __keepsakeRequire(import.meta.url);",
      },
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
    });
  }

  /**
   * Grants read or read-write on the table and its indexes with explicit actions (no Scan: every list is a
   * Query; no KMS wildcards), and tells the function the table's name.
   */
  bindTable(table: dynamodb.ITable, access: 'read' | 'write'): this {
    const read = [
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:Query',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DescribeTable',
    ];
    const write = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
    // The table and its indexes by name (Table.grant would add a `/index/*` wildcard).
    const resources = [table.tableArn, ...TABLE_INDEXES.map((index) => `${table.tableArn}/index/${index}`)];
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: [...read, ...(access === 'write' ? write : [])], resources }),
    );
    const kmsActions = [
      'kms:Decrypt',
      'kms:DescribeKey',
      ...(access === 'write' ? ['kms:Encrypt', 'kms:GenerateDataKey'] : []),
    ];
    table.encryptionKey?.grant(this.function, ...kmsActions);
    this.function.addEnvironment('TABLE_NAME', table.tableName);
    return this;
  }
}
