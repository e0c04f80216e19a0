import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { type FaultProxy, startFaultProxy } from './fault-proxy';

// The real-interpreter tier trusts this proxy to break the path as networks do; these pin that down with a
// plain TCP echo server, so `npm test` checks the tool even where no MicroPython is installed.
let echo: Server;
let proxy: FaultProxy;
const sockets: Socket[] = [];

beforeEach(async () => {
  echo = createServer((socket) => socket.pipe(socket));
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  const address = echo.address();
  if (address === null || typeof address === 'string') throw new Error('no echo port');
  proxy = await startFaultProxy(address.port);
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await proxy.close();
  await new Promise((resolve) => echo.close(resolve));
});

function dial(): Socket {
  const socket = connect({ host: '127.0.0.1', port: proxy.port });
  sockets.push(socket);
  socket.on('error', () => {});
  return socket;
}

async function open(): Promise<Socket> {
  const socket = dial();
  await once(socket, 'connect');
  return socket;
}

/** Resolves when the socket closes, whether with an error (a reset) or not. */
const closed = (socket: Socket) => new Promise<void>((resolve) => socket.once('close', () => resolve()));

/** What arrives on `socket` within `ms`. */
async function received(socket: Socket, ms: number): Promise<string> {
  let text = '';
  const take = (chunk: Buffer) => {
    text += chunk.toString();
  };
  socket.on('data', take);
  await new Promise((resolve) => setTimeout(resolve, ms));
  socket.off('data', take);
  return text;
}

test('passes bytes both ways and counts each connection', async () => {
  const socket = await open();
  socket.write('ping');
  expect(await received(socket, 200)).toBe('ping');
  expect(proxy.accepted).toHaveLength(1);
});

test('cut resets every open connection', async () => {
  const socket = await open();
  const ended = closed(socket);
  proxy.cut();
  await ended;
  expect(socket.destroyed).toBe(true);
});

test('refuse closes new connections at once, and pass lets them through again', async () => {
  proxy.mode = 'refuse';
  await closed(dial());
  proxy.mode = 'pass';
  const socket = await open();
  socket.write('back');
  expect(await received(socket, 200)).toBe('back');
  expect(proxy.accepted).toHaveLength(2);
});

test('a black-holed connection stays open, carries nothing, and stays dead after pass', async () => {
  const socket = await open();
  proxy.mode = 'blackHole';
  socket.write('lost');
  expect(await received(socket, 300)).toBe('');
  expect(socket.destroyed).toBe(false);
  proxy.mode = 'pass';
  socket.write('still lost');
  expect(await received(socket, 300)).toBe('');
  const fresh = await open();
  fresh.write('new path');
  expect(await received(fresh, 200)).toBe('new path');
});
