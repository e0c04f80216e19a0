import type { PlamoConfig } from '../config';
import { controllerPermissions } from '../contract/permissions';
import { retainCommands } from '../contract/topics';
import type { IotArn } from './device-policy';

/** An IAM statement of the lamp API's role, in the shape IAM documents use. */
export interface LampApiIotStatement {
  readonly Effect: 'Allow';
  readonly Action: string[];
  readonly Resource: string[];
}

/**
 * What the lamp Lambda may do on IoT Core, rendered from the contract's permission model: publish only to each
 * configured lamp's exact `lamps/<lamp>/set` topic, retained only for cars that restore their lamps. It reads
 * nothing from IoT Core: what the cars report comes from the car store. The stack turns these into IAM
 * statements; the local twin evaluates them as they are, so both enforce the same document.
 */
export function lampApiIotStatements(config: PlamoConfig, arn: IotArn): LampApiIotStatement[] {
  const topicArn = (topic: string) => arn('topic', topic);
  const permissions = Object.entries(config.cars).map(([carId, car]) =>
    controllerPermissions(config.topicRoot, carId, Object.keys(car.lamps)),
  );
  const statements: LampApiIotStatement[] = [
    { Effect: 'Allow', Action: ['iot:Publish'], Resource: permissions.flatMap((p) => p.publish.map(topicArn)) },
  ];
  // IoT Core refuses a publish with the retain flag unless the caller also holds iot:RetainPublish
  // (AWS IoT developer guide, "Retained messages"); only cars that restore their lamps get retained commands.
  const retaining = Object.entries(config.cars).filter(([, car]) => retainCommands(car.powerOn));
  if (retaining.length > 0) {
    const resources = retaining.flatMap(([carId, car]) =>
      controllerPermissions(config.topicRoot, carId, Object.keys(car.lamps)).publish.map(topicArn),
    );
    statements.push({ Effect: 'Allow', Action: ['iot:RetainPublish'], Resource: resources });
  }
  return statements;
}
