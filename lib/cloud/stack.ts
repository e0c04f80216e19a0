import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { PlamoConfig } from '../config';
import type { Car } from './car';
import { CarGroupStack, carGroupId, carGroups } from './car-groups';
import { IotDataEndpoint } from './iot-endpoint';
import { CarStoreTable } from './car-store';
import { IotLogging } from './iot-logging';
import { LampApi } from './lamp-api';
import { OtaUpdates } from './ota-updates';
import { STACK_OUTPUTS } from '../contract/stack';
import { DeviceTopicRules } from './topic-rules';
import { updatePolicyName } from './update-policy';

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
  /** Each car's cloud resources, by car id; they live in nested stacks (`carGroups`). */
  readonly cars: Readonly<Record<string, Car>>;
  /** The nested stacks of cars, only those that have cars. */
  readonly carGroups: readonly CarGroupStack[];
  /** The phones' way in: HTTP API, token authorizer and token table. */
  readonly lampApi: LampApi;
  /** The bucket and stream role of over-the-air updates. */
  readonly ota: OtaUpdates;

  constructor(scope: Construct, id: string, props: PlamoStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.iotEndpoint = new IotDataEndpoint(this, 'IotEndpoint').address;
    new IotLogging(this, 'IotLogging');
    new CfnOutput(this, 'IotEndpointOutput', {
      value: this.iotEndpoint,
      description: 'AWS IoT data endpoint (ATS) the cars connect to',
    }).overrideLogicalId(STACK_OUTPUTS.iotEndpoint);

    // Over-the-air updates: `plamo ota` puts files here and points each car's stream at them; each car group
    // has its own update policy (one document for all), attached to each of its cars' certificates.
    this.ota = new OtaUpdates(this, 'OtaUpdates');
    this.carGroups = [...carGroups(config)].map(
      ([index, carIds]) =>
        new CarGroupStack(this, carGroupId(index), { config, carIds, keysDir: props.keysDir, updatePolicyName: updatePolicyName(index) }),
    );
    this.cars = Object.fromEntries(this.carGroups.flatMap((group) => group.cars.map((car) => [car.carId, car])));

    const deviceRules = new DeviceTopicRules(this, 'DeviceTopicRules', { topicRoot: config.topicRoot });
    const carStore = new CarStoreTable(this, 'CarStore', { topicRoot: config.topicRoot, errorLogs: deviceRules.errorLogs });

    this.lampApi = new LampApi(this, 'LampApi', { config, iotDataEndpoint: this.iotEndpoint, carStore: carStore.table });

    new CfnOutput(this, 'OtaBucketOutput', {
      value: this.ota.bucket.bucketName,
      description: 'bucket of the update files',
    }).overrideLogicalId(STACK_OUTPUTS.otaBucket);
    new CfnOutput(this, 'OtaStreamRoleOutput', {
      value: this.ota.streamRole.roleArn,
      description: 'role AWS IoT assumes to stream update files to the cars',
    }).overrideLogicalId(STACK_OUTPUTS.otaStreamRole);
  }
}
