import type { BuildOptions } from 'esbuild';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

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
