import { UserError } from '../user-error';

/** Key material that cannot be used as it is (malformed, expired, mismatched); the message says how to get usable material. */
export class KeyMaterialError extends UserError {}
