// The phone page: one card per car with a big toggle per lamp and group, brightness for dimmable lamps and
// scene buttons. Plain DOM, no framework: the page is small and must load fast on a phone.
// The token arrives in the URL fragment (never sent to a server), is kept in localStorage and only ever
// leaves the phone in the Authorization header.

const TOKEN_KEY = 'plamo.token';
const POLL_MS = 5000;
const POLL_PENDING_MS = 400;
/** A command the car has not confirmed within this long is shown as unanswered. */
const ANSWER_TIMEOUT_MS = 10000;

const STRINGS = {
  en: {
    online: 'Online',
    offline: 'Offline',
    unseen: 'Not seen yet',
    lamps: 'Lamps',
    groups: 'Groups',
    scenes: 'Scenes',
    brightness: 'Brightness',
    on: 'On',
    onLevel: 'On {n} %',
    off: 'Off',
    blink: 'Blinking',
    mixed: 'Mixed',
    noReport: 'No report yet',
    waiting: 'Waiting for the car…',
    noAnswer: 'The car has not answered',
    connected: 'Connected',
    unreachable: 'Cannot reach the server; retrying',
    tokenTitle: 'Sign in',
    tokenHelp: 'Open the link that `npm start` or `npx plamo token create` printed, or paste the token here.',
    tokenLabel: 'Token',
    tokenSave: 'Save',
    tokenRejected: 'The token was not accepted; paste a valid one.',
    sceneSent: 'Scene “{name}” sent',
    failed: 'Could not send: {message}',
    noCars: 'No cars are configured.',
    names: { hazard: 'Hazard' },
  },
  ja: {
    online: 'オンライン',
    offline: 'オフライン',
    unseen: '未接続',
    lamps: 'ランプ',
    groups: 'グループ',
    scenes: 'シーン',
    brightness: '明るさ',
    on: '点灯',
    onLevel: '点灯 {n} %',
    off: '消灯',
    blink: '点滅',
    mixed: '混在',
    noReport: '報告なし',
    waiting: '車の応答待ち…',
    noAnswer: '車から応答がありません',
    connected: '接続中',
    unreachable: 'サーバーに接続できません。再試行しています',
    tokenTitle: 'サインイン',
    tokenHelp: '`npm start` または `npx plamo token create` が表示したリンクを開くか、トークンを貼り付けてください。',
    tokenLabel: 'トークン',
    tokenSave: '保存',
    tokenRejected: 'トークンが受け付けられませんでした。有効なトークンを貼り付けてください。',
    sceneSent: 'シーン「{name}」を送信しました',
    failed: '送信できませんでした: {message}',
    noCars: '車が設定されていません。',
    names: {
      hazard: 'ハザード',
      headlights: 'ヘッドライト',
      turnLeft: '左ウインカー',
      turnRight: '右ウインカー',
      brake: 'ブレーキ／テール',
      night: 'ナイト',
      parked: '駐車',
    },
  },
};

const language = (navigator.languages?.[0] ?? navigator.language ?? 'en').toLowerCase().startsWith('ja') ? 'ja' : 'en';
const strings = STRINGS[language];

function t(key, values = {}) {
  return strings[key].replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
}

/** `turnLeft` → `Turn left`, unless the language has a word for it. */
function displayName(name) {
  if (strings.names[name]) return strings.names[name];
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function el(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'text') node.textContent = value;
    else if (value !== undefined && value !== false) node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) node.append(child);
  return node;
}

// --- token -------------------------------------------------------------------------------------------

/** Moves `#token=…` into localStorage and out of the address bar, so it is not bookmarked or shared. */
function takeTokenFromFragment() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token');
  if (!token) return;
  localStorage.setItem(TOKEN_KEY, token);
  history.replaceState(null, '', location.pathname + location.search);
}

class Unauthorized extends Error {}

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${localStorage.getItem(TOKEN_KEY) ?? ''}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  // The twin answers 401; in AWS API Gateway answers 401 without a token and 403 for one its authorizer
  // refuses (unknown, revoked), and the API itself never sends 403.
  if (response.status === 401 || response.status === 403) throw new Unauthorized();
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error(data?.error?.message ?? `HTTP ${response.status}`);
  return data;
}

// --- state -------------------------------------------------------------------------------------------

/** Per car: the last view from the API, and the commands sent from this page that the car has not confirmed. */
const cars = new Map();
let pollTimer;

function effectiveMode(car, lamp) {
  const sent = car.sent.get(lamp);
  if (sent) return sent.mode;
  const view = car.view?.lamps[lamp];
  return (view?.desired ?? view?.reported)?.mode ?? 'off';
}

function reportedText(reported) {
  if (!reported) return t('noReport');
  if (reported.mode === 'blink') return t('blink');
  if (reported.mode === 'on')
    return reported.brightness !== undefined && reported.brightness < 100 ? t('onLevel', { n: reported.brightness }) : t('on');
  return t('off');
}

/** The car confirmed a command when it reports that command's id; forget it then, or after the timeout. */
function settleSent(car) {
  for (const [lamp, sent] of car.sent) {
    const reported = car.view?.lamps[lamp]?.reported;
    if (reported?.id === sent.id) car.sent.delete(lamp);
    else if (Date.now() - sent.at > ANSWER_TIMEOUT_MS) sent.unanswered = true;
  }
}

function lampStateText(car, lamp) {
  const sent = car.sent.get(lamp);
  const reported = car.view?.lamps[lamp]?.reported ?? null;
  if (sent) return sent.unanswered ? t('noAnswer') : t('waiting');
  if (car.view?.lamps[lamp]?.pending) return t('waiting');
  return reportedText(reported);
}

// --- rendering ---------------------------------------------------------------------------------------

function toggleButton(id, label, onClick) {
  const labelId = `${id}-label`;
  const stateId = `${id}-state`;
  const button = el(
    'button',
    { type: 'button', class: 'toggle', id, 'aria-pressed': 'false', 'aria-labelledby': labelId, 'aria-describedby': stateId },
    [
      el('span', { class: 'label-line' }, [
        el('span', { class: 'lamp-dot', 'data-mode': 'off', 'aria-hidden': 'true' }),
        el('span', { id: labelId, text: label }),
      ]),
      el('span', { class: 'state', id: stateId, text: '' }),
    ],
  );
  button.addEventListener('click', onClick);
  return button;
}

/** A slider named "<lamp> Brightness" for screen readers, since every dimmable lamp has one. */
function brightnessSlider(id, lampLabelId, onCommit) {
  const labelId = `${id}-label`;
  const output = el('output', { for: id, text: '100 %' });
  const input = el('input', { type: 'range', id, min: 0, max: 100, step: 5, value: 100, 'aria-labelledby': `${lampLabelId} ${labelId}` });
  input.addEventListener('input', () => {
    output.textContent = `${input.value} %`;
  });
  input.addEventListener('change', () => onCommit(Number(input.value)));
  return el('div', { class: 'brightness' }, [el('label', { for: id, id: labelId, text: t('brightness') }), input, output]);
}

/** The mode a toggle switches to: turn signals and groups of them blink, other lamps light. */
function onMode(car, lampNames) {
  return lampNames.every((lamp) => car.meta.lamps.find((meta) => meta.name === lamp)?.kind === 'blinker') ? 'blink' : 'on';
}

function renderCar(meta) {
  const car = { meta, view: null, sent: new Map(), controls: [] };
  cars.set(meta.id, car);
  const headingId = `car-${meta.id}`;
  const online = el('span', { class: 'online', 'data-online': 'null', text: t('unseen') });
  const section = el('section', { class: 'card', 'aria-labelledby': headingId }, [
    el('div', { class: 'car-head' }, [el('h2', { id: headingId, text: meta.name }), online]),
  ]);
  car.online = online;

  section.append(el('h3', { class: 'section-title', text: t('lamps') }));
  const lampList = el('div', { class: 'controls' });
  for (const lamp of meta.lamps)
    lampList.append(renderTarget(car, lamp.name, lamp.label ?? displayName(lamp.name), [lamp.name], lamp.dimmable));
  section.append(lampList);

  const groups = meta.groups;
  if (groups.length > 0) {
    section.append(el('h3', { class: 'section-title', text: t('groups') }));
    const groupList = el('div', { class: 'controls' });
    for (const group of groups) groupList.append(renderTarget(car, group.name, group.label ?? displayName(group.name), group.lamps, false));
    section.append(groupList);
  }

  const scenes = meta.scenes;
  if (scenes.length > 0) {
    section.append(el('h3', { class: 'section-title', text: t('scenes') }));
    const sceneList = el('div', { class: 'scenes' });
    for (const scene of scenes) {
      const label = scene.label ?? displayName(scene.name);
      const button = el('button', { type: 'button', class: 'scene', text: label });
      button.addEventListener('click', () => send(car, 'POST', `scenes/${encodeURIComponent(scene.name)}`, undefined, label));
      sceneList.append(button);
    }
    section.append(sceneList);
  }
  return section;
}

function renderTarget(car, name, label, lampNames, dimmable) {
  const id = `${car.meta.id}--${name}`;
  const control = { name, lampNames, button: undefined, slider: undefined };
  control.button = toggleButton(id, label, () => {
    const pressed = control.button.getAttribute('aria-pressed') === 'true';
    const mode = pressed ? 'off' : onMode(car, lampNames);
    const command = mode === 'on' && control.slider ? { mode, brightness: Number(control.slider.value) } : { mode };
    send(car, 'PUT', `lamps/${encodeURIComponent(name)}`, command);
  });
  const children = [control.button];
  if (dimmable) {
    const slider = brightnessSlider(`${id}-brightness`, `${id}-label`, (brightness) =>
      send(car, 'PUT', `lamps/${encodeURIComponent(name)}`, { mode: 'on', brightness }),
    );
    control.slider = slider.querySelector('input');
    children.push(slider);
  }
  car.controls.push(control);
  return el('div', { class: 'control' }, children);
}

function updateCar(car) {
  const online = car.view?.online ?? null;
  car.online.dataset.online = String(online);
  car.online.textContent = online === null ? t('unseen') : online ? t('online') : t('offline');
  for (const control of car.controls) {
    const modes = control.lampNames.map((lamp) => effectiveMode(car, lamp));
    control.button.setAttribute('aria-pressed', String(modes.every((mode) => mode !== 'off')));
    const reportedModes = [...new Set(control.lampNames.map((lamp) => car.view?.lamps[lamp]?.reported?.mode ?? 'off'))];
    control.button.querySelector('.lamp-dot').dataset.mode = reportedModes.length === 1 ? reportedModes[0] : 'on';
    const texts = [...new Set(control.lampNames.map((lamp) => lampStateText(car, lamp)))];
    control.button.querySelector('.state').textContent = texts.length === 1 ? texts[0] : t('mixed');
    const reported = car.view?.lamps[control.name]?.reported;
    // An off lamp reports brightness 0; the slider keeps the level the lamp will light at next.
    const lit = reported?.mode !== 'off' && reported?.brightness > 0;
    if (control.slider && lit && document.activeElement !== control.slider && !car.sent.has(control.name)) {
      control.slider.value = String(reported.brightness);
      control.slider.nextElementSibling.textContent = `${reported.brightness} %`;
    }
  }
}

// --- talking to the API ------------------------------------------------------------------------------

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
    schedulePoll(POLL_PENDING_MS);
  } catch (error) {
    handleError(error, t('failed', { message: error.message }));
  }
}

async function refresh() {
  await Promise.all(
    [...cars.values()].map(async (car) => {
      car.view = await api('GET', `/api/cars/${encodeURIComponent(car.meta.id)}`);
      settleSent(car);
      updateCar(car);
    }),
  );
}

function schedulePoll(delay) {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(poll, delay);
}

async function poll() {
  if (document.visibilityState === 'hidden') return schedulePoll(POLL_MS);
  try {
    await refresh();
    announce(t('connected'));
  } catch (error) {
    if (!handleError(error, t('unreachable'))) return;
  }
  const anyPending = [...cars.values()].some((car) => [...car.sent.values()].some((sent) => !sent.unanswered));
  schedulePoll(anyPending ? POLL_PENDING_MS : POLL_MS);
}

/** Shows the error; on a refused token, asks for a new one and stops polling. Returns whether to go on. */
function handleError(error, message) {
  if (error instanceof Unauthorized) {
    localStorage.removeItem(TOKEN_KEY);
    clearTimeout(pollTimer);
    showTokenForm(t('tokenRejected'));
    return false;
  }
  announce(message);
  return true;
}

function showTokenForm(message) {
  const form = document.getElementById('token-form');
  document.getElementById('cars').replaceChildren();
  cars.clear();
  form.hidden = false;
  const help = document.getElementById('token-help');
  help.textContent = message ?? t('tokenHelp');
  help.className = message ? 'message' : '';
  announce('');
}

function setUpTokenForm() {
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
}

async function start() {
  document.getElementById('token-form').hidden = true;
  if (!localStorage.getItem(TOKEN_KEY)) return showTokenForm();
  try {
    const { cars: list } = await api('GET', '/api/cars');
    const container = document.getElementById('cars');
    container.replaceChildren(...(list.length === 0 ? [el('p', { text: t('noCars') })] : list.map(renderCar)));
    await poll();
  } catch (error) {
    if (handleError(error, t('unreachable'))) setTimeout(start, POLL_MS);
  }
}

document.documentElement.lang = language;
takeTokenFromFragment();
setUpTokenForm();
start();
