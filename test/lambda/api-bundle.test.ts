import { build, type Metafile } from 'esbuild';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { esbuildOptionsOf } from '../../lib/cloud/lambda-bundling';
import { AUTHORIZER_ENTRY, LAMBDA_BUNDLING, LAMP_API_ENTRY, lampApiBundling } from '../../lib/cloud/lamp-api';
import { configWithCars } from '../../bench/configs';
import { testConfig } from '../api/fixtures';

/** Bundles an entry the way the stack does (the options NodejsFunction gets) and returns the metafile. */
async function bundle(
  entry: string,
  options: BundlingOptions = LAMBDA_BUNDLING,
): Promise<{ bytes: number; inputs: string[]; code: string }> {
  const result = await build({ ...esbuildOptionsOf(entry, options), write: false });
  const [output] = Object.values((result.metafile as Metafile).outputs);
  return { bytes: output.bytes, inputs: Object.keys(output.inputs), code: result.outputFiles[0].text };
}

describe('Lambda bundles', () => {
  test('the lamp API bundle, phone page included, is at most 150 KB minified and holds neither zod nor an AWS SDK client', async () => {
    const { bytes, inputs } = await bundle(LAMP_API_ENTRY, lampApiBundling(testConfig));
    expect(bytes).toBeLessThanOrEqual(150 * 1024);
    expect(inputs.filter((input) => /node_modules\/(zod|@aws-sdk|@smithy)\//.test(input))).toEqual([]);
  });

  test('the authorizer bundle is at most 20 KB minified and holds neither Powertools nor zod', async () => {
    const { bytes, inputs } = await bundle(AUTHORIZER_ENTRY);
    expect(bytes).toBeLessThanOrEqual(20 * 1024);
    expect(inputs.filter((input) => /node_modules\/(zod|@aws-lambda-powertools|@aws-sdk)\//.test(input))).toEqual([]);
  });

  test('the cars stay out of the lamp API bundle: 500 cars make it no larger than one', async () => {
    const { bytes: oneCar } = await bundle(LAMP_API_ENTRY, lampApiBundling(configWithCars(testConfig, 1)));
    const { bytes: manyCars, code } = await bundle(LAMP_API_ENTRY, lampApiBundling(configWithCars(testConfig, 500)));
    expect(manyCars).toBe(oneCar);
    expect(code).not.toContain('car500');
  });

  test('the AWS SDK clients the functions use are left to the Lambda runtime', async () => {
    expect((await bundle(LAMP_API_ENTRY, lampApiBundling(testConfig))).code).toContain('require("@aws-sdk/client-iot-data-plane")');
    expect((await bundle(AUTHORIZER_ENTRY)).code).toContain('require("@aws-sdk/client-dynamodb")');
  });
});
