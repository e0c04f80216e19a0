import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { PlamoConfig } from '../config';
import { STACK_NAME } from '../contract/stack';
import { PlamoStack } from './stack';
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
  guardTemplateLimits(stack, Object.values(stack.cars));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stack };
}
