// Everything the page says, in English and Japanese. Names the page knows (the example car's lamps, groups
// and scenes) have words in both languages; any other name is shown as words ("tailLamps" → "Tail lamps").

export const STRINGS = {
  en: {
    online: 'Online',
    offlineSince: 'Offline since {time}',
    unseen: 'Never seen',
    noServer: 'No connection',
    lamps: 'Lamps',
    groups: 'Groups',
    scenes: 'Scenes',
    brightness: 'Brightness',
    brakeHold: 'Hold to brake',
    on: 'On',
    onLevel: 'On {n} %',
    off: 'Off',
    blink: 'Blinking',
    mixed: 'Mixed',
    noReport: 'No report',
    waiting: 'Sending…',
    noAnswer: 'No answer',
    live: 'Live',
    polling: 'Connected',
    unreachable: 'Cannot reach the server; retrying',
    tokenTitle: 'Sign in',
    tokenHelp: 'Open the link that npm start or npx plamo token create printed, or paste the token here.',
    tokenLabel: 'Token',
    tokenSave: 'Save',
    tokenRefused: 'The server refused the token. It may be new and not yet active, or revoked.',
    tokenRetry: 'Try again',
    tokenReplace: 'Use another token',
    sceneSent: 'Scene “{name}” sent',
    failed: 'Could not send: {message}',
    noCars: 'No cars are configured.',
    health: 'Health',
    lastSeen: 'Last seen',
    signal: 'Signal',
    uptime: 'Uptime',
    heap: 'Free memory',
    reconnects: 'Reconnects',
    latency: 'Last command',
    events: 'Events ({n})',
    noEvents: 'No events yet',
    never: '—',
    secondsAgo: '{n} s ago',
    minutesAgo: '{n} min ago',
    hoursMinutes: '{h} h {m} min',
    ms: '{n} ms',
    kb: '{n} KB',
    dbm: '{n} dBm',
    carPicture: 'Picture of the car; the switches below do the same',
    names: {
      headlights: 'Headlights',
      turnLeft: 'Turn left',
      turnRight: 'Turn right',
      brake: 'Brake / tail',
      hazard: 'Hazard',
      night: 'Night',
      parked: 'Parked',
    },
  },
  ja: {
    online: 'オンライン',
    offlineSince: '{time} からオフライン',
    unseen: '未接続',
    noServer: '接続なし',
    lamps: 'ランプ',
    groups: 'グループ',
    scenes: 'シーン',
    brightness: '明るさ',
    brakeHold: '長押しでブレーキ',
    on: '点灯',
    onLevel: '点灯 {n} %',
    off: '消灯',
    blink: '点滅',
    mixed: '混在',
    noReport: '報告なし',
    waiting: '送信中…',
    noAnswer: '応答なし',
    live: 'ライブ',
    polling: '接続中',
    unreachable: 'サーバーに接続できません。再試行しています',
    tokenTitle: 'サインイン',
    tokenHelp: 'npm start または npx plamo token create が表示したリンクを開くか、トークンを貼り付けてください。',
    tokenLabel: 'トークン',
    tokenSave: '保存',
    tokenRefused: 'サーバーがトークンを受け付けませんでした。作成直後でまだ有効でないか、無効化された可能性があります。',
    tokenRetry: '再試行',
    tokenReplace: '別のトークンを使う',
    sceneSent: 'シーン「{name}」を送信しました',
    failed: '送信できませんでした: {message}',
    noCars: '車が設定されていません。',
    health: '状態',
    lastSeen: '最終受信',
    signal: '電波',
    uptime: '稼働時間',
    heap: '空きメモリ',
    reconnects: '再接続',
    latency: '前回の応答',
    events: 'イベント ({n})',
    noEvents: 'イベントはまだありません',
    never: '—',
    secondsAgo: '{n} 秒前',
    minutesAgo: '{n} 分前',
    hoursMinutes: '{h} 時間 {m} 分',
    ms: '{n} ms',
    kb: '{n} KB',
    dbm: '{n} dBm',
    carPicture: '車の図。下のスイッチでも同じ操作ができます',
    names: {
      headlights: 'ヘッドライト',
      turnLeft: '左ウインカー',
      turnRight: '右ウインカー',
      brake: 'ブレーキ／テール',
      hazard: 'ハザード',
      night: 'ナイト',
      parked: '駐車',
      foglamps: 'フォグランプ',
    },
  },
};

export const language = (navigator.languages?.[0] ?? navigator.language ?? 'en').toLowerCase().startsWith('ja') ? 'ja' : 'en';
const strings = STRINGS[language];

export function t(key, values = {}) {
  return strings[key].replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
}

/** The config's label, else the page's word for the name, else the name as words: `turnLeft` → `Turn left`. */
export function displayName(name, label) {
  if (label) return label;
  if (strings.names[name]) return strings.names[name];
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function clockTime(ms) {
  return new Date(ms).toLocaleTimeString(language, { hour: '2-digit', minute: '2-digit' });
}
