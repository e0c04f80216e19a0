import { ApiError } from '../api/http';

/**
 * The twin's defence against other web pages in the same browser. A page on another origin can still send
 * requests to 127.0.0.1, and a DNS-rebinding page can even read the answers, because its own name now points
 * here; what it cannot forge is the `Host` its browser sends (its own name) nor the `Origin` of a
 * state-changing fetch or form post (its own origin).
 */
export interface OriginGuard {
  /** Throws a 403 `ApiError` for a request that did not come from the twin's own address and its own page. */
  check(method: string, host: string | undefined, origin: string | undefined): void;
}

/** Reads never change anything; everything else must come from the twin's own page or from a non-browser client. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * @param hostnames the names the twin answers to, e.g. `['127.0.0.1', 'localhost']`; a LAN bind adds its address
 * @param port the port it listens on; `Host` must name it (RFC 9110 section 7.2)
 */
export function originGuard(hostnames: readonly string[], port: number): OriginGuard {
  const hosts = new Set(hostnames.map((name) => `${name}:${port}`.toLowerCase()));
  const origins = new Set([...hosts].map((host) => `http://${host}`));
  return {
    check(method, host, origin) {
      if (host === undefined || !hosts.has(host.toLowerCase())) {
        throw new ApiError(403, 'forbidden_host', `host: the twin answers only to ${[...hosts].join(', ')}`);
      }
      if (origin !== undefined && !SAFE_METHODS.has(method.toUpperCase()) && !origins.has(origin.toLowerCase())) {
        throw new ApiError(403, 'forbidden_origin', "origin: lamps can be switched only from the twin's own page");
      }
    },
  };
}
