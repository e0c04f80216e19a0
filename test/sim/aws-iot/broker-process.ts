/**
 * Runs the twin's broker alone in its own process, for a test that kills it with SIGKILL: argv[2] is the PKI
 * folder. Prints the port once it listens.
 */
import { startLocalBroker } from '../../../lib/sim/broker';
import { ensureLocalPki } from '../../../lib/pki/local-ca';
import { testConfig } from '../../api/fixtures';

async function main(): Promise<void> {
  const pki = await ensureLocalPki({ dir: process.argv[2], carIds: Object.keys(testConfig.cars) });
  const broker = await startLocalBroker({ config: testConfig, pki, port: 0 });
  process.stdout.write(`${broker.port}\n`);
}

void main();
