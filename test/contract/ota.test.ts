import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  OTA_BLOCK_BYTES,
  OTA_PROTECTED_DIRS,
  OTA_PROTECTED_FILES,
  otaPathProblem,
  otaStreamId,
  otaSubscriptions,
  otaTopics,
} from '../../lib/contract';
import { packageUpdate } from '../../lib/ota/package';

/** The firmware's receive buffer: a packet longer than this is refused by the car's reader. */
function receiveBufferBytes(): number {
  const link = readFileSync(join(__dirname, '..', '..', 'firmware', 'link.py'), 'utf8');
  const match = /^_READ_BUFFER_BYTES = const\((\d+)\)/m.exec(link);
  if (!match) throw new Error('link.py has no _READ_BUFFER_BYTES');
  return Number(match[1]);
}

describe('over-the-air update contract', () => {
  test("the largest stream block message fits the firmware's receive buffer, for the longest car id", () => {
    const car = 'c'.repeat(64);
    const topic = otaTopics(car).streamData;
    const block = Buffer.alloc(OTA_BLOCK_BYTES, 0xff);
    // As AWS sends it, with the biggest numbers a car's stream can have (file 255, block 4095).
    const payload = JSON.stringify({ f: 255, l: OTA_BLOCK_BYTES, i: 4095, p: block.toString('base64') });
    // MQTT PUBLISH at QoS 1: fixed header (1 + up to 4 length bytes), topic length, topic, packet id, payload.
    const packet = 1 + 4 + 2 + Buffer.byteLength(topic) + 2 + Buffer.byteLength(payload);
    expect(packet).toBeLessThanOrEqual(receiveBufferBytes());
  });

  test("every update topic is the car's own, under $aws/things/<car>/", () => {
    const topics = otaTopics('rps13');
    for (const topic of [...otaSubscriptions('rps13'), topics.nextGet, topics.streamGet, topics.jobUpdate('plamo-ota-1')]) {
      expect(topic.startsWith('$aws/things/rps13/')).toBe(true);
    }
    expect(topics.streamData).toBe(`$aws/things/rps13/streams/${otaStreamId('rps13')}/data/json`);
  });

  test('a manifest may not name the credentials, the boot step, the staging area or a path that climbs out', () => {
    expect(otaPathProblem('certs/device.key.der')).toBe(
      'certs/device.key.der is in certs/, which an update never writes (credentials stay on the car)',
    );
    expect(otaPathProblem('boot.py')).toBe('boot.py is never replaced by an update');
    expect(otaPathProblem('ota/journal.json')).toBe(
      'ota/journal.json is in ota/, which an update never writes (credentials stay on the car)',
    );
    for (const path of ['../main.py', '/main.py', 'a//b.py', 'lib/./x.py', 'sp ace.py'])
      expect(otaPathProblem(path)).toBe(`'${path}' is not a plain relative path`);
    expect(otaPathProblem('lib/lamps.py')).toBeUndefined();
    expect([...OTA_PROTECTED_FILES]).toEqual(['boot.py', 'otaboot.py', 'last_error.txt']);
    expect([...OTA_PROTECTED_DIRS]).toEqual(['certs/', 'ota/']);
  });

  test('an update that would carry a protected file is refused, naming every one at once', () => {
    const files = new Map([
      ['app.py', Buffer.from('x')],
      ['certs/wifi-password.txt', Buffer.from('secret')],
      ['otaboot.py', Buffer.from('y')],
    ]);
    expect(() => packageUpdate({ version: '1', files })).toThrow(
      'the update cannot carry these files: certs/wifi-password.txt is in certs/, which an update never writes (credentials stay on the car); otaboot.py is never replaced by an update',
    );
  });
});
