import type { PlamoConfig } from '../config';
import { carTopics } from '../contract';
import { controllerPermissions } from '../contract/permissions';
import { retainCommands } from '../contract/topics';
import { type IotArn, WIDEST_ARN } from './device-policy';

/** An IAM statement of the lamp API's role, in the shape IAM documents use. */
export interface LampApiIotStatement {
  readonly Effect: 'Allow';
  readonly Action: string[];
  readonly Resource: string[];
}

/**
 * IAM takes at most 10,240 characters of inline policy per role, all its inline policies together and
 * whitespace not counted (IAM User Guide, "IAM and AWS STS quotas"). The lamp API's `iot:` statements are
 * inline, beside its log and car-store statements (under 400 characters); past this budget CDK would start
 * moving statements into managed policies (6,144 characters each, 10 per role by default), so the budget
 * keeps the whole role inline, with room for those statements and CDK's estimate of unresolved ARNs.
 */
export const LAMP_API_IOT_POLICY_BUDGET = 9_000;

/** The statements' size as IAM counts it (no whitespace), with the longest ARNs a deployment can have. */
export function iotStatementsSize(statements: readonly LampApiIotStatement[]): number {
  return JSON.stringify(statements).length;
}

function exactStatements(config: PlamoConfig, arn: IotArn): LampApiIotStatement[] {
  const topicArn = (topic: string) => arn('topic', topic);
  const commandsOf = ([carId, car]: [string, PlamoConfig['cars'][string]]) =>
    controllerPermissions(config.topicRoot, carId, Object.keys(car.lamps)).publish.map(topicArn);
  const cars = Object.entries(config.cars);
  const statements: LampApiIotStatement[] = [{ Effect: 'Allow', Action: ['iot:Publish'], Resource: cars.flatMap(commandsOf) }];
  // IoT Core refuses a publish with the retain flag unless the caller also holds iot:RetainPublish
  // (AWS IoT developer guide, "Retained messages"); only cars that restore their lamps get retained commands.
  const retaining = cars.filter(([, car]) => retainCommands(car.powerOn));
  if (retaining.length > 0) statements.push({ Effect: 'Allow', Action: ['iot:RetainPublish'], Resource: retaining.flatMap(commandsOf) });
  return statements;
}

/** `{root}/*\/lamps/*\/set`: the topic pattern of every car's lamp commands. */
const rootCommandPattern = (config: PlamoConfig) => carTopics(config.topicRoot, '*').lampSet('*');

/**
 * Every car's lamp commands under the topic root, `{root}/*\/lamps/*\/set`: in an IAM resource `*` matches
 * any characters, `/` included, so it also matches deeper topics, which no car subscribes to.
 */
function rootScopedStatements(config: PlamoConfig, arn: IotArn): LampApiIotStatement[] {
  const commands = [arn('topic', rootCommandPattern(config))];
  const statements: LampApiIotStatement[] = [{ Effect: 'Allow', Action: ['iot:Publish'], Resource: commands }];
  if (Object.values(config.cars).some((car) => retainCommands(car.powerOn))) {
    statements.push({ Effect: 'Allow', Action: ['iot:RetainPublish'], Resource: commands });
  }
  return statements;
}

/**
 * What the lamp Lambda may do on IoT Core, rendered from the contract's permission model: publish only to each
 * configured lamp's exact `lamps/<lamp>/set` topic, retained only for cars that restore their lamps. It reads
 * nothing from IoT Core: what the cars report comes from the car store. The stack turns these into IAM
 * statements; the local twin evaluates them as they are, so both enforce the same document.
 *
 * While the exact topics fit `LAMP_API_IOT_POLICY_BUDGET` (measured with the longest ARNs a deployment can
 * have) they are listed one by one; past that (14 copies of the example car, 4 lamps that restore) every car's lamp commands are
 * allowed with one root-scoped pattern instead, which no number of cars can outgrow.
 */
export function lampApiIotStatements(config: PlamoConfig, arn: IotArn): LampApiIotStatement[] {
  return rootScopedCommands(config) ? rootScopedStatements(config, arn) : exactStatements(config, arn);
}

/** The topic pattern the lamp API's statements use when the exact topics do not fit; undefined while they do. */
export function rootScopedCommands(config: PlamoConfig): string | undefined {
  return iotStatementsSize(exactStatements(config, WIDEST_ARN)) > LAMP_API_IOT_POLICY_BUDGET ? rootCommandPattern(config) : undefined;
}

/**
 * The longest ARN the lamp API's `iot:` statements can resolve to. CDK decides whether a role's policy still
 * fits inline by estimating every unresolved ARN at 150 characters (`@aws-cdk/aws-iam.arnSizeEstimate`); the
 * topic ARNs here are known but for partition, region and account, so the stack gives CDK this instead.
 */
export function longestIotArn(config: PlamoConfig): number {
  return Math.max(...lampApiIotStatements(config, WIDEST_ARN).flatMap((statement) => statement.Resource.map((arn) => arn.length)));
}
