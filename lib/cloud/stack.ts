import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { PlamoConfig } from '../config';

export interface PlamoStackProps extends StackProps {
  /** The validated config; every car in it gets its cloud identity. */
  readonly config: PlamoConfig;
}

/** Everything plamo-iot runs in one AWS account and region. */
export class PlamoStack extends Stack {
  constructor(scope: Construct, id: string, props: PlamoStackProps) {
    super(scope, id, props);
  }
}
