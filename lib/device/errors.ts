/** An expected failure while building a device bundle: the message says what is wrong and how to fix it. */
export class DeviceBundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeviceBundleError';
  }
}
