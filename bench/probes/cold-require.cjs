// Runs in a fresh Node.js process, as a Lambda cold start does: times `require` of a bundle, split into the
// AWS SDK client it leaves external (the Lambda runtime provides it, but it still has to be loaded) and
// the bundle itself; optionally also the handler's first call. Reports over IPC; stdout is the handler's.
const [bundlePath, sdkModule, firstEventJson] = process.argv.slice(2);

const ms = (from, to) => Number(to - from) / 1e6;

async function main() {
  const start = process.hrtime.bigint();
  require(sdkModule);
  const sdkLoaded = process.hrtime.bigint();
  const { handler } = require(bundlePath);
  const bundleLoaded = process.hrtime.bigint();
  let firstCallMs = null;
  if (firstEventJson) {
    await handler(JSON.parse(firstEventJson));
    firstCallMs = ms(bundleLoaded, process.hrtime.bigint());
  }
  process.send({ sdkMs: ms(start, sdkLoaded), bundleMs: ms(sdkLoaded, bundleLoaded), firstCallMs }, () => process.exit(0));
}

main().catch((error) => {
  process.send({ error: String(error?.stack ?? error) }, () => process.exit(1));
});
