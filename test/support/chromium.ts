import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';

/** A Chromium for playwright-core to launch, with the environment it needs. */
export interface ChromiumBinary {
  readonly executablePath: string;
  readonly env?: Readonly<Record<string, string>>;
}

export const DEBIAN_CHROMIUM = '/usr/bin/chromium';
const PACKAGE = '@sparticuz/chromium';

/**
 * The Chromium the browser tests drive: `PLAMO_CHROMIUM` when set, else Debian's (`apt-get install chromium`),
 * else the one `npm ci` installed as @sparticuz/chromium, so that a fresh machine needs nothing else.
 */
export async function findChromium(env: NodeJS.ProcessEnv = process.env): Promise<ChromiumBinary> {
  const chosen = env.PLAMO_CHROMIUM;
  if (chosen) {
    if (!existsSync(chosen)) throw new Error(`PLAMO_CHROMIUM is ${chosen}, which does not exist; point it at a Chromium or unset it`);
    return { executablePath: chosen };
  }
  if (existsSync(DEBIAN_CHROMIUM)) return { executablePath: DEBIAN_CHROMIUM };
  return packagedChromium();
}

/** The package's bin folder; its exports map hides every path but the entry point (build/cjs/index.cjs). */
function packageBin(): string {
  return resolve(dirname(require.resolve(PACKAGE)), '..', '..', 'bin');
}

/**
 * The package ships Chromium as Brotli archives: the binary, its fonts, and the NSS libraries it links against
 * (built for Amazon Linux 2023, and also absent from a fresh Debian or Ubuntu). They are unpacked once into
 * node_modules/.cache, into a temporary folder renamed when complete, so an interrupted run leaves no half binary.
 */
export async function packagedChromium(): Promise<ChromiumBinary> {
  const bin = packageBin();
  const { version } = JSON.parse(readFileSync(join(bin, '..', 'package.json'), 'utf8')) as { version: string };
  const target = resolve(bin, '..', '..', '..', '.cache', `plamo-chromium-${version}`);
  if (!existsSync(target)) {
    const partial = `${target}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    await pipeline(
      createReadStream(join(bin, 'chromium.br')),
      createBrotliDecompress(),
      createWriteStream(join(partial, 'chromium'), { mode: 0o700 }),
    );
    for (const archive of ['fonts', 'al2023']) {
      await pipeline(createReadStream(join(bin, `${archive}.tar.br`)), createBrotliDecompress(), untar(join(partial, archive)));
    }
    // The package's fonts.conf names /tmp/fonts, where it would unpack them in Lambda; these are elsewhere.
    writeFileSync(join(partial, 'fonts', 'fonts.conf'), fontConfig(join(target, 'fonts')));
    try {
      renameSync(partial, target);
    } catch (error) {
      // Another test process finished first: use its copy.
      rmSync(partial, { recursive: true, force: true });
      if (!existsSync(target)) throw error;
    }
  }
  return {
    executablePath: join(target, 'chromium'),
    env: { LD_LIBRARY_PATH: join(target, 'al2023', 'lib'), FONTCONFIG_PATH: join(target, 'fonts') },
  };
}

function fontConfig(folder: string): string {
  return `<?xml version="1.0"?>\n<fontconfig><dir>${folder}/fonts</dir><cachedir>${folder}/cache</cachedir></fontconfig>\n`;
}

function untar(folder: string): NodeJS.WritableStream {
  const { extract } = require('tar-fs') as { extract(folder: string): NodeJS.WritableStream };
  return extract(folder);
}
