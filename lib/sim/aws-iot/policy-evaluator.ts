/**
 * Evaluates AWS IoT Core policies and IAM statements the way AWS IoT does for its data-plane actions, so
 * the twin authorises with the very documents the stack deploys instead of a second model of them.
 *
 * Semantics (AWS IoT developer guide: "AWS IoT Core policy actions", "AWS IoT Core policy variables",
 * "Using wildcard characters in MQTT and AWS IoT Core policies"; IAM user guide, "Policy evaluation logic"):
 * - a request is allowed when some statement allows it and none denies it; an explicit deny always wins;
 * - actions match case-insensitively with `*` and `?`;
 * - resources match case-sensitively with `*` (any run of characters, `/` included) and `?` (one
 *   character); the MQTT wildcards `+` and `#` are ordinary characters in a resource, so
 *   `topicfilter/a/+/b` grants the filter `a/+/b` and not `a/x/b`;
 * - `${…}` policy variables are replaced from the request's context (`${*}`, `${?}`, `${$}` stand for the
 *   literal characters); a statement whose variable has no value in the context matches nothing;
 * - conditions: every operator in a statement's `Condition` must hold; an operator this evaluator does not
 *   know throws, so a policy it cannot judge is never silently allowed or refused.
 */

export type PolicyEffect = 'Allow' | 'Deny';

/** One statement as it appears in a policy document (IoT policy or IAM), values already resolved to strings. */
export interface PolicyStatementJson {
  readonly Effect: PolicyEffect;
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocumentJson {
  readonly Statement: readonly PolicyStatementJson[] | PolicyStatementJson;
}

/** One data-plane request: `action` on the full ARN `resource`, with the connection's policy variables. */
export interface PolicyRequest {
  readonly action: string;
  readonly resource: string;
  /**
   * Values of policy variables and condition keys, e.g. `iot:Connection.Thing.ThingName`; a multivalued key
   * such as `iot:ConnectAttributes` is a list.
   */
  readonly context: PolicyContext;
}

/** Condition keys and policy variables of a request; lists for multivalued keys. */
export type PolicyContext = Readonly<Record<string, string | readonly string[]>>;

export type PolicyDecision = 'allow' | 'implicit-deny' | 'explicit-deny';

const asList = <T>(value: T | readonly T[]): readonly T[] => (Array.isArray(value) ? value : [value as T]);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** `*` and `?` as wildcards, everything else literal. */
function wildcardRegExp(pattern: string, flags: string): RegExp {
  let source = '';
  for (const char of pattern) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`, `s${flags}`);
}

const LITERAL_VARIABLES: PolicyContext = { '*': '*', '?': '?', $: '$' };

/**
 * The resource pattern with its policy variables filled in, as a regular expression; a variable's value is
 * literal (a client id `a*b` does not become a wildcard). Undefined when a variable has no value.
 */
function resourceRegExp(pattern: string, context: PolicyContext): RegExp | undefined {
  let source = '';
  let rest = pattern;
  while (rest.length > 0) {
    const start = rest.indexOf('${');
    const literalPart = start === -1 ? rest : rest.slice(0, start);
    source += wildcardRegExp(literalPart, '').source.slice(1, -1);
    if (start === -1) break;
    const end = rest.indexOf('}', start);
    if (end === -1) throw new Error(`Unclosed policy variable in resource '${pattern}'`);
    const name = rest.slice(start + 2, end);
    const found = LITERAL_VARIABLES[name] ?? context[name];
    // A multivalued key is no policy variable: the statement matches nothing, as with a missing one.
    const value = typeof found === 'string' ? found : undefined;
    if (value === undefined) return undefined;
    source += escapeRegExp(value);
    rest = rest.slice(end + 1);
  }
  return new RegExp(`^${source}$`, 's');
}

function actionMatches(patterns: readonly string[], action: string): boolean {
  return patterns.some((pattern) => wildcardRegExp(pattern, 'i').test(action));
}

function resourceMatches(patterns: readonly string[], request: PolicyRequest): boolean {
  return patterns.some((pattern) => resourceRegExp(pattern, request.context)?.test(request.resource) ?? false);
}

type ConditionTest = (actual: string | readonly string[] | undefined, expected: readonly string[]) => boolean;
type SingleValueTest = (actual: string | undefined, expected: readonly string[]) => boolean;

/** A single-valued operator sees no value when the key holds a list. */
const single =
  (test: SingleValueTest): ConditionTest =>
  (actual, expected) =>
    test(typeof actual === 'string' ? actual : undefined, expected);

const CONDITION_OPERATORS: Readonly<Record<string, ConditionTest>> = {
  Bool: single((actual, expected) => actual !== undefined && expected.some((value) => value.toLowerCase() === actual.toLowerCase())),
  StringEquals: single((actual, expected) => actual !== undefined && expected.includes(actual)),
  StringNotEquals: single((actual, expected) => actual === undefined || !expected.includes(actual)),
  StringLike: single((actual, expected) => actual !== undefined && expected.some((value) => wildcardRegExp(value, '').test(actual))),
  // IAM user guide, "Multivalued context keys": true when every value of the key is in the list, and when
  // the request has no value for the key at all.
  'ForAllValues:StringEquals': (actual, expected) => asList(actual ?? []).every((value) => expected.includes(value)),
};

function conditionsHold(statement: PolicyStatementJson, context: PolicyContext): boolean {
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    const test = CONDITION_OPERATORS[operator];
    if (!test)
      throw new Error(
        `Condition operator '${operator}' is not modelled by the local twin; use one of ${Object.keys(CONDITION_OPERATORS).join(', ')}`,
      );
    for (const [key, expected] of Object.entries(keys)) {
      if (!test(context[key], asList(expected))) return false;
    }
  }
  return true;
}

function statementApplies(statement: PolicyStatementJson, request: PolicyRequest): boolean {
  return (
    actionMatches(asList(statement.Action), request.action) &&
    resourceMatches(asList(statement.Resource), request) &&
    conditionsHold(statement, request.context)
  );
}

/** AWS's decision for one request over every policy that applies to the principal. */
export function evaluatePolicies(documents: readonly PolicyDocumentJson[], request: PolicyRequest): PolicyDecision {
  let allowed = false;
  for (const document of documents) {
    for (const statement of asList(document.Statement)) {
      if (!statementApplies(statement, request)) continue;
      if (statement.Effect === 'Deny') return 'explicit-deny';
      allowed = true;
    }
  }
  return allowed ? 'allow' : 'implicit-deny';
}
