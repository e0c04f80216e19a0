import { UserError } from '../user-error';

/** A command-line mistake (an unknown car, a bad option value): printed as it is, without a stack trace. */
export class CliError extends UserError {}
