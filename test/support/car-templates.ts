import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { PlamoStack } from '../../lib/cloud/stack';

/**
 * The templates of a synthesized PlamoStack: the parent's, and each car group's nested one. Cars and their
 * certificate provider live in the nested stacks; each group has a provider of its own.
 */
export interface CarTemplates {
  readonly parent: Template;
  /** The nested template of the group that holds `carId`. */
  ofCar(carId: string): Template;
  /** Every group's nested template, in group order. */
  readonly groups: readonly Template[];
  /**
   * The per-car resources of every group in one template, for looking a car's resources up by type. The
   * groups' providers share logical ids, so only one group's provider is in it: ask `ofCar` for those.
   */
  readonly cars: Template;
}

export function carTemplates(assembly: CloudAssembly, stack: PlamoStack): CarTemplates {
  const parent = Template.fromJSON(assembly.getStackByName(stack.stackName).template);
  const byGroup = new Map(
    stack.carGroups.map((group) => [
      group,
      Template.fromJSON(JSON.parse(readFileSync(join(assembly.directory, group.templateFile), 'utf8'))),
    ]),
  );
  const groups = [...byGroup.values()];
  const resources = Object.assign({}, ...groups.map((template) => template.toJSON().Resources));
  return {
    parent,
    groups,
    cars: Template.fromJSON({ Resources: resources }),
    ofCar: (carId) => {
      const group = stack.carGroups.find((candidate) => candidate.cars.some((car) => car.carId === carId));
      if (!group) throw new Error(`no car group holds ${carId}`);
      return byGroup.get(group)!;
    },
  };
}
