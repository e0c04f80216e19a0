import { Template } from 'aws-cdk-lib/assertions';
import type { MqttClient } from 'mqtt';
import { createApp } from '../../../lib/cloud/app';
import { carTopics, otaSubscriptions, otaTopics } from '../../../lib/contract';
import type { PolicyDocumentJson } from '../../../lib/sim/aws-iot/policy-evaluator';
import { isAuthorized, type MqttOperation } from '../../../lib/sim/aws-iot/principals';
import { type LocalBroker, startLocalBroker } from '../../../lib/sim/broker';
import { testConfig } from '../../api/fixtures';
import { iotPoliciesByThing, iotStatementsOfFunctionRole } from '../../support/template-policies';
import { connectAs, temporaryPki } from '../support';

/**
 * The twin's broker and an evaluator over the synthesized CloudFormation template agree on every request:
 * the twin authorises with the policies the stack deploys, not with a model of its own. The twin's answers
 * are what a real MQTT client sees (PUBACK or a closed connection, the SUBACK's granted QoS).
 */
jest.setTimeout(120_000);

const config = testConfig;
const carIds = Object.keys(config.cars);
type Identity = string;
const API = 'lamp API';

interface Row {
  readonly identity: Identity;
  readonly operation: MqttOperation;
}

function rows(): Row[] {
  const topics = carIds.flatMap((car) => {
    const t = carTopics(config.topicRoot, car);
    const lamp = Object.keys(config.cars[car].lamps)[0];
    return [t.lampSet(lamp), t.lampState(lamp), t.lampState('noSuchLamp'), t.status, t.telemetry, t.events, `${t.lampState(lamp)}/deeper`];
  });
  topics.push(`$aws/things/${carIds[0]}/shadow/update`);
  // Update requests: each car's own job queue, update report and stream, and a job id that is no update's.
  for (const car of carIds) {
    const ota = otaTopics(car);
    topics.push(ota.nextGet, ota.jobUpdate('plamo-ota-1'), `$aws/things/${car}/jobs/other-1/update`, ota.streamGet);
  }
  const filters = carIds.flatMap((car) => {
    const t = carTopics(config.topicRoot, car);
    const lamp = Object.keys(config.cars[car].lamps)[0];
    return [
      t.lampSet(lamp),
      t.lampSet('+'),
      t.lampState('+'),
      `${config.topicRoot}/${car}/#`,
      ...otaSubscriptions(car),
      `$aws/things/${car}/jobs/#`,
    ];
  });
  const identities = [...carIds, API];
  const table: Row[] = [];
  for (const identity of identities) {
    for (const topic of topics) {
      for (const retain of [false, true]) table.push({ identity, operation: { kind: 'publish', topic, retain } });
    }
    for (const filter of filters) table.push({ identity, operation: { kind: 'subscribe', filter } });
  }
  for (const car of carIds) {
    for (const clientId of [...carIds, 'nobody']) table.push({ identity: car, operation: { kind: 'connect', clientId } });
  }
  return table;
}

let pki: Awaited<ReturnType<typeof temporaryPki>>;
let broker: LocalBroker;
let templateDocuments: Map<Identity, PolicyDocumentJson[]>;

beforeAll(async () => {
  const { stack } = createApp(config);
  const template = Template.fromStack(stack);
  // Each car's thing and policies, and its group's update policy, are in the nested stack of its car group.
  templateDocuments = new Map(stack.carGroups.flatMap((group) => [...iotPoliciesByThing(Template.fromStack(group))]));
  expect([...templateDocuments.keys()].sort()).toEqual([...carIds].sort());
  templateDocuments.set(API, [iotStatementsOfFunctionRole(template, 'IOT_DATA_ENDPOINT')]);
  pki = await temporaryPki(carIds);
  broker = await startLocalBroker({ config, pki, port: 0 });
});

afterAll(async () => {
  await broker?.close();
  pki?.remove();
});

/** AWS's answer from the template: a car connects as the thing its certificate is attached to. */
function templateAllows({ identity, operation }: Row): boolean {
  const documents = templateDocuments.get(identity) ?? [];
  if (identity === API) return isAuthorized(documents, operation, {});
  const clientId = operation.kind === 'connect' ? operation.clientId : identity;
  const context: Record<string, string> = { 'iot:ClientId': clientId };
  if (carIds.includes(clientId)) {
    context['iot:Connection.Thing.ThingName'] = clientId;
    context['iot:Connection.Thing.IsAttached'] = String(clientId === identity);
  }
  return isAuthorized(documents, operation, context);
}

async function connectIdentity(identity: Identity, clientId?: string): Promise<MqttClient> {
  const certificate = identity === API ? pki.controller : pki.cars[identity];
  return connectAs(broker.port, pki.ca.pem, certificate, clientId ?? certificate.commonName);
}

/** The twin's answer, as a client sees it. */
async function twinAllows({ identity, operation }: Row): Promise<boolean> {
  if (operation.kind === 'connect') {
    try {
      await (await connectIdentity(identity, operation.clientId)).endAsync(true);
      return true;
    } catch {
      return false;
    }
  }
  const client = await connectIdentity(identity);
  try {
    if (operation.kind === 'subscribe') {
      const granted = await client.subscribeAsync(operation.filter, { qos: 1 }).then(
        (grants) => grants[0].qos,
        (error: { packet?: { granted?: number[] } }) => error.packet?.granted?.[0],
      );
      return granted !== 128;
    }
    const closed = new Promise<boolean>((resolve) => client.once('close', () => resolve(false)));
    const acked = client
      .publishAsync(operation.kind === 'publish' ? operation.topic : '', 'parity', {
        qos: 1,
        retain: operation.kind === 'publish' && operation.retain,
      })
      .then(
        () => true,
        () => false,
      );
    return await Promise.race([acked, closed]);
  } finally {
    await client.endAsync(true);
  }
}

const describeRow = ({ identity, operation }: Row) => `${identity} ${JSON.stringify(operation)}`;

test('at least 60 requests, both allowed and refused ones, get the same answer from the twin and from the template', async () => {
  const table = rows();
  expect(table.length).toBeGreaterThanOrEqual(60);
  const answers: { row: string; template: boolean; twin: boolean }[] = [];
  for (const row of table) answers.push({ row: describeRow(row), template: templateAllows(row), twin: await twinAllows(row) });
  expect(answers.filter((answer) => answer.template !== answer.twin)).toEqual([]);
  // Both kinds of answer occur, so agreement is not agreement on refusing everything.
  expect(answers.filter((answer) => answer.template).length).toBeGreaterThanOrEqual(15);
  expect(answers.filter((answer) => !answer.template).length).toBeGreaterThanOrEqual(15);
});

test('the template gives the lamp API RetainPublish only for the car that restores its lamps', () => {
  const [restoring, dark] = carIds;
  const retained = (car: string) => {
    const lamp = Object.keys(config.cars[car].lamps)[0];
    return templateAllows({
      identity: API,
      operation: { kind: 'publish', topic: carTopics(config.topicRoot, car).lampSet(lamp), retain: true },
    });
  };
  expect(config.cars[restoring].powerOn).toBe('restore');
  expect(config.cars[dark].powerOn).toBe('off');
  expect([retained(restoring), retained(dark)]).toEqual([true, false]);
});
