import { UserError } from '../user-error';

/** An expected failure while building a device bundle: the message says what is wrong and how to fix it. */
export class DeviceBundleError extends UserError {}
