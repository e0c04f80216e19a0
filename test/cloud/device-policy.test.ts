import { deviceIotPolicies, IOT_POLICY_MAX_CHARS, type IotArn } from '../../lib/cloud/device-policy';
import { devicePermissions, deviceRetainedTopics } from '../../lib/contract';

/** As wide as an ARN gets: the `aws-iso-b` partition, a 14-letter region, a 12-digit account. */
const wideArn: IotArn = (type, name) => `arn:aws-iso-b:iot:ap-southeast-9:123456789012:${type}/${name}`;
const lampNames = (count: number) => Array.from({ length: count }, (_, i) => `reversingLamp${String(i).padStart(2, '0')}`);

/** Every (action, resource) pair the documents grant, with the ARN prefix taken off. */
function grants(documents: ReturnType<typeof deviceIotPolicies>): string[] {
  return documents.flatMap((document) =>
    document.Statement.flatMap((statement) =>
      [statement.Action]
        .flat()
        .flatMap((action) => statement.Resource.map((resource) => `${action} ${resource.split(':').slice(5).join(':')}`)),
    ),
  );
}

function expectedGrants(lamps: readonly string[]): string[] {
  const permissions = devicePermissions('cars', 'rps13', lamps);
  return [
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an AWS IoT policy variable.
    'iot:Connect client/${iot:Connection.Thing.ThingName}',
    ...permissions.publish.map((topic) => `iot:Publish topic/${topic}`),
    ...deviceRetainedTopics('cars', 'rps13', lamps).map((topic) => `iot:RetainPublish topic/${topic}`),
    ...permissions.subscribe.map((filter) => `iot:Subscribe topicfilter/${filter}`),
    ...permissions.receive.map((topic) => `iot:Receive topic/${topic}`),
  ].sort();
}

test('a car with a few lamps gets one policy', () => {
  expect(deviceIotPolicies('cars', 'rps13', lampNames(4), wideArn)).toHaveLength(1);
});

test.each([1, 4, 9, 26])('%i long-named lamps: policies of at most 2048 characters that together grant exactly the contract', (count) => {
  const documents = deviceIotPolicies('cars', 'rps13', lampNames(count), wideArn);
  for (const document of documents) expect(JSON.stringify(document).length).toBeLessThanOrEqual(IOT_POLICY_MAX_CHARS);
  expect(grants(documents).sort()).toEqual(expectedGrants(lampNames(count)));
});

test('many lamps spread over several policies, each with the connect condition kept on its statement', () => {
  const documents = deviceIotPolicies('cars', 'rps13', lampNames(26), wideArn);
  expect(documents.length).toBeGreaterThan(1);
  const connect = documents.flatMap((d) => d.Statement).filter((s) => s.Action === 'iot:Connect');
  expect(connect).toEqual([
    expect.objectContaining({
      Condition: {
        Bool: { 'iot:Connection.Thing.IsAttached': 'true' },
        'ForAllValues:StringEquals': { 'iot:ConnectAttributes': ['LastWill'] },
      },
    }),
  ]);
});
