import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { PlamoConfig } from '../config';
import { STACK_NAME } from '../contract/stack';
import { PlamoStack } from './stack';
import { CAR_GROUP_COUNT } from './car-groups';
import { guardTemplateLimits } from './template-limits';

/** Re-exported for the tests and the bench that synthesize the app; defined in the contract. */
export { STACK_NAME };

export interface CreateAppOptions {
  /**
   * Where `npx plamo keys` keeps the CSRs of cars in certificate mode "csr".
   * @default '.plamo'
   */
  readonly keysDir?: string;
}

/** The first dozen of `ids`, and how many more there are. */
function listed(ids: readonly string[]): string {
  const shown = ids.slice(0, 12).join(', ');
  return ids.length > 12 ? `${shown} and ${ids.length - 12} more` : shown;
}

/**
 * The CDK app with cdk-nag's AwsSolutions and Serverless packs as validation plugins: synth fails on any
 * finding that is not acknowledged (with a reason) on the construct it concerns.
 * No env is set, so the stack is environment-agnostic and synthesizes without AWS credentials.
 */
export function createApp(config: PlamoConfig, props: AppProps = {}, options: CreateAppOptions = {}): { app: App; stack: PlamoStack } {
  const app = new App(props);
  const stack = new PlamoStack(app, STACK_NAME, {
    config,
    keysDir: options.keysDir,
    description: 'plamo-iot: lamps of model cars switched over AWS IoT Core',
  });
  // The parent holds no car, only one nested stack per group; each group is priced by its cars.
  for (const group of stack.carGroups) {
    const ids = group.cars.map((car) => car.carId);
    guardTemplateLimits(
      group,
      group.cars,
      `A car's nested stack is one of ${CAR_GROUP_COUNT}, chosen by a hash of its id, and these ${ids.length} share ${group.node.id}: ` +
        `${listed(ids)}. Remove some of them from \`cars\` in the config, or give one of them another id.`,
    );
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stack };
}
