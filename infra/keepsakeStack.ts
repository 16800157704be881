import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Storage } from './constructs/Storage.ts';

export interface KeepsakeStackProps extends StackProps {
  readonly objectLock?: boolean;
}

/** The whole of Keepsake in one account: constructs are wired here by passing each other's outputs. */
export class KeepsakeStack extends Stack {
  constructor(scope: Construct, id: string, props: KeepsakeStackProps = {}) {
    super(scope, id, props);
    const storage = new Storage(this, 'Storage', { objectLock: props.objectLock });
    new CfnOutput(this, 'BackupBucketName', { value: storage.bucket.bucketName });
  }
}
