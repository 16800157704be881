import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { tracer } from './tracer.ts';

/**
 * SDK clients, created once per container, each traced by X-Ray in Lambda (tracer.ts). `KEEPSAKE_<SERVICE>_ENDPOINT`
 * points one at a local stand-in (DynamoDB Local, s3rver) in local mode and tests; in AWS none is set and the
 * defaults apply.
 */
const endpoint = (service: string) => process.env[`KEEPSAKE_${service}_ENDPOINT`];

// The document client shares the middleware stack of the client it wraps, so tracing that one traces both.
export const documentClient = DynamoDBDocumentClient.from(
  tracer.captureAWSv3Client(new DynamoDBClient({ endpoint: endpoint('DYNAMODB') })),
  { marshallOptions: { removeUndefinedValues: true } },
);

export const s3Client = tracer.captureAWSv3Client(
  new S3Client(
    endpoint('S3')
      ? {
          endpoint: endpoint('S3'),
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }
      : {},
  ),
);

export const secretsClient = tracer.captureAWSv3Client(new SecretsManagerClient({ endpoint: endpoint('SECRETS') }));
export const schedulerClient = tracer.captureAWSv3Client(new SchedulerClient({ endpoint: endpoint('SCHEDULER') }));
export const sfnClient = tracer.captureAWSv3Client(new SFNClient({ endpoint: endpoint('SFN') }));
export const logsClient = tracer.captureAWSv3Client(new CloudWatchLogsClient({ endpoint: endpoint('LOGS') }));
