import { EventEmitter } from 'node:events';
import type { Aedes, Client } from 'aedes';
import { installIotCoreRules } from '../../../lib/sim/aws-iot/iot-core-rules';
import { AWS_IOT_LIMITS } from '../../../lib/sim/aws-iot/limits';
import { LOCAL_AWS, type Principal } from '../../../lib/sim/aws-iot/principals';
import { RetainedStore } from '../../../lib/sim/aws-iot/retained-store';

/**
 * The subscription cap cannot be reached through a car's own policy (the contract allows at most as many
 * lamps as AWS allows subscriptions), so it is shown on the rules with a principal that may subscribe anywhere.
 */
test('a connection holds at most 50 subscriptions: the 51st filter is refused, a repeated one is not', () => {
  const aedes = Object.assign(new EventEmitter(), { persistence: {} }) as unknown as Aedes;
  const principal: Principal = {
    name: 'wide',
    documents: [
      {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['iot:Connect', 'iot:Subscribe'],
            Resource: `arn:aws:iot:${LOCAL_AWS.region}:${LOCAL_AWS.account}:*`,
          },
        ],
      },
    ],
  };
  const log: string[] = [];
  installIotCoreRules(aedes, {
    principals: new Map([[principal.name, principal]]),
    thingNames: new Set(),
    store: RetainedStore.open(),
    log: (line) => log.push(line),
  });
  const client = { id: 'wide', conn: { getPeerCertificate: () => ({ subject: { CN: 'wide' } }) } } as unknown as Client;
  let connected: boolean | null | undefined;
  aedes.authenticate(client, undefined, undefined, (_error, success) => {
    connected = success;
  });
  expect(connected).toBe(true);
  const subscribe = (topic: string) => {
    let granted: unknown;
    aedes.authorizeSubscribe(client, { topic, qos: 1 }, (_error, subscription) => {
      granted = subscription;
    });
    return granted !== null;
  };
  const answers = Array.from({ length: AWS_IOT_LIMITS.subscriptionsPerConnection }, (_, i) => subscribe(`t/${i}`));
  expect(answers.every(Boolean)).toBe(true);
  expect(subscribe('t/one-too-many')).toBe(false);
  expect(subscribe('t/0')).toBe(true);
  expect(log).toContain('denied: wide already holds 50 subscriptions');
});
