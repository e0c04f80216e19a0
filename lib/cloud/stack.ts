import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { PlamoConfig } from '../config';
import { CarIdentity } from './car-identity';
import { IotDataEndpoint } from './iot-endpoint';
import { CarStoreTable } from './car-store';
import { IotLogging } from './iot-logging';
import { LampApi } from './lamp-api';
import { STACK_OUTPUTS } from '../contract/stack';
import { DeviceTopicRules } from './topic-rules';

export interface PlamoStackProps extends StackProps {
  /** The validated config; every car in it gets its cloud identity. */
  readonly config: PlamoConfig;
  /**
   * Where `npx plamo keys` keeps the CSRs of cars in certificate mode "csr".
   * @default '.plamo'
   */
  readonly keysDir?: string;
}

/** Everything plamo-iot runs in one AWS account and region. */
export class PlamoStack extends Stack {
  /** The account's AWS IoT data endpoint (ATS) host name; a deploy-time token. */
  readonly iotEndpoint: string;
  /** Each car's thing, certificate and policy, by car id. */
  readonly cars: Readonly<Record<string, CarIdentity>>;
  /** The phones' way in: HTTP API, token authorizer and token table. */
  readonly lampApi: LampApi;

  constructor(scope: Construct, id: string, props: PlamoStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.iotEndpoint = new IotDataEndpoint(this, 'IotEndpoint').address;
    new IotLogging(this, 'IotLogging');
    new CfnOutput(this, 'IotEndpointOutput', {
      value: this.iotEndpoint,
      description: 'AWS IoT data endpoint (ATS) the cars connect to',
    }).overrideLogicalId(STACK_OUTPUTS.iotEndpoint);

    const cars: Record<string, CarIdentity> = {};
    for (const [carId, car] of Object.entries(config.cars)) {
      cars[carId] = new CarIdentity(this, `Car-${carId}`, { topicRoot: config.topicRoot, carId, car, keysDir: props.keysDir });
    }
    this.cars = cars;

    const deviceRules = new DeviceTopicRules(this, 'DeviceTopicRules', { topicRoot: config.topicRoot });
    const carStore = new CarStoreTable(this, 'CarStore', { topicRoot: config.topicRoot, errorLogs: deviceRules.errorLogs });

    this.lampApi = new LampApi(this, 'LampApi', { config, iotDataEndpoint: this.iotEndpoint, carStore: carStore.table });
  }
}
