/**
 * The project's performance budget, in one place so the table can put
 * each figure next to its target.
 */
export const TARGETS = {
  /** Local command → virtual pin, p50 and p99, milliseconds. */
  twinP50Ms: 20,
  twinP99Ms: 60,
  lampApiBundleBytes: 150 * 1024,
  lampApiColdRequireMs: 60,
  authorizerBundleBytes: 20 * 1024,
  firmwareHeapAfterBootBytes: 16 * 1024,
  /** `plamo --help` in a fresh process, milliseconds. */
  cliHelpMs: 1500,
} as const;
