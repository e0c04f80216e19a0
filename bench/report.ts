import { API_CONFIG_FILE } from '../lib/api/config-file';
import type { CliFigures } from './cli';
import type { FirmwareFigures } from './firmware-heap';
import type { LambdaFigures } from './lambda';
import type { MachineInfo } from './machine';
import type { OtaFigures } from './ota-update';
import type { PageFigures } from './phone-page';
import type { Distribution } from './stats';
import type { SynthFigures } from './synth';
import { TARGETS } from './targets';
import type { TwinFigures } from './twin-latency';

/** Everything one `npm run bench` measured; also what `bench/results/latest.json` holds. */
export interface BenchResults {
  readonly machine: MachineInfo;
  /** Fewer samples than the budget asks for: a smoke run, not figures to quote. */
  readonly quick: boolean;
  readonly twin?: TwinFigures;
  readonly page?: PageFigures;
  readonly lambdas?: readonly LambdaFigures[];
  readonly firmware?: FirmwareFigures;
  readonly ota?: OtaFigures;
  readonly synth?: SynthFigures;
  readonly cli?: CliFigures;
  /** Sections that could not be measured, with the reason. */
  readonly failures: Readonly<Record<string, string>>;
}

interface Row {
  readonly area: string;
  readonly figure: string;
  readonly measured: string;
  /** The budget, with ✓ or ✗ when there is one. */
  readonly target: string;
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const seconds = (milliseconds: number) => `${(milliseconds / 1000).toFixed(2)} s`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const bytes = (value: number) => `${Math.round(value).toLocaleString('en-US')} B`;
/** Per-car averages are fractional when CDK adds a resource every few cars (IAM overflow policies). */
const count = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));
const spread = (d: Distribution) => `${d.p50.toFixed(1)} / ${d.p90.toFixed(1)} / ${d.p99.toFixed(1)} ms`;

function budget(text: string, met: boolean): string {
  return `${text} ${met ? '✓' : '✗ missed'}`;
}

const ratios = (r: TwinFigures['ratio']) => `${r.p50.toFixed(1)}× / ${r.p90.toFixed(1)}× / ${r.p99.toFixed(1)}×`;

function twinRows(twin: TwinFigures): Row[] {
  const area = 'local twin';
  const met = twin.twin.p50 <= TARGETS.twinP50Ms && twin.twin.p99 <= TARGETS.twinP99Ms;
  const pinBound = TARGETS.pinOverFloorP50 * twin.floor.p50 + TARGETS.pinOverFloorSlackMs;
  const reportedBound = TARGETS.reportedOverPinP50 * twin.twin.p50;
  return [
    {
      area,
      figure: `HTTP PUT → virtual pin, p50 / p90 / p99 of ${twin.twin.n}`,
      measured: spread(twin.twin),
      target: budget(`p50 ≤ ${TARGETS.twinP50Ms}, p99 ≤ ${TARGETS.twinP99Ms} ms`, met),
    },
    {
      area,
      figure: `HTTP PUT → virtual pin, p50 against ${TARGETS.pinOverFloorP50} × floor p50 + ${TARGETS.pinOverFloorSlackMs} ms`,
      measured: ms(twin.twin.p50),
      target: budget(`≤ ${ms(pinBound)}`, twin.twin.p50 <= pinBound),
    },
    {
      area,
      figure: `HTTP PUT → API read shows the report (pending:false), p50 / p90 / p99 of ${twin.reported.n}`,
      measured: spread(twin.reported),
      target: budget(`p50 ≤ ${TARGETS.reportedOverPinP50} × PUT → pin p50 = ${ms(reportedBound)}`, twin.reported.p50 <= reportedBound),
    },
    {
      area,
      figure: 'of it: HTTP PUT → response (token check, API, QoS 1 publish acknowledged), p50 / p90 / p99',
      measured: spread(twin.httpResponse),
      target: '—',
    },
    {
      area,
      figure: `MQTT floor (publish → subscriber, same TLS), p50 / p90 / p99 of ${twin.floor.n}`,
      measured: spread(twin.floor),
      target: '—',
    },
    {
      area,
      figure: 'PUT → pin ÷ floor at p50 / p90 / p99',
      measured: ratios(twin.ratio),
      target: '—',
    },
    {
      area,
      figure: 'PUT → pending:false ÷ floor at p50 / p90 / p99',
      measured: ratios(twin.reportedRatio),
      target: '—',
    },
  ];
}

function pageRows(page: PageFigures): Row[] {
  const area = 'phone page';
  return [
    {
      area,
      figure: `tap → page shows the reported state (headless Chromium, twin), p50 / p90 / p99 of ${page.tapToShown.n}`,
      measured: spread(page.tapToShown),
      target: budget(`p50 ≤ ${TARGETS.pageTapToShownP50Ms} ms`, page.tapToShown.p50 <= TARGETS.pageTapToShownP50Ms),
    },
    {
      area,
      figure: `AWS calls per car an hour of an open page, visible (API request + Lambda + DynamoDB Query each; counted over ${page.windowS} s)`,
      measured: count(Math.round(page.readsPerHourVisible)),
      target: '—',
    },
    { area, figure: 'the same, page hidden', measured: count(Math.round(page.readsPerHourHidden)), target: '—' },
  ];
}

function lambdaRows(lambda: LambdaFigures): Row[] {
  const area = `${lambda.name} Lambda`;
  const isApi = lambda.name === 'lamp API';
  const sizeBudget = isApi ? TARGETS.lampApiBundleBytes : TARGETS.authorizerBundleBytes;
  const rows: Row[] = [
    {
      area,
      figure: 'bundle, minified',
      measured: kb(lambda.bundleBytes),
      target: budget(`≤ ${kb(sizeBudget)}`, lambda.bundleBytes <= sizeBudget),
    },
    {
      area,
      figure: `cold \`require\`, median of ${lambda.coldRuns} fresh processes (of it: AWS SDK client)`,
      measured: `${ms(lambda.coldRequireMs)} (${ms(lambda.coldSdkMs)})`,
      target: isApi ? budget(`≤ ${TARGETS.lampApiColdRequireMs} ms`, lambda.coldRequireMs <= TARGETS.lampApiColdRequireMs) : '—',
    },
  ];
  if (lambda.configBytesPerCar !== undefined) {
    rows.push({
      area,
      figure: `config file beside the bundle (${API_CONFIG_FILE}), per car; the bundle does not grow`,
      measured: `${bytes(lambda.configBytesPerCar)}: ${kb(lambda.configBytesPerCar * 500)} for 500 cars`,
      target: '—',
    });
  }
  if (lambda.coldFirstCallMs !== null) {
    rows.push({ area, figure: 'first call after the cold `require` (GET /api/cars)', measured: ms(lambda.coldFirstCallMs), target: '—' });
  }
  const client = isApi ? 'IoT data plane' : 'DynamoDB';
  rows.push({
    area,
    figure: `warm handler, ${client} mocked, p50 / p90 / p99 of ${lambda.warm.n}`,
    measured: spread(lambda.warm),
    target: '—',
  });
  return rows;
}

function firmwareRows(firmware: FirmwareFigures): Row[] {
  const area = 'firmware (wasm)';
  const [short, long] = firmware.growth.runs;
  const modules = Object.entries(firmware.modules).map(([name, size]) => `${name} ${kb(size)}`);
  return [
    {
      area,
      figure:
        "firmware's own heap after boot: `gc.mem_alloc()` less the same interpreter with the board's modules only (after boot − board)",
      measured: `${bytes(firmware.firmwareBytes)} (${bytes(firmware.afterBootBytes)} − ${bytes(firmware.boardBytes)})`,
      target: budget(`≤ ${kb(TARGETS.firmwareHeapAfterBootBytes)}`, firmware.firmwareBytes <= TARGETS.firmwareHeapAfterBootBytes),
    },
    {
      area,
      figure: 'of it: interned strings (qstr pools); DER credentials held by the TLS context',
      measured: `${bytes(firmware.internedBytes)}; ${bytes(firmware.credentialsBytes)}`,
      target: '—',
    },
    { area, figure: 'each module at import (`checks` is dropped again after boot)', measured: modules.join(', '), target: '—' },
    {
      area,
      figure: `heap kept over ${short.messages.toLocaleString('en-US')} / ${long.messages.toLocaleString('en-US')} messages of every kind after ${firmware.growth.warmupMessages} to warm up (\`gc.collect()\` around each run); per message`,
      measured: `${bytes(short.keptBytes)} / ${bytes(long.keptBytes)}; ${firmware.growth.perMessageBytes.toFixed(3)} B`,
      target: budget('no growth with the message count', !firmware.growth.proportional),
    },
    { area, figure: 'bytes allocated per handled message', measured: bytes(firmware.allocatedPerMessageBytes), target: '—' },
  ];
}

function otaRows(ota: OtaFigures): Row[] {
  const area = 'update (twin)';
  return [
    {
      area,
      figure: `\`plamo ota\` of the whole firmware (${ota.wholeFiles} files, every one changed) → the car online with it; ${ota.blockBytes} B blocks over MQTT`,
      measured: `${seconds(ota.wholeMs)} for ${kb(ota.wholeBytes)}`,
      target: '—',
    },
    {
      area,
      figure: '`plamo ota` of a config change (config.py only) → the car online with it',
      measured: `${seconds(ota.configOnlyMs)} for ${kb(ota.configOnlyBytes)}`,
      target: '—',
    },
  ];
}

function synthRows(synth: SynthFigures): Row[] {
  const area = 'cdk synth';
  const limit = synth.group.limit;
  const rows: Row[] = synth.runs.map((run) => ({
    area,
    figure:
      `${run.cars} car${run.cars === 1 ? '' : 's'}: \`cdk synth\` (of it: the app in-process), medians of ${run.timings.length}; ` +
      'parent: resources, outputs, template; car groups; the fullest: cars, resources, template',
    measured:
      `${seconds(run.cliMedianMs)} (${seconds(run.medianMs)}); ${run.parent.resources}, ${run.parent.outputs}, ${kb(run.parent.bytes)}; ` +
      `${run.groups}; ${run.largestGroup.cars}, ${run.largestGroup.resources}, ${kb(run.largestGroup.bytes)}`,
    target: budget(
      `${run.cars >= 500 ? `≤ ${seconds(TARGETS.synth500CarsMs)}, ` : ''}≤ ${limit} resources a stack, ≤ 1 MB a template`,
      (run.cars < 500 || run.cliMedianMs <= TARGETS.synth500CarsMs) &&
        Math.max(run.parent.resources, run.largestGroup.resources) <= limit &&
        Math.max(run.parent.bytes, run.largestGroup.bytes) <= 1024 * 1024,
    ),
  }));
  const { group } = synth;
  rows.push({
    area,
    figure: 'a car group: resources per car (+ shared); most cars in one group',
    measured: `${count(group.perCar)} (+ ${count(group.shared)}); ${group.maxCarsPerGroup}`,
    target: '—',
  });
  if (synth.pastTheLimit) {
    rows.push({
      area,
      figure: `synth of ${synth.pastTheLimit.cars} cars in one group`,
      measured: `fails: ${synth.pastTheLimit.message}`,
      target: '—',
    });
  }
  return rows;
}

function cliRows(cli: CliFigures): Row[] {
  const area = 'plamo CLI';
  return [
    {
      area,
      figure: `\`plamo --help\`, median of ${cli.runs} fresh processes (÷ \`node -e ''\`)`,
      measured: `${ms(cli.helpMs)} (${(cli.helpMs / cli.nodeFloorMs).toFixed(1)}×)`,
      target: budget(`≤ ${TARGETS.cliHelpMs} ms`, cli.helpMs <= TARGETS.cliHelpMs),
    },
    { area, figure: `\`plamo --version\`, median of ${cli.runs}`, measured: ms(cli.versionMs), target: '—' },
    { area, figure: "floor: `node -e ''`, median of the same runs", measured: ms(cli.nodeFloorMs), target: '—' },
  ];
}

export function resultRows(results: BenchResults): Row[] {
  const rows: Row[] = [];
  if (results.twin) rows.push(...twinRows(results.twin));
  if (results.page) rows.push(...pageRows(results.page));
  for (const lambda of results.lambdas ?? []) rows.push(...lambdaRows(lambda));
  if (results.firmware) rows.push(...firmwareRows(results.firmware));
  if (results.ota) rows.push(...otaRows(results.ota));
  if (results.synth) rows.push(...synthRows(results.synth));
  if (results.cli) rows.push(...cliRows(results.cli));
  for (const [area, reason] of Object.entries(results.failures)) rows.push({ area, figure: 'not measured', measured: reason, target: '—' });
  return rows;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function markdownTable(results: BenchResults): string {
  const lines = ['| area | figure | measured | target |', '| --- | --- | --- | --- |'];
  for (const row of resultRows(results)) {
    lines.push(`| ${[row.area, row.figure, row.measured, row.target].map(escapeCell).join(' | ')} |`);
  }
  const { machine } = results;
  lines.push(
    '',
    `${machine.date} · ${machine.cpus} × ${machine.cpuModel} · Node.js ${machine.node} · ${machine.platform}. ` +
      'Medians and percentiles of one run on a shared machine; warm-up runs are discarded.',
  );
  if (results.quick) lines.push('', '**Quick run (`--quick`): too few samples to quote.**');
  return lines.join('\n');
}
