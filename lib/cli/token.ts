import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Command } from 'commander';
import QRCode from 'qrcode';
import { DynamoTokenStore } from '../aws/dynamo-token-store';
import { AwsAccessError, explainAwsError } from '../aws/errors';
import { readStackOutputs } from '../aws/stack-outputs';
import { isExpired, issueToken, parseTokenLifetime, TOKEN_NAME_PATTERN, type TokenRecord, type TokenStore } from '../api/tokens';
import { AUTHORIZER_CACHE_TTL } from '../cloud/lamp-api';
import { STACK_NAME, STACK_OUTPUTS } from '../contract/stack';
import { COMMANDS } from './commands';
import { noteNodeSupport } from './node-support';
import { CliError } from './cli-error';
import { table } from './table';

/** Where the deployed API lives: read from the stack's outputs. */
export interface DeployedApi {
  readonly apiUrl: string;
  readonly tokenTable: string;
}

export interface TokenClients {
  readonly cloudFormation: CloudFormationClient;
  readonly dynamo: DynamoDBClient;
}

/** The stack's API outputs; a stack without them was deployed from an older version and says so. */
export async function readDeployedApi(cloudFormation: CloudFormationClient, stackName: string = STACK_NAME): Promise<DeployedApi> {
  const { outputs } = await readStackOutputs(cloudFormation, stackName);
  const apiUrl = outputs.get(STACK_OUTPUTS.apiUrl);
  const tokenTable = outputs.get(STACK_OUTPUTS.tokenTable);
  if (!apiUrl || !tokenTable) {
    throw new CliError(
      `stack ${stackName} has no lamp API outputs (${STACK_OUTPUTS.apiUrl}, ${STACK_OUTPUTS.tokenTable}); run: npx cdk deploy`,
    );
  }
  return { apiUrl: apiUrl.replace(/\/+$/, ''), tokenTable };
}

/** The link the phone opens: the token rides in the fragment, which browsers never send to a server. */
export function phoneLink(apiUrl: string, token: string): string {
  return `${apiUrl}/#token=${token}`;
}

async function withAws<T>(doing: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') {
      throw new AwsAccessError(`the token table is gone (${(error as Error).message}); run: npx cdk deploy`);
    }
    throw explainAwsError(error, doing);
  }
}

/** Checked before any AWS call, so a typo costs nothing. */
export function checkTokenName(name: string): void {
  if (!TOKEN_NAME_PATTERN.test(name)) {
    throw new CliError(`'${name}' is not a usable token name; use up to 64 letters, digits, '.', '_' or '-', like my-phone`);
  }
}

/** `--expires 90d` as milliseconds, checked before any AWS call. */
export function checkTokenLifetime(expires: string | undefined): number | undefined {
  if (expires === undefined) return undefined;
  const lifetime = parseTokenLifetime(expires);
  if (lifetime === undefined) throw new CliError(`--expires '${expires}': give days or hours, like 90d or 12h`);
  return lifetime;
}

/** Issues a token and returns what to print: the token and its QR code, shown this once and never again. */
export async function createToken(store: TokenStore, apiUrl: string, name: string, now = new Date(), lifetimeMs?: number): Promise<string> {
  checkTokenName(name);
  const { token, record } = await withAws('storing the token', () => issueToken(store, name, now, lifetimeMs));
  const link = phoneLink(apiUrl, token);
  const qr = await QRCode.toString(link, { type: 'terminal', small: true });
  return [
    `✓ token '${name}' created${record.expiresAt ? `, valid until ${record.expiresAt}` : ''}. It is shown only now: plamo keeps just its SHA-256.`,
    '',
    `  ${token}`,
    '',
    'Scan this with the phone (or open the link on it):',
    qr,
    link,
    '',
    `Use it from curl as: -H "Authorization: Bearer ${token}"`,
  ].join('\n');
}

function expiryOf(record: TokenRecord, now: number): string {
  if (record.expiresAt === undefined) return 'never';
  return isExpired(record, now) ? `expired ${record.expiresAt}` : record.expiresAt;
}

export async function listTokens(store: TokenStore, now = Date.now()): Promise<string> {
  const records = await withAws('listing tokens', () => store.list());
  if (records.length === 0) return 'no tokens yet; make one with: npx plamo token create <name>';
  const rows = records
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .map((record) => [record.name, record.createdAt, expiryOf(record, now)]);
  return table(['name', 'created', 'expires'], rows);
}

export async function revokeToken(store: TokenStore, name: string): Promise<string> {
  const removed = await withAws('revoking the token', () => store.removeByName(name));
  if (removed === 0) throw new CliError(`no token named '${name}'; see: npx plamo token list`);
  return `✓ token '${name}' revoked. API Gateway may still accept it for up to ${AUTHORIZER_CACHE_TTL.toSeconds()} s (authorizer cache).`;
}

/** Clients with the SDK's default region and credential chain (AWS_REGION, AWS_PROFILE, SSO, …). */
function defaultClients(): TokenClients {
  noteNodeSupport();
  return { cloudFormation: new CloudFormationClient({}), dynamo: new DynamoDBClient({}) };
}

export function registerToken(program: Command, clients: () => TokenClients = defaultClients): void {
  const token = program.command('token').description(COMMANDS.token.summary);
  const deployed = async () => {
    const { cloudFormation, dynamo } = clients();
    const api = await readDeployedApi(cloudFormation);
    return { api, store: new DynamoTokenStore(dynamo, api.tokenTable) };
  };
  token
    .command('create')
    .description('make a token for a phone and print it with a QR code of the phone page link')
    .argument('<name>', 'who holds it, e.g. my-phone')
    .option('--expires <lifetime>', 'refuse the token after this long, in days or hours: 90d, 12h (default: never)')
    .action(async (name: string, options: { expires?: string }) => {
      checkTokenName(name);
      const lifetime = checkTokenLifetime(options.expires);
      const { api, store } = await deployed();
      console.log(await createToken(store, api.apiUrl, name, new Date(), lifetime));
    });
  token
    .command('list')
    .description('show token names, when they were made and when they expire (never the tokens)')
    .action(async () => console.log(await listTokens((await deployed()).store)));
  token
    .command('revoke')
    .description('delete a token by name; phones using it are refused')
    .argument('<name>', 'the token name')
    .action(async (name: string) => console.log(await revokeToken((await deployed()).store, name)));
}
