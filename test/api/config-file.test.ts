import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiConfigOf, readApiConfigFile } from '../../lib/api';
import { stageApiConfig } from '../../lib/cloud/lamp-api';
import { testConfig } from './fixtures';

test('the staged file reads back as the config the API needs', () => {
  expect(readApiConfigFile(stageApiConfig(testConfig))).toEqual(apiConfigOf(testConfig));
});

test('the same config is staged to the same file, another config to another', () => {
  const { rps13 } = testConfig.cars;
  const oneCar = { ...testConfig, cars: { rps13 } };
  expect(stageApiConfig(testConfig)).toBe(stageApiConfig(testConfig));
  expect(stageApiConfig(oneCar)).not.toBe(stageApiConfig(testConfig));
});

test('a missing file names the file and the fix', () => {
  const missing = join(mkdtempSync(join(tmpdir(), 'plamo-config-file-')), 'api-config.json');
  expect(() => readApiConfigFile(missing)).toThrow(
    `the lamp API's config ${missing} cannot be read (ENOENT); deploy again with npx cdk deploy`,
  );
});

test('a file without cars names the file and the fix', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'plamo-config-file-')), 'api-config.json');
  writeFileSync(file, '{"topicRoot":"cars"}');
  expect(() => readApiConfigFile(file)).toThrow(
    `the lamp API's config ${file} holds no topicRoot and cars; deploy again with npx cdk deploy`,
  );
});
