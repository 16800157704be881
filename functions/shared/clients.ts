import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';

/**
 * SDK clients, created once per container. `KEEPSAKE_<SERVICE>_ENDPOINT` points one at a local stand-in
 * (DynamoDB Local, s3rver) in local mode and tests; in AWS none is set and the defaults apply.
 */
const endpoint = (service: string) => process.env[`KEEPSAKE_${service}_ENDPOINT`];

export const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: endpoint('DYNAMODB') }), {
  marshallOptions: { removeUndefinedValues: true },
});

export const s3Client = new S3Client(
  endpoint('S3')
    ? {
        endpoint: endpoint('S3'),
        forcePathStyle: true,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }
    : {},
);

export const secretsClient = new SecretsManagerClient({ endpoint: endpoint('SECRETS') });
export const schedulerClient = new SchedulerClient({ endpoint: endpoint('SCHEDULER') });
export const sfnClient = new SFNClient({ endpoint: endpoint('SFN') });
export const logsClient = new CloudWatchLogsClient({ endpoint: endpoint('LOGS') });
