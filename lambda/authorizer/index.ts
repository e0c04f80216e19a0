import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { createTokenAuthorizer, type TokenAuthorizer } from '../../lib/api/authorizer';
import { DynamoTokenStore } from '../../lib/aws/dynamo-token-store';

/** The stack sets the token table's name here. */
export const TOKEN_TABLE_ENV = 'TOKEN_TABLE_NAME';

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<{ tokenName: string }>;

/**
 * One JSON line per decision. No Powertools here: the logger alone is ~24 KB minified and the authorizer's
 * bundle budget is 20 KB. The token never appears, only the name it was issued to.
 */
function log(level: 'INFO' | 'WARN', message: string, fields: Record<string, string>): void {
  console.log(JSON.stringify({ level, message, ...fields }));
}

/** API Gateway HTTP API authorizer with simple responses (payload 2.0). */
export function createAuthorizerHandler(authorize: TokenAuthorizer) {
  return async (event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult> => {
    const result = await authorize(event.headers?.authorization ?? event.identitySource?.[0]);
    if (!result.authorized) {
      log('WARN', 'token refused', { reason: result.reason, route: event.routeKey });
      return { isAuthorized: false, context: { tokenName: '' } };
    }
    log('INFO', 'token accepted', { tokenName: result.tokenName, route: event.routeKey });
    return { isAuthorized: true, context: { tokenName: result.tokenName } };
  };
}

let authorize: TokenAuthorizer | undefined;

export async function handler(event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult> {
  authorize ??= createTokenAuthorizer(new DynamoTokenStore(new DynamoDBClient({}), process.env[TOKEN_TABLE_ENV] ?? ''));
  return createAuthorizerHandler(authorize)(event);
}
