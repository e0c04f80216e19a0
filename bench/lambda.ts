import { fork } from 'node:child_process';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { mockClient } from 'aws-sdk-client-mock';
import { build } from 'esbuild';
import { API_CONFIG_FILE, generateToken, hashToken, TOKEN_TABLE_KEY } from '../lib/api';
import { esbuildOptionsOf } from '../lib/cloud/lambda-bundling';
import {
  ApiConfigBesideBundle,
  AUTHORIZER_ENTRY,
  LAMBDA_BUNDLING,
  LAMP_API_ENTRY,
  lampApiBundling,
  stageApiConfig,
} from '../lib/cloud/lamp-api';
import type { PlamoConfig } from '../lib/config';
import { configWithCars } from './configs';
import { type Distribution, distribution, elapsedMs, median } from './stats';

/**
 * Lambda bundles as the stack builds them (the construct's own bundling options, turned into esbuild's),
 * their cold `require` in fresh Node.js processes, and warm handler latency with the AWS clients mocked.
 */

export interface LambdaFigures {
  readonly name: 'lamp API' | 'authorizer';
  readonly bundleBytes: number;
  /** The lamp API reads the cars from a file beside its bundle: what one more car adds to it (between 1 and 50 cars). */
  readonly configBytesPerCar?: number;
  readonly coldRuns: number;
  /** Median of `require` of the external AWS SDK client plus the bundle. */
  readonly coldRequireMs: number;
  /** The part of it spent loading the AWS SDK client. */
  readonly coldSdkMs: number;
  /** Median time of the handler's first call in a fresh process (lamp API: GET /api/cars, no AWS call). */
  readonly coldFirstCallMs: number | null;
  readonly warm: Distribution;
}

export interface LambdaBenchOptions {
  readonly config: PlamoConfig;
  /** Where the bundles are written; inside the repository so their external `@aws-sdk/*` resolve. */
  readonly outDir: string;
  readonly coldRuns: number;
  readonly warmCalls: number;
  readonly progress: (line: string) => void;
}

const PROBE = join(__dirname, 'probes', 'cold-require.cjs');

async function bundle(entry: string, bundling: BundlingOptions, outfile: string): Promise<number> {
  const result = await build(esbuildOptionsOf(entry, bundling, outfile));
  // What NodejsFunction's after-bundling command does for the lamp API: its config goes beside the bundle.
  if (bundling.commandHooks instanceof ApiConfigBesideBundle)
    copyFileSync(bundling.commandHooks.stagedFile, join(dirname(outfile), API_CONFIG_FILE));
  const output = result.metafile?.outputs[Object.keys(result.metafile.outputs)[0]];
  if (!output) throw new Error(`esbuild wrote no output for ${entry}`);
  return output.bytes;
}

interface ColdSample {
  readonly sdkMs: number;
  readonly bundleMs: number;
  readonly firstCallMs: number | null;
}

/** One fresh `node` process, without the tsx loader or any NODE_OPTIONS of ours: as bare as a Lambda sandbox. */
function coldProcess(bundlePath: string, sdkModule: string, env: NodeJS.ProcessEnv, firstEvent?: unknown): Promise<ColdSample> {
  const args = [bundlePath, sdkModule, ...(firstEvent === undefined ? [] : [JSON.stringify(firstEvent)])];
  const child = fork(PROBE, args, { execArgv: [], env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message: ColdSample & { error?: string }) => {
      if (message.error) reject(new Error(`cold start probe failed: ${message.error}`));
      else resolve(message);
    });
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`cold start probe exited with ${code}: ${stderr.trim()}`));
    });
  });
}

function bareEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { PATH, HOME, TMPDIR } = process.env;
  return { PATH, HOME, TMPDIR, AWS_REGION: 'eu-west-1', ...extra };
}

/** A minimal HTTP API (payload 2.0) event: what `toApiRequest` in lambda/api reads. */
function apiEvent(method: string, rawPath: string, body?: string) {
  return {
    version: '2.0',
    routeKey: `${method} ${rawPath}`,
    rawPath,
    rawQueryString: '',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    isBase64Encoded: false,
    body,
    requestContext: { http: { method, path: rawPath }, authorizer: { lambda: { tokenName: 'bench' } } },
  };
}

function authorizerEvent(authorization: string) {
  return { version: '2.0', type: 'REQUEST', routeKey: 'GET /api/cars', headers: { authorization }, identitySource: [authorization] };
}

async function coldStarts(runs: number, start: () => Promise<ColdSample>, progress: (line: string) => void) {
  // One discarded run first, so the file system cache is warm for every measured one, as it is in Lambda.
  await start();
  const samples: ColdSample[] = [];
  for (let i = 0; i < runs; i++) samples.push(await start());
  progress(`  ${runs} cold processes done`);
  const firstCalls = samples.map((sample) => sample.firstCallMs).filter((value): value is number => value !== null);
  return {
    coldRuns: runs,
    coldRequireMs: median(samples.map((sample) => sample.sdkMs + sample.bundleMs)),
    coldSdkMs: median(samples.map((sample) => sample.sdkMs)),
    coldFirstCallMs: firstCalls.length > 0 ? median(firstCalls) : null,
  };
}

/** Calls the handler `calls` times after as many warm-up calls; Powertools' log lines are swallowed meanwhile. */
async function warmLatency(calls: number, invoke: () => Promise<unknown>): Promise<Distribution> {
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    for (let i = 0; i < calls; i++) await invoke();
    const samples: number[] = [];
    for (let i = 0; i < calls; i++) {
      const start = performance.now();
      await invoke();
      samples.push(elapsedMs(start));
    }
    return distribution(samples);
  } finally {
    process.stdout.write = write;
  }
}

type Handler = (event: unknown) => Promise<{ statusCode?: number; isAuthorized?: boolean }>;

function loadHandler(bundlePath: string): Handler {
  return require(bundlePath).handler;
}

async function benchLampApi(options: LambdaBenchOptions): Promise<LambdaFigures> {
  const file = join(options.outDir, 'api', 'index.js');
  const bundleBytes = await bundle(LAMP_API_ENTRY, lampApiBundling(options.config), file);
  // The cars are not in the bundle but in the file beside it; what it takes per car is read there.
  const configBytes = (cars: number) => statSync(stageApiConfig(configWithCars(options.config, cars))).size;
  const configBytesPerCar = (configBytes(50) - configBytes(1)) / 49;
  const env = { IOT_DATA_ENDPOINT: 'bench-ats.iot.eu-west-1.amazonaws.com', CAR_STORE_TABLE_NAME: 'bench-car-store' };
  options.progress(`lamp API bundle: ${bundleBytes} B; cold starts…`);
  const cold = await coldStarts(
    options.coldRuns,
    () => coldProcess(file, '@aws-sdk/client-iot-data-plane', bareEnvironment(env), apiEvent('GET', '/api/cars')),
    options.progress,
  );

  Object.assign(process.env, env);
  const iot = mockClient(IoTDataPlaneClient).on(PublishCommand).resolves({});
  const handler = loadHandler(file);
  const [carId, car] = Object.entries(options.config.cars)[0];
  const lamp = Object.keys(car.lamps)[0];
  let on = false;
  const warm = await warmLatency(options.warmCalls, async () => {
    on = !on;
    const response = await handler(apiEvent('PUT', `/api/cars/${carId}/lamps/${lamp}`, JSON.stringify({ mode: on ? 'on' : 'off' })));
    if (response.statusCode !== 202) throw new Error(`PUT answered ${response.statusCode}`);
  });
  iot.restore();
  return { name: 'lamp API', bundleBytes, configBytesPerCar, ...cold, warm };
}

async function benchAuthorizer(options: LambdaBenchOptions): Promise<LambdaFigures> {
  const file = join(options.outDir, 'authorizer', 'index.js');
  const bundleBytes = await bundle(AUTHORIZER_ENTRY, LAMBDA_BUNDLING, file);
  options.progress(`authorizer bundle: ${bundleBytes} B; cold starts…`);
  const cold = await coldStarts(
    options.coldRuns,
    () => coldProcess(file, '@aws-sdk/client-dynamodb', bareEnvironment({})),
    options.progress,
  );

  const token = generateToken();
  process.env.TOKEN_TABLE_NAME = 'bench-tokens';
  const item = { [TOKEN_TABLE_KEY]: { S: hashToken(token) }, name: { S: 'bench' }, createdAt: { S: new Date().toISOString() } };
  const dynamo = mockClient(DynamoDBClient).on(GetItemCommand).resolves({ Item: item });
  const handler = loadHandler(file);
  const warm = await warmLatency(options.warmCalls, async () => {
    const result = await handler(authorizerEvent(`Bearer ${token}`));
    if (!result.isAuthorized) throw new Error('the authorizer refused the benchmark token');
  });
  dynamo.restore();
  return { name: 'authorizer', bundleBytes, ...cold, warm };
}

export async function benchLambdas(options: LambdaBenchOptions): Promise<LambdaFigures[]> {
  mkdirSync(options.outDir, { recursive: true });
  return [await benchLampApi(options), await benchAuthorizer(options)];
}
