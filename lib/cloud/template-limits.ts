import { CfnOutput, CfnResource, NestedStack, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * What one CloudFormation template may declare (CloudFormation User Guide, "Understand CloudFormation
 * quotas": 500 resources and 200 outputs per template since 2020). CDK checks the resource count only,
 * and the output count is checked by nobody before CloudFormation refuses the deployment.
 */
export const TEMPLATE_LIMITS = { resources: 500, outputs: 200 } as const;

type Counted = keyof typeof TEMPLATE_LIMITS;

/** Resources and outputs under `scope` that land in `stack`'s own template (not in a nested stack's). */
function countIn(scope: IConstruct, stack: Stack): Record<Counted, number> {
  const counts = { resources: 0, outputs: 0 };
  for (const node of scope.node.findAll()) {
    if (Stack.of(node) !== stack) continue;
    if (CfnResource.isCfnResource(node)) counts.resources++;
    else if (node instanceof CfnOutput) counts.outputs++;
  }
  return counts;
}

/** What one car (the first of `cars`; they are all alike) and what the rest of `stack` put in its template. */
export function templateCosts(
  stack: Stack,
  cars: readonly IConstruct[],
): { perCar: Record<Counted, number>; shared: Record<Counted, number> } {
  const total = countIn(stack, stack);
  const perCar = cars.length > 0 ? countIn(cars[0], stack) : { resources: 0, outputs: 0 };
  const shared = { resources: total.resources - perCar.resources * cars.length, outputs: total.outputs - perCar.outputs * cars.length };
  return { perCar, shared };
}

const DEFAULT_FIX = 'Deploy at most that many cars from one config (docs/performance.md explains the limit).';

/**
 * One message per limit the stack is over, naming the limit, what a car costs, how many cars fit and `fix`.
 * `cars` are the per-car constructs; they are all alike, so the first one gives the cost of a car. A nested
 * stack's message starts with its id.
 */
export function templateLimitProblems(stack: Stack, cars: readonly IConstruct[], fix = DEFAULT_FIX): string[] {
  if (cars.length === 0) return [];
  const total = countIn(stack, stack);
  const perCar = countIn(cars[0], stack);
  const problems: string[] = [];
  for (const kind of Object.keys(TEMPLATE_LIMITS) as Counted[]) {
    const limit = TEMPLATE_LIMITS[kind];
    if (total[kind] <= limit || perCar[kind] === 0) continue;
    const shared = total[kind] - perCar[kind] * cars.length;
    const fit = Math.floor((limit - shared) / perCar[kind]);
    const where = NestedStack.isNestedStack(stack) ? `nested stack ${stack.node.id}: ` : '';
    problems.push(
      `${where}${cars.length} cars need ${total[kind]} CloudFormation ${kind} (${perCar[kind]} per car + ${shared} shared), ` +
        `over CloudFormation's limit of ${limit} ${kind} per stack: one stack holds at most ${fit} cars. ${fix}`,
    );
  }
  return problems;
}

/** Makes synth fail, before any template is written, when the cars do not fit in `stack`; `fix` says what to do. */
export function guardTemplateLimits(stack: Stack, cars: readonly IConstruct[], fix?: string): void {
  stack.node.addValidation({ validate: () => templateLimitProblems(stack, cars, fix) });
}
