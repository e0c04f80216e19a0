import { randomUUID } from 'node:crypto';
import { assumedLedColour, lampPosition } from '../config/appearance';
import { LAMP_TRAITS } from '../config/lamp-traits';
import { encodePayload } from '../contract/encode';
import { carTopics, DELIVERY, LIMITS, retainCommands } from '../contract/topics';
import type { CarStore } from './car-store';
import { readCarView } from './car-state';
import { CommandLedger } from './command-ledger';
import {
  type ApiCar,
  type ApiConfig,
  type EffectIntent,
  effectIntents,
  effectNames,
  intentsForTarget,
  knownTargets,
  type LampIntents,
  parseIntentObject,
  parsePatchBody,
  resolveTarget,
  sceneIntents,
} from './commands';
import {
  ApiError,
  type ApiRequest,
  type ApiResponse,
  badRequest,
  errorResponse,
  header,
  jsonResponse,
  MAX_BODY_BYTES,
  notFound,
  payloadTooLarge,
  shorten,
} from './http';
import { BrokerBusyError, type LampPort } from './lamp-port';
import { canonicalSegments, matchRoute, type PathParams, type Route, type RouteKey } from './router';

/** Hooks for logs and metrics; the Lambda wires them to Powertools, the twin to its terminal. */
export interface ApiObserver {
  /** One call per lamp command published. */
  commandPublished?(car: string, lamp: string, payload: string): void;
  /** Every error answer, 4xx and 5xx. */
  requestFailed?(error: ApiError): void;
  /** A failure the API did not expect (it answers 500 with a generic message). */
  unexpectedError?(error: unknown, request: ApiRequest): void;
}

export interface LampApiOptions {
  readonly config: ApiConfig;
  readonly lamps: LampPort;
  /** Where the cars' states, status, telemetry and events are read from. */
  readonly store: CarStore;
  /** @default Date.now */
  readonly now?: () => number;
  /** Command ids; at most `LIMITS.commandIdMaxLength` characters. @default crypto.randomUUID */
  readonly newId?: () => string;
  /**
   * Decides every request that is not for a public route, matched or not; a false answer is a 401. The
   * twin checks the `Authorization` header, the Lambda that API Gateway's authorizer named a `principal`.
   */
  readonly authorize: (request: ApiRequest) => Promise<boolean>;
  /** More routes, e.g. `GET /` for the phone page. @default - only the lamp API routes */
  readonly extraRoutes?: readonly Route[];
  readonly observer?: ApiObserver;
}

export interface LampApi {
  handle(request: ApiRequest): Promise<ApiResponse>;
  /** Every route it serves, its own and `extraRoutes`, by method and path (whether public or not). */
  readonly routes: readonly RouteKey[];
}

/** JSON is the only body the API reads; `application/json; charset=utf-8` and `+json` types count. */
function isJson(contentType: string | undefined): boolean {
  const type = contentType?.split(';', 1)[0].trim().toLowerCase();
  return type === 'application/json' || (type?.startsWith('application/') === true && type.endsWith('+json'));
}

function readJson(request: ApiRequest, required: boolean): unknown {
  if (request.body === undefined || request.body === '') {
    if (required) throw badRequest('body: required, a JSON object');
    return undefined;
  }
  if (!isJson(header(request, 'content-type'))) {
    throw new ApiError(415, 'unsupported_media_type', 'content-type: send the body as application/json');
  }
  try {
    return JSON.parse(request.body);
  } catch {
    throw badRequest('body: not valid JSON');
  }
}

/** What the route handlers share. */
interface ApiContext {
  readonly config: ApiConfig;
  readonly port: LampPort;
  readonly store: CarStore;
  readonly observer: ApiObserver;
  readonly now: () => number;
  readonly newId: () => string;
  readonly ledger: CommandLedger;
}

function carOf(config: ApiConfig, params: PathParams): [string, ApiCar] {
  const carId = params.car;
  if (!Object.hasOwn(config.cars, carId))
    throw notFound(`car '${shorten(carId)}' not found; known: ${Object.keys(config.cars).join(', ')}`);
  return [carId, config.cars[carId]];
}

/**
 * Publishes one command per lamp, all with the same id, so the phone can match the states that come back. An
 * effect is never retained: the retained command is the lamp's state to restore at power-up, and a publish
 * without the retain flag leaves it in place (MQTT 3.1.1 3.3.1.3, as on AWS IoT Core).
 */
async function publish(
  context: ApiContext,
  request: ApiRequest,
  carId: string,
  car: ApiCar,
  intents: LampIntents | ReadonlyMap<string, EffectIntent>,
): Promise<ApiResponse> {
  const id = commandIdOf(request, context.newId);
  const ts = context.now();
  const topics = carTopics(context.config.topicRoot, carId);
  const isEffect = [...intents.values()].some((intent) => 'effect' in intent);
  const delivery = { qos: DELIVERY.lampSet.qos, retain: retainCommands(car.powerOn) && !isEffect };
  const done = context.ledger.publishedLamps(carId, id);
  const pending = [...intents].filter(([lamp]) => !done.has(lamp));
  const outcomes = await Promise.allSettled(
    pending.map(async ([lamp, intent]) => {
      const payload = encodePayload({ ...intent, id, ts });
      await context.port.publishLampCommand(topics.lampSet(lamp), payload, delivery);
      context.ledger.record(carId, id, lamp);
      context.observer.commandPublished?.(carId, lamp, payload);
    }),
  );
  const failed = pending.filter((_, i) => outcomes[i].status === 'rejected').map(([lamp]) => lamp);
  if (failed.length > 0) {
    const reasons = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
    throw partlyPublished(id, [...intents.keys()], failed, reasons);
  }
  return jsonResponse(202, { id, car: carId, lamps: Object.fromEntries(intents) });
}

/**
 * The client's own command id, `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header), so that the
 * retry of a partly published command publishes only the lamps left out; without one, a new id.
 */
function commandIdOf(request: ApiRequest, newId: () => string): string {
  const key = header(request, 'idempotency-key');
  if (key === undefined) return newId();
  if (!COMMAND_ID.test(key)) {
    throw badRequest(`idempotency-key: 1 to ${LIMITS.commandIdMaxLength} printable ASCII characters, e.g. the id of the command to retry`);
  }
  return key;
}

const COMMAND_ID = new RegExp(`^[\\x21-\\x7e]{1,${LIMITS.commandIdMaxLength}}$`);

/**
 * Some lamps were published and some were not: a busy broker is a 503 that names both and the id to retry
 * with; any other failure is the API's own (500).
 */
function partlyPublished(id: string, lamps: readonly string[], failed: readonly string[], reasons: readonly unknown[]): unknown {
  const busy = reasons.filter((reason): reason is BrokerBusyError => reason instanceof BrokerBusyError);
  if (busy.length < reasons.length) return reasons.find((reason) => !(reason instanceof BrokerBusyError));
  const published = lamps.filter((lamp) => !failed.includes(lamp));
  const retryAfterS = Math.max(...busy.map((reason) => reason.retryAfterS));
  return new ApiError(
    503,
    'broker_busy',
    `the message broker is busy; published ${published.join(', ') || 'no lamp'}, not ${failed.join(', ')}; retry in ${retryAfterS} s with Idempotency-Key: ${id}`,
    { 'retry-after': String(retryAfterS) },
    { id, published, unpublished: failed },
  );
}

/** A scene takes no parameters; an empty object is accepted for clients that always send one. */
function checkSceneBody(request: ApiRequest): void {
  const body = readJson(request, false);
  if (body !== undefined && !(typeof body === 'object' && body !== null && Object.keys(body).length === 0)) {
    throw badRequest('body: a scene takes no body; send none or {}');
  }
}

/** One of the lamp API's own routes: its method and path, and its answer given what the handlers share. */
interface LampApiRoute extends RouteKey {
  handle(context: ApiContext, request: ApiRequest, params: PathParams): Promise<ApiResponse>;
}

/** Every route of the lamp API; all of them need the token. The stack makes one API Gateway route of each. */
const LAMP_API_ROUTE_TABLE: readonly LampApiRoute[] = [
  {
    method: 'GET',
    path: '/api/cars',
    handle: async ({ config }) => jsonResponse(200, { cars: Object.entries(config.cars).map(([id, car]) => describeCar(id, car)) }),
  },
  {
    method: 'GET',
    path: '/api/cars/{car}',
    handle: async ({ config, store }, _request, params) => {
      const [carId, car] = carOf(config, params);
      return jsonResponse(200, await readCarView(store, carId, car));
    },
  },
  {
    method: 'PUT',
    path: '/api/cars/{car}/lamps/{target}',
    handle: async (context, request, params) => {
      const [carId, car] = carOf(context.config, params);
      const lampNames = resolveTarget(car, params.target);
      if (!lampNames) throw notFound(`lamp or group '${shorten(params.target)}' not found on car '${carId}'; known: ${knownTargets(car)}`);
      const intent = parseIntentObject(readJson(request, true));
      return publish(context, request, carId, car, intentsForTarget(car, lampNames, intent, 'brightness'));
    },
  },
  {
    method: 'PATCH',
    path: '/api/cars/{car}/lamps',
    handle: async (context, request, params) => {
      const [carId, car] = carOf(context.config, params);
      return publish(context, request, carId, car, parsePatchBody(car, carId, readJson(request, true)));
    },
  },
  {
    method: 'POST',
    path: '/api/cars/{car}/effects/{effect}',
    handle: async (context, request, params) => {
      const [carId, car] = carOf(context.config, params);
      const intents = effectIntents(car, carId, params.effect, readJson(request, false));
      if (!intents) throw notFound(`effect '${shorten(params.effect)}' not found on car '${carId}'; known: ${effectNames(car).join(', ')}`);
      return publish(context, request, carId, car, intents);
    },
  },
  {
    method: 'POST',
    path: '/api/cars/{car}/scenes/{scene}',
    handle: async (context, request, params) => {
      const [carId, car] = carOf(context.config, params);
      const intents = sceneIntents(car, params.scene);
      if (!intents)
        throw notFound(`scene '${shorten(params.scene)}' not found on car '${carId}'; known: ${Object.keys(car.scenes).join(', ')}`);
      checkSceneBody(request);
      return publish(context, request, carId, car, intents);
    },
  },
];

/** The lamp API's routes by method and path, for the stack to route each to the Lambda behind the token authorizer. */
export const LAMP_API_ROUTE_KEYS: readonly RouteKey[] = LAMP_API_ROUTE_TABLE.map(({ method, path }) => ({ method, path }));

function lampApiRoutes(context: ApiContext): Route[] {
  return LAMP_API_ROUTE_TABLE.map((route) => ({
    method: route.method,
    path: route.path,
    handle: (request, params) => route.handle(context, request, params),
  }));
}

export function createLampApi(options: LampApiOptions): LampApi {
  const observer = options.observer ?? {};
  const context: ApiContext = {
    config: options.config,
    port: options.lamps,
    store: options.store,
    observer,
    now: options.now ?? Date.now,
    newId: options.newId ?? randomUUID,
    ledger: new CommandLedger(),
  };
  const routes = [...lampApiRoutes(context), ...(options.extraRoutes ?? [])];

  /**
   * The token check and the routing judge the same segments, and everything but a public route needs the
   * token, so no spelling of a path can reach car state without one; even a 404 or 405 waits for the token.
   */
  async function route(request: ApiRequest): Promise<ApiResponse> {
    if (Buffer.byteLength(request.body ?? '') > MAX_BODY_BYTES) throw payloadTooLarge();
    const match = matchRoute(routes, request.method, canonicalSegments(request.path));
    const isPublic = 'route' in match && match.route.public === true;
    if (!isPublic && !(await options.authorize(request))) {
      throw new ApiError(401, 'unauthorized', 'send a valid token: Authorization: Bearer plamo_…', { 'www-authenticate': 'Bearer' });
    }
    if ('refusal' in match) throw match.refusal;
    return match.route.handle(request, match.params);
  }

  return {
    routes: routes.map(({ method, path, public: isPublic }) => ({ method, path, public: isPublic === true })),
    async handle(request) {
      try {
        return await route(request);
      } catch (error) {
        const apiError = toApiError(error);
        if (apiError.status === 500) observer.unexpectedError?.(error, request);
        observer.requestFailed?.(apiError);
        return errorResponse(apiError);
      }
    },
  };
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof BrokerBusyError) {
    return new ApiError(503, 'broker_busy', 'the message broker is busy; retry shortly', { 'retry-after': String(error.retryAfterS) });
  }
  return new ApiError(500, 'internal', 'internal error; the details are in the server log');
}

/**
 * A car as the phone page draws it: lamps with kinds, colours and places, groups and scenes; no pins, no
 * Wi-Fi. `label` is null where the config gives none, so the page can show the name in the phone's language.
 */
function describeCar(id: string, car: ApiCar) {
  const servos = Object.entries(car.servos);
  const podOf = (lamp: string) => servos.find(([, servo]) => servo.carries.includes(lamp))?.[0] ?? null;
  return {
    id,
    name: car.name ?? id,
    blinkPerMin: car.blinkPerMin,
    lamps: Object.entries(car.lamps).map(([name, lamp]) => ({
      name,
      label: lamp.label ?? null,
      kind: lamp.kind,
      dimmable: LAMP_TRAITS[lamp.kind].dims,
      blinksByDefault: LAMP_TRAITS[lamp.kind].blinksByDefault,
      colour: lamp.colour ?? assumedLedColour(name, lamp),
      position: lampPosition(name, lamp),
      tailLevel: lamp.tailLevel ?? null,
      /** The servo whose pop-up pod carries the lamp, or null. */
      pod: podOf(name),
    })),
    groups: Object.entries(car.groups).map(([name, lamps]) => ({ name, label: car.labels[name] ?? null, lamps })),
    effects: effectNames(car).map((name) => ({
      name,
      label: car.labels[name] ?? null,
      /** The lamps it plays on; null for the flash, which plays on the lamps a request names. */
      lamps: Object.hasOwn(car.effects, name) ? [...(effectIntents(car, id, name, undefined)?.keys() ?? [])] : null,
    })),
    scenes: Object.keys(car.scenes).map((name) => ({
      name,
      label: car.labels[name] ?? null,
      lamps: Object.fromEntries(sceneIntents(car, name) ?? []),
    })),
  };
}
