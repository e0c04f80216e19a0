import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { carTopics, DELIVERY, LIMITS } from '../../lib/contract';

/** The README's "MQTT contract" section, up to the next heading. */
function contractSection(): string {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf('\n## MQTT contract\n');
  if (start < 0) throw new Error('README.md has no "## MQTT contract" section');
  return readme.slice(start + 1, readme.indexOf('\n## ', start + 1));
}

/** Table rows as cells, keyed by the topic in the first column. */
function tableRows(section: string): Map<string, string[]> {
  const rows = section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) =>
      line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  return new Map(rows.map((cells) => [cells[0].replace(/`/g, ''), cells]));
}

const topics = carTopics('{root}', '{car}');
const deviceKinds = [
  ['lampState', topics.lampState('{lamp}')],
  ['status', topics.status],
  ['telemetry', topics.telemetry],
  ['events', topics.events],
] as const;

describe('the README contract table says what lib/contract does', () => {
  const section = contractSection();
  const rows = tableRows(section);

  test('it lists exactly the contract topics', () => {
    expect([...rows.keys()].sort()).toEqual([topics.lampSet('{lamp}'), ...deviceKinds.map(([, topic]) => topic)].sort());
  });

  test.each(deviceKinds)('%s has the contract QoS and retain flag', (kind, topic) => {
    const [, , qos, retained] = rows.get(topic) ?? [];
    expect(Number(qos)).toBe(DELIVERY[kind].qos);
    expect(retained).toBe(DELIVERY[kind].retain ? 'yes' : 'no');
  });

  test('commands have the contract QoS and are retained only for powerOn "restore"', () => {
    const [, , qos, retained] = rows.get(topics.lampSet('{lamp}')) ?? [];
    expect(Number(qos)).toBe(DELIVERY.lampSet.qos);
    expect(retained).toBe('when `powerOn: "restore"`');
  });

  test('the limits it quotes are the contract limits', () => {
    expect(section).toContain(`payload (JSON, ≤ ${LIMITS.payloadMaxBytes} B)`);
    expect(section).toContain(`at most ${LIMITS.commandIdMaxLength} characters`);
    expect(section).toContain(`every ${LIMITS.telemetryIntervalS} s`);
  });
});
