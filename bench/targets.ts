/**
 * The project's performance budget, in one place so the table can put
 * each figure next to its target.
 */
export const TARGETS = {
  /** Local command → virtual pin, p50 and p99, milliseconds. */
  twinP50Ms: 20,
  twinP99Ms: 60,
  /** PUT → pin p50 at most this many times the MQTT floor's p50, plus `pinOverFloorSlackMs`. */
  pinOverFloorP50: 3,
  pinOverFloorSlackMs: 5,
  /** PUT → the API showing the car's report (`pending: false`), p50 at most this many times PUT → pin's p50. */
  reportedOverPinP50: 2,
  /** Tap on the phone page → the page shows the reported state, against the twin, p50. */
  pageTapToShownP50Ms: 300,
  lampApiBundleBytes: 150 * 1024,
  lampApiColdRequireMs: 60,
  authorizerBundleBytes: 20 * 1024,
  firmwareHeapAfterBootBytes: 16 * 1024,
  /** `cdk synth` of 500 cars with the CDK CLI, milliseconds. */
  synth500CarsMs: 60_000,
  /** `plamo --help` in a fresh process, milliseconds. */
  cliHelpMs: 1500,
} as const;
