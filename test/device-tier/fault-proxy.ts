import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy between the car and the broker that breaks the path the way networks do:
 * - `cut()`: every open connection is reset at once (a router reboot, a dropped Wi-Fi association);
 * - `refuse`: new connections are closed as soon as they are accepted (the broker's port is unreachable);
 * - `blackHole`: open connections stay open but nothing crosses them any more, in either direction, and new
 *   ones are accepted and never answered (a NAT entry that expired, a link that died without a FIN).
 * Each connection the car opens is counted with its time, so a test can see when the car gave up on a
 * dead one and reconnected.
 */
export type ProxyMode = 'pass' | 'refuse' | 'blackHole';

export interface FaultProxy {
  readonly port: number;
  mode: ProxyMode;
  /** When each connection was accepted (`Date.now()`), in order. */
  readonly accepted: readonly number[];
  cut(): void;
  close(): Promise<void>;
}

interface Link {
  readonly car: Socket;
  readonly broker: Socket;
}

function relay(link: Link, proxy: { mode: ProxyMode }): void {
  // Once black-holed a link stays dead, as a path whose state a middlebox lost does.
  let dead = proxy.mode === 'blackHole';
  const forward = (from: Socket, to: Socket) =>
    from.on('data', (chunk) => {
      if (proxy.mode === 'blackHole') dead = true;
      if (!dead) to.write(chunk);
    });
  forward(link.car, link.broker);
  forward(link.broker, link.car);
  const end = () => {
    link.car.destroy();
    link.broker.destroy();
  };
  // A close from either side ends the pair, unless the link is black-holed: then nothing, not even a FIN
  // or RST, reaches the car.
  link.broker.on('close', () => {
    if (!dead && proxy.mode !== 'blackHole') end();
  });
  link.car.on('close', end);
  link.car.on('error', () => {});
  link.broker.on('error', () => {});
}

export async function startFaultProxy(brokerPort: number): Promise<FaultProxy> {
  const links = new Set<Link>();
  const accepted: number[] = [];
  const state = { mode: 'pass' as ProxyMode };
  const server: Server = createServer((car) => {
    accepted.push(Date.now());
    car.setNoDelay(true);
    if (state.mode === 'refuse') {
      car.resetAndDestroy();
      return;
    }
    const broker = connect({ host: '127.0.0.1', port: brokerPort });
    broker.setNoDelay(true);
    const link = { car, broker };
    links.add(link);
    car.on('close', () => links.delete(link));
    relay(link, state);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the fault proxy has no TCP port');
  const cut = () => {
    for (const link of links) {
      link.car.resetAndDestroy();
      link.broker.destroy();
    }
    links.clear();
  };
  return {
    port: address.port,
    get mode() {
      return state.mode;
    },
    set mode(mode: ProxyMode) {
      state.mode = mode;
    },
    accepted,
    cut,
    async close() {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
