/**
 * A failure the user can fix: a bad config, a missing key, a stack not deployed, a port in use. Its message
 * says what is wrong and how to fix it, so the CLI and the CDK app print it alone, without a stack trace.
 * Every such error in the project extends this one class; anything else is a bug and keeps its stack.
 */
export class UserError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
