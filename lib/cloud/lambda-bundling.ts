import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/** The newest Node.js runtime aws-cdk-lib 2.276 knows; pinned rather than NODEJS_LATEST so an upgrade is a visible change. */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;

/**
 * The AWS SDK v3 is part of the Node.js Lambda runtime, so it stays out of the bundles: bundled, the IoT data
 * plane client alone is ~300 KB minified and DynamoDB's ~330 KB, against budgets of 150 KB (lamp API) and
 * 20 KB (authorizer). What is bundled is our code and Powertools (lamp API only). The certificate provider
 * overrides `externalModules` to bundle the SDK version its tests mock.
 */
export const LAMBDA_BUNDLING = {
  minify: true,
  target: 'node24',
  format: OutputFormat.CJS,
  externalModules: ['@aws-sdk/*', '@smithy/*'],
  sourceMap: false,
} as const satisfies BundlingOptions;

/**
 * The esbuild options NodejsFunction derives from these bundling options (aws-lambda-nodejs `Bundling`), so
 * the bundle-size test and the benchmark measure exactly what the stack deploys.
 */
export function esbuildOptionsOf(entry: string, bundling: BundlingOptions, outfile?: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    metafile: true,
    logLevel: 'silent',
    minify: bundling.minify,
    target: bundling.target,
    format: bundling.format === OutputFormat.ESM ? 'esm' : 'cjs',
    external: [...(bundling.externalModules ?? [])],
    define: bundling.define,
    sourcemap: bundling.sourceMap,
  };
}
