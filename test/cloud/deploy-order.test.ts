import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp, STACK_NAME } from '../../lib/cloud/app';
import { parseConfig } from '../../lib/config';

/** The order CloudFormation creates (and, reversed, deletes) things in, where AWS is eventually consistent. */
const lamps = { headlights: { pin: 'GP2', kind: 'pwm', currentMa: 10 } };
const config = parseConfig({ cars: { rps13: { wifi: { ssid: 'garage' }, lamps } } });

let template: Template;
let outDir: string;

beforeAll(() => {
  outDir = mkdtempSync(join(tmpdir(), 'plamo-order-'));
  template = Template.fromJSON(createApp(config, { outdir: outDir }).app.synth().getStackByName(STACK_NAME).template);
});
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };

/** Logical ids of the roles a resource refers to with Fn::GetAtt [role, Arn]. */
function rolesUsedBy(resource: Resource, resources: Record<string, Resource>): string[] {
  const ids = [...JSON.stringify(resource.Properties).matchAll(/"Fn::GetAtt":\["([^"]+)","Arn"\]/g)].map((match) => match[1]);
  return [...new Set(ids)].filter((id) => resources[id]?.Type === 'AWS::IAM::Role');
}

test("every topic rule is created after each of its roles' policies", () => {
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const rules = Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::IoT::TopicRule');
  expect(rules.length).toBeGreaterThanOrEqual(3);
  for (const [ruleId, rule] of rules) {
    const roles = rolesUsedBy(rule, resources);
    expect(roles.length).toBeGreaterThan(0);
    for (const roleId of roles) {
      const policies = Object.entries(resources)
        .filter(([, resource]) => resource.Type === 'AWS::IAM::Policy' && JSON.stringify(resource.Properties.Roles).includes(`"${roleId}"`))
        .map(([id]) => id);
      expect(policies.length).toBeGreaterThan(0);
      for (const policy of policies)
        expect({ ruleId, dependsOn: rule.DependsOn ?? [] }).toEqual({ ruleId, dependsOn: expect.arrayContaining([policy]) });
    }
  }
});
