// The phone page: one card per car with a picture of the car, a toggle per lamp and group, brightness for
// dimmable lamps, a press-and-hold brake, scenes, effects, and the car's health and events. Plain DOM, no framework:
// the page is small and must load fast on a phone.
// The token arrives in the URL fragment (never sent to a server), is kept in localStorage and only ever
// leaves the phone in the Authorization header.
// Updates: the local twin pushes them as server-sent events on /api/live; in AWS (no such route, a 404) the
// page polls, only while it is visible, and quickly only while a command of its own is unanswered.

import { drawCar, startBlinkClock } from './picture.js';
import { clockTime, displayName, language, t } from './strings.js';

const TOKEN_KEY = 'plamo.token';
const POLL_MS = 5000;
const POLL_PENDING_MS = 500;
/** A request that takes longer counts as the server being unreachable. */
const REQUEST_TIMEOUT_MS = 4000;
/** A command the car has not confirmed within this long is shown as unanswered. */
const ANSWER_TIMEOUT_MS = 8000;
/** The twin sends a comment every 15 s; a stream silent for longer is dead. */
const LIVE_SILENCE_MS = 35000;
const RETRY_MS = 1500;

function el(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'text') node.textContent = value;
    else if (value !== undefined && value !== false && value !== null) node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) node.append(child);
  return node;
}

function vibrate(ms) {
  navigator.vibrate?.(ms);
}

// --- token and requests --------------------------------------------------------------------------------

/** Moves `#token=…` into localStorage and out of the address bar, so it is not bookmarked or shared. */
function takeTokenFromFragment() {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (!token) return;
  localStorage.setItem(TOKEN_KEY, token);
  history.replaceState(null, '', location.pathname + location.search);
}

class Unauthorized extends Error {}
class Unreachable extends Error {}

function authHeaders() {
  return { Authorization: `Bearer ${localStorage.getItem(TOKEN_KEY) ?? ''}` };
}

async function api(method, path, body) {
  const headers = authHeaders();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch {
    throw new Unreachable();
  }
  // The twin answers 401; in AWS API Gateway answers 401 without a token and 403 for one its authorizer
  // refuses (unknown, revoked, or so new that it is not found yet), and the API itself never sends 403.
  if (response.status === 401 || response.status === 403) throw new Unauthorized();
  const data = await response.json().catch(() => null);
  if (response.status >= 502 && !data?.error) throw new Unreachable();
  if (!response.ok) throw new Error(data?.error?.message ?? `HTTP ${response.status}`);
  return data;
}

// --- state ---------------------------------------------------------------------------------------------

/** Per car: its description, the last view, and the commands sent from here that it has not confirmed. */
const cars = new Map();
/** `live`: null until the first try of /api/live tells whether the server pushes (twin) or must be polled (AWS). */
const connection = { reachable: true, live: null, refused: false };

function reportedOf(car, lamp) {
  return car.view?.lamps[lamp]?.reported ?? null;
}

/** The car confirmed a command when it reports that command's id; forget it then, or mark it after the timeout. */
function settleSent(car) {
  for (const [lamp, sent] of car.sent) {
    if (reportedOf(car, lamp)?.id === sent.id) car.sent.delete(lamp);
    else if (Date.now() - sent.at > ANSWER_TIMEOUT_MS) sent.unanswered = true;
  }
}

function reportedText(reported) {
  if (!reported) return t('noReport');
  // A lamp in a pop-up pod lights once the pod is up; while it moves, that is what the car is doing.
  if (reported.pod === 'moving') return reported.mode === 'off' ? t('podLowering') : t('podRaising');
  if (reported.mode === 'blink') return t('blink');
  if (reported.mode === 'on')
    return reported.brightness !== undefined && reported.brightness < 100 ? t('onLevel', { n: reported.brightness }) : t('on');
  return t('off');
}

/** One lamp's line: what it reports, unless a command of ours is on its way or went unanswered. */
function lampState(car, lamp) {
  const sent = car.sent.get(lamp);
  if (sent?.unanswered) return { text: t('noAnswer'), kind: 'unanswered' };
  if (sent || car.view?.lamps[lamp]?.pending) return { text: t('waiting'), kind: 'waiting' };
  const reported = reportedOf(car, lamp);
  return { text: reportedText(reported), kind: reported?.mode ?? 'none' };
}

/** What the card says about the car, and whether a tap can reach it. */
function carStatus(car) {
  if (!connection.reachable) return { text: t('noServer'), kind: 'unreachable', usable: false };
  const online = car.view?.online ?? null;
  if (online === null) return { text: t('unseen'), kind: 'unseen', usable: false };
  if (!online) return { text: t('offlineSince', { time: clockTime(car.view.since) }), kind: 'offline', usable: false };
  return { text: t('online'), kind: 'online', usable: true };
}

/** Whether every lamp of a control is of a kind that blinks when switched on (turn signals); the API says which. */
function allBlinkByDefault(car, lampNames) {
  return lampNames.every((lamp) => car.lampMeta.get(lamp)?.blinksByDefault === true);
}

/** The mode a toggle switches to: turn signals and groups of them blink, other lamps light. */
function onMode(car, lampNames) {
  return allBlinkByDefault(car, lampNames) ? 'blink' : 'on';
}

function isOn(car, lamp) {
  const sent = car.sent.get(lamp);
  if (sent && !sent.unanswered) return sent.mode !== 'off';
  return (reportedOf(car, lamp)?.mode ?? 'off') !== 'off';
}

// --- commands ------------------------------------------------------------------------------------------

function announce(text) {
  const status = document.getElementById('connection');
  if (status.textContent !== text) status.textContent = text;
}

async function send(car, method, path, body, sceneName) {
  try {
    const result = await api(method, `/api/cars/${encodeURIComponent(car.meta.id)}/${path}`, body);
    for (const [lamp, intent] of Object.entries(result.lamps ?? {})) car.sent.set(lamp, { ...intent, id: result.id, at: Date.now() });
    if (sceneName) announce(t('sceneSent', { name: sceneName }));
    updateCar(car);
    if (!connection.live) schedulePoll(POLL_PENDING_MS);
    // A command that gets no answer is shown as such even when nothing else arrives.
    setTimeout(() => {
      settleSent(car);
      updateCar(car);
    }, ANSWER_TIMEOUT_MS + 50);
  } catch (error) {
    handleError(error, t('failed', { message: error.message }));
  }
}

function toggle(car, control) {
  vibrate(10);
  const lit = control.lampNames.every((lamp) => isOn(car, lamp));
  const mode = lit ? 'off' : onMode(car, control.lampNames);
  const level = control.slider ? Number(control.slider.value) : undefined;
  send(
    car,
    'PUT',
    `lamps/${encodeURIComponent(control.name)}`,
    mode === 'on' && level !== undefined ? { mode, brightness: level } : { mode },
  );
}

/** Brake: full while held, then back to the tail level it glowed at (or off, if the tail lamp was off). */
function holdToBrake(car, lamp, button) {
  let before = null;
  const press = (event) => {
    event.preventDefault();
    if (before !== null || button.disabled) return;
    const reported = reportedOf(car, lamp.name);
    before = reported && reported.mode !== 'off' ? { mode: 'on', brightness: reported.brightness } : { mode: 'off' };
    button.setAttribute('aria-pressed', 'true');
    vibrate(20);
    send(car, 'PUT', `lamps/${encodeURIComponent(lamp.name)}`, { mode: 'on', brightness: 100 });
  };
  const release = () => {
    if (before === null) return;
    const back = before;
    before = null;
    button.setAttribute('aria-pressed', 'false');
    send(car, 'PUT', `lamps/${encodeURIComponent(lamp.name)}`, back);
  };
  button.addEventListener('pointerdown', press);
  for (const type of ['pointerup', 'pointercancel', 'pointerleave']) button.addEventListener(type, release);
  button.addEventListener('keydown', (event) => {
    if ((event.key === ' ' || event.key === 'Enter') && !event.repeat) press(event);
  });
  button.addEventListener('keyup', (event) => {
    if (event.key === ' ' || event.key === 'Enter') release();
  });
  button.addEventListener('contextmenu', (event) => event.preventDefault());
}

// --- rendering -----------------------------------------------------------------------------------------

/** Arrows for turn signals, by where they sit. */
function arrowOf(car, lampNames) {
  const sides = new Set(lampNames.map((lamp) => car.lampMeta.get(lamp)?.position));
  const left = [...sides].every((side) => side === 'left' || side === 'frontLeft' || side === 'rearLeft');
  const right = [...sides].every((side) => side === 'right' || side === 'frontRight' || side === 'rearRight');
  if (!allBlinkByDefault(car, lampNames)) return '';
  if (left) return '◀';
  if (right) return '▶';
  return lampNames.length > 1 ? '◀▶' : '';
}

/**
 * A lamp's tile: the button carries only the label (its accessible name, what voice control users say); the
 * state line sits over the tile beside it, as the button's description, and lets taps through.
 */
function toggleTile(id, label, arrow) {
  const button = el(
    'button',
    { type: 'button', class: 'toggle', id, 'aria-pressed': 'false', 'aria-labelledby': `${id}-label`, 'aria-describedby': `${id}-state` },
    [
      el('span', { class: 'label-line' }, [
        el('span', { class: 'lamp-dot', 'aria-hidden': 'true' }),
        arrow ? el('span', { class: 'arrow', 'aria-hidden': 'true', text: arrow }) : '',
        el('span', { id: `${id}-label`, class: 'label', text: label }),
      ]),
    ],
  );
  const state = el('span', { class: 'state', id: `${id}-state`, text: '' });
  return { button, state, tile: el('div', { class: 'tile' }, [button, state]) };
}

/** A slider named "<lamp> Brightness" for screen readers, since every dimmable lamp has one. */
function brightnessSlider(id, lampLabelId, initial, onCommit) {
  const output = el('output', { for: id, text: `${initial} %` });
  const input = el('input', {
    type: 'range',
    id,
    min: 0,
    max: 100,
    step: 5,
    value: initial,
    'aria-labelledby': `${lampLabelId} ${id}-label`,
  });
  input.addEventListener('input', () => {
    output.textContent = `${input.value} %`;
  });
  input.addEventListener('change', () => onCommit(Number(input.value)));
  return el('div', { class: 'brightness' }, [el('label', { for: id, id: `${id}-label`, text: t('brightness') }), input, output]);
}

function renderTarget(car, name, label, lampNames, lamp) {
  const id = `${car.meta.id}--${name}`;
  const { button, state, tile } = toggleTile(id, label, arrowOf(car, lampNames));
  const control = { name, lampNames, button, state, tile, slider: undefined, extra: [] };
  control.button.addEventListener('click', () => toggle(car, control));
  const children = [tile];
  if (lamp?.dimmable) {
    const slider = brightnessSlider(`${id}-brightness`, `${id}-label`, lamp.tailLevel ?? 100, (brightness) =>
      send(car, 'PUT', `lamps/${encodeURIComponent(name)}`, { mode: 'on', brightness }),
    );
    control.slider = slider.querySelector('input');
    children.push(slider);
  }
  if (lamp?.tailLevel !== null && lamp?.tailLevel !== undefined) {
    const brake = el('button', { type: 'button', class: 'hold', id: `${id}-brake`, 'aria-pressed': 'false', text: t('brakeHold') });
    holdToBrake(car, lamp, brake);
    control.extra.push(brake);
    children.push(brake);
  }
  car.controls.push(control);
  return el('div', { class: lamp?.dimmable ? 'control wide' : 'control' }, children);
}

function renderHealth(car) {
  const rows = ['lastSeen', 'signal', 'uptime', 'heap', 'reconnects', 'latency'].map((key) => {
    const value = el('dd', { 'data-health': key, text: t('never') });
    return [el('dt', { text: t(key) }), value];
  });
  const events = el('ol', { class: 'events' });
  const summary = el('summary', { text: t('events', { n: 0 }) });
  car.health = { list: rows.map(([, value]) => value), events, summary };
  return el('div', { class: 'health' }, [
    el('h3', { class: 'section-title', text: t('health') }),
    el('dl', {}, rows.flat()),
    el('details', {}, [summary, events]),
  ]);
}

function renderCar(meta) {
  const car = {
    meta,
    view: null,
    sent: new Map(),
    controls: [],
    scenes: [],
    lampMeta: new Map(meta.lamps.map((lamp) => [lamp.name, lamp])),
  };
  cars.set(meta.id, car);
  const headingId = `car-${meta.id}`;
  car.badge = el('span', { class: 'badge', 'data-kind': 'unseen', text: t('unseen') });
  car.picture = drawCar(meta, (lamp) => {
    const control = car.controls.find((candidate) => candidate.name === lamp);
    if (control && !control.button.disabled) toggle(car, control);
  });
  car.stopBlinking = startBlinkClock(car.picture.svg, meta.blinkPerMin);
  const section = el('section', { class: 'card', 'aria-labelledby': headingId }, [
    el('div', { class: 'car-head' }, [el('h2', { id: headingId, text: meta.name }), car.badge]),
    el('div', { class: 'picture' }, [car.picture.svg]),
  ]);

  section.append(el('h3', { class: 'section-title', text: t('lamps') }));
  const lampList = el('div', { class: 'controls' });
  for (const lamp of meta.lamps) lampList.append(renderTarget(car, lamp.name, displayName(lamp.name, lamp.label), [lamp.name], lamp));
  section.append(lampList);

  if (meta.groups.length > 0) {
    section.append(el('h3', { class: 'section-title', text: t('groups') }));
    const groupList = el('div', { class: 'controls' });
    for (const group of meta.groups) groupList.append(renderTarget(car, group.name, displayName(group.name, group.label), group.lamps));
    section.append(groupList);
  }

  if (meta.scenes.length > 0) {
    section.append(el('h3', { class: 'section-title', text: t('scenes') }));
    const sceneList = el('div', { class: 'scenes' });
    for (const scene of meta.scenes) {
      const label = displayName(scene.name, scene.label);
      const button = el('button', { type: 'button', class: 'scene', text: label });
      button.addEventListener('click', () => {
        vibrate(10);
        send(car, 'POST', `scenes/${encodeURIComponent(scene.name)}`, undefined, label);
      });
      car.scenes.push({ scene, button });
      sceneList.append(button);
    }
    section.append(sceneList);
  }
  const effects = renderEffects(car);
  if (effects) section.append(...effects);
  section.append(renderHealth(car));
  return section;
}

/**
 * The flash flashes the lamps at the front (a passing flash); a sequence plays on its own lamps. An effect
 * leaves each lamp's state as it was, so nothing waits for an answer: the picture shows it as the car reports.
 */
function effectRequest(car, effect) {
  if (effect.lamps !== null) return {};
  const front = car.meta.lamps.filter((lamp) => lamp.position === 'front').map((lamp) => lamp.name);
  return front.length > 0 ? { lamps: front } : null;
}

function renderEffects(car) {
  const buttons = [];
  car.effects = [];
  for (const effect of car.meta.effects ?? []) {
    const body = effectRequest(car, effect);
    if (body === null) continue;
    const label = displayName(effect.name, effect.label);
    const button = el('button', { type: 'button', class: 'scene effect', text: label });
    button.addEventListener('click', async () => {
      vibrate(10);
      try {
        await api('POST', `/api/cars/${encodeURIComponent(car.meta.id)}/effects/${encodeURIComponent(effect.name)}`, body);
        announce(t('effectSent', { name: label }));
      } catch (error) {
        handleError(error, t('failed', { message: error.message }));
      }
    });
    car.effects.push(button);
    buttons.push(button);
  }
  if (buttons.length === 0) return null;
  return [el('h3', { class: 'section-title', text: t('effects') }), el('div', { class: 'scenes' }, buttons)];
}

/** A scene is active while every lamp it names reports what the scene asks. */
function sceneActive(car, scene) {
  return Object.entries(scene.lamps).every(([lamp, intent]) => {
    const reported = reportedOf(car, lamp);
    if (!reported || reported.mode !== intent.mode) return false;
    return intent.brightness === undefined || reported.brightness === intent.brightness;
  });
}

function ago(ms) {
  const seconds = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return seconds < 120 ? t('secondsAgo', { n: seconds }) : t('minutesAgo', { n: Math.round(seconds / 60) });
}

/** RSSI as 0–4 bars, the way phones show Wi-Fi: −55 dBm or better is full. */
function signalBars(rssi) {
  const bars = rssi >= -55 ? 4 : rssi >= -65 ? 3 : rssi >= -75 ? 2 : rssi >= -85 ? 1 : 0;
  const meter = el(
    'span',
    { class: 'bars', 'data-bars': bars, 'aria-hidden': 'true' },
    [1, 2, 3, 4].map(() => el('i')),
  );
  return [meter, el('span', { text: ` ${t('dbm', { n: rssi })}` })];
}

function updateHealth(car) {
  const view = car.view;
  const health = view?.health;
  const [lastSeen, signal, uptime, heap, reconnects, latency] = car.health.list;
  lastSeen.textContent = view?.lastSeen ? `${clockTime(view.lastSeen)} (${ago(view.lastSeen)})` : t('never');
  signal.replaceChildren(...(typeof health?.rssi === 'number' ? signalBars(health.rssi) : [t('never')]));
  const upS = health?.uptimeS;
  uptime.textContent =
    typeof upS === 'number' ? t('hoursMinutes', { h: Math.floor(upS / 3600), m: Math.floor((upS % 3600) / 60) }) : t('never');
  heap.textContent = typeof health?.heapFree === 'number' ? t('kb', { n: Math.round(health.heapFree / 1024) }) : t('never');
  reconnects.textContent = typeof health?.reconnects === 'number' ? String(health.reconnects) : t('never');
  latency.textContent = typeof view?.lastCommandLatencyMs === 'number' ? t('ms', { n: view.lastCommandLatencyMs }) : t('never');
  const events = view?.events ?? [];
  car.health.summary.textContent = t('events', { n: events.length });
  car.health.events.replaceChildren(
    ...(events.length === 0
      ? [el('li', { text: t('noEvents') })]
      : events.map((event) =>
          el('li', { 'data-level': event.level }, [
            el('time', { datetime: new Date(event.at).toISOString(), text: clockTime(event.at) }),
            el('span', { class: 'code', text: event.code }),
            el('span', { class: 'detail', text: event.detail }),
          ]),
        )),
  );
}

function updateCar(car) {
  const status = carStatus(car);
  car.badge.dataset.kind = status.kind;
  car.badge.textContent = status.text;
  const states = new Map(car.meta.lamps.map((lamp) => [lamp.name, reportedOf(car, lamp.name)]));
  car.picture.update(states, !status.usable);
  for (const control of car.controls) {
    const lineStates = control.lampNames.map((lamp) => lampState(car, lamp));
    const texts = [...new Set(lineStates.map((state) => state.text))];
    const kinds = [...new Set(lineStates.map((state) => state.kind))];
    control.state.textContent = texts.length === 1 ? texts[0] : t('mixed');
    control.tile.dataset.state = kinds.length === 1 ? kinds[0] : 'mixed';
    control.button.setAttribute('aria-pressed', String(control.lampNames.every((lamp) => isOn(car, lamp))));
    control.button.disabled = !status.usable;
    for (const extra of control.extra) extra.disabled = !status.usable;
    if (control.slider) {
      control.slider.disabled = !status.usable;
      const reported = reportedOf(car, control.name);
      // An off lamp reports brightness 0; the slider keeps the level the lamp will light at next.
      if (
        reported?.mode !== 'off' &&
        reported?.brightness > 0 &&
        document.activeElement !== control.slider &&
        !car.sent.has(control.name)
      ) {
        control.slider.value = String(reported.brightness);
        control.slider.nextElementSibling.textContent = `${reported.brightness} %`;
      }
    }
  }
  for (const button of car.effects) button.disabled = !status.usable;
  for (const { scene, button } of car.scenes) {
    button.disabled = !status.usable;
    button.classList.toggle('active', sceneActive(car, scene));
    if (sceneActive(car, scene)) button.setAttribute('aria-current', 'true');
    else button.removeAttribute('aria-current');
  }
  updateHealth(car);
}

function updateAll() {
  for (const car of cars.values()) updateCar(car);
}

function setReachable(reachable) {
  const changed = connection.reachable !== reachable;
  connection.reachable = reachable;
  document.body.dataset.reachable = String(reachable);
  announce(reachable ? t(connection.live ? 'live' : 'polling') : t('unreachable'));
  if (changed) updateAll();
}

function receive(view) {
  const car = cars.get(view.id);
  if (!car) return;
  car.view = view;
  settleSent(car);
  updateCar(car);
}

// --- updates: live stream in the twin, polling in AWS --------------------------------------------------

let pollTimer;
let liveAbort;
let started = false;

function schedulePoll(delay) {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(poll, delay);
}

async function poll() {
  if (document.visibilityState === 'hidden' || connection.refused) return;
  try {
    await Promise.all([...cars.values()].map(async (car) => receive(await api('GET', `/api/cars/${encodeURIComponent(car.meta.id)}`))));
    setReachable(true);
  } catch (error) {
    if (!handleError(error, t('unreachable'))) return;
  }
  const anyPending = [...cars.values()].some((car) => [...car.sent.values()].some((sent) => !sent.unanswered));
  schedulePoll(anyPending ? POLL_PENDING_MS : POLL_MS);
}

/** Splits a text/event-stream into events and hands each `car` event's view on. */
async function readEvents(body, onActivity) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    onActivity();
    buffer += value;
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('\n');
      if (data) receive(JSON.parse(data));
    }
  }
}

/** Opens /api/live; on a 404 (AWS) falls back to polling; when the stream breaks, shows it and reconnects. */
async function connectLive() {
  if (document.visibilityState === 'hidden' || connection.refused) return;
  liveAbort?.abort();
  const abort = new AbortController();
  liveAbort = abort;
  let silence;
  const awake = () => {
    clearTimeout(silence);
    silence = setTimeout(() => abort.abort(), LIVE_SILENCE_MS);
  };
  try {
    const response = await fetch('/api/live', { headers: authHeaders(), cache: 'no-store', signal: abort.signal });
    if (response.status === 404) {
      connection.live = false;
      return poll();
    }
    if (response.status === 401 || response.status === 403) return handleError(new Unauthorized(), '');
    if (!response.ok || !response.body) throw new Unreachable();
    connection.live = true;
    setReachable(true);
    awake();
    await readEvents(response.body, awake);
  } catch {
    // Aborted for being hidden: not a failure.
    if (abort.signal.aborted && document.visibilityState === 'hidden') return;
  } finally {
    clearTimeout(silence);
  }
  if (liveAbort !== abort) return;
  setReachable(false);
  setTimeout(connectLive, RETRY_MS);
}

function startUpdates() {
  if (connection.live === false) poll();
  else connectLive();
}

document.addEventListener('visibilitychange', () => {
  if (!started) return;
  if (document.visibilityState === 'hidden') {
    clearTimeout(pollTimer);
    liveAbort?.abort();
  } else startUpdates();
});

// --- errors and the token ------------------------------------------------------------------------------

/** Shows the error; a refused token stops the updates and asks what to do. Returns whether to go on. */
function handleError(error, message) {
  if (error instanceof Unauthorized) {
    connection.refused = true;
    clearTimeout(pollTimer);
    liveAbort?.abort();
    showRefused();
    return false;
  }
  if (error instanceof Unreachable) {
    setReachable(false);
    return true;
  }
  announce(message);
  return true;
}

/** A refused token is kept until the user says otherwise: a new token can be refused for its first seconds. */
function showRefused() {
  const box = document.getElementById('refused');
  box.hidden = false;
  document.getElementById('refused-text').textContent = t('tokenRefused');
  announce('');
}

function showTokenForm(message) {
  document.getElementById('refused').hidden = true;
  const form = document.getElementById('token-form');
  for (const car of cars.values()) car.stopBlinking();
  document.getElementById('cars').replaceChildren();
  cars.clear();
  form.hidden = false;
  const help = document.getElementById('token-help');
  help.textContent = message ?? t('tokenHelp');
  announce('');
}

function setUpTokenControls() {
  document.getElementById('token-title').textContent = t('tokenTitle');
  document.getElementById('token-label').textContent = t('tokenLabel');
  document.getElementById('token-save').textContent = t('tokenSave');
  document.getElementById('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = document.getElementById('token-input');
    localStorage.setItem(TOKEN_KEY, input.value.trim());
    input.value = '';
    start();
  });
  const retry = document.getElementById('refused-retry');
  retry.textContent = t('tokenRetry');
  retry.addEventListener('click', () => {
    document.getElementById('refused').hidden = true;
    connection.refused = false;
    if (cars.size === 0) start();
    else startUpdates();
  });
  const replace = document.getElementById('refused-replace');
  replace.textContent = t('tokenReplace');
  replace.addEventListener('click', () => {
    localStorage.removeItem(TOKEN_KEY);
    connection.refused = false;
    showTokenForm();
  });
}

async function start() {
  document.getElementById('token-form').hidden = true;
  if (!localStorage.getItem(TOKEN_KEY)) return showTokenForm();
  try {
    const { cars: list } = await api('GET', '/api/cars');
    const container = document.getElementById('cars');
    container.replaceChildren(...(list.length === 0 ? [el('p', { text: t('noCars') })] : list.map(renderCar)));
    updateAll();
    started = true;
    connectLive();
  } catch (error) {
    if (handleError(error, t('unreachable'))) setTimeout(start, RETRY_MS);
  }
}

document.documentElement.lang = language;
takeTokenFromFragment();
setUpTokenControls();
start();
