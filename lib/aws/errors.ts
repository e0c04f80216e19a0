import { UserError } from '../user-error';

/** AWS refused or lacked something the user can fix (sign in, deploy, set a region); the message says which. */
export class AwsAccessError extends UserError {}

/**
 * Turns an SDK error into a sentence that says what to do. Messages from AWS are kept (they name the
 * missing permission, for instance); they never hold secret values. A `UserError` passes through as it is.
 */
export function explainAwsError(error: unknown, doing: string): UserError {
  if (error instanceof UserError) return error;
  const { name = 'Error', message = String(error) } = error as { name?: string; message?: string };
  if (name === 'CredentialsProviderError') {
    return new AwsAccessError(
      `no AWS credentials found while ${doing}; sign in (aws configure, or aws sso login with AWS_PROFILE set) and try again`,
    );
  }
  if (/Region is missing/i.test(message)) return new AwsAccessError(`no AWS region set; set AWS_REGION (the region you deployed to)`);
  if (/ExpiredToken|TokenRefreshRequired/.test(name))
    return new AwsAccessError(`the AWS session has expired; sign in again (aws sso login)`);
  if (/AccessDenied|UnauthorizedOperation/.test(name)) return new AwsAccessError(`AWS refused ${doing}: ${message}`);
  return new AwsAccessError(`${doing} failed: ${name}: ${message}`, { cause: error });
}
