// The car seen from above, drawn from the config: each lamp where its `position` says, in its LED colour,
// as bright as it is reported, blinking on the car's beat, grey while the car is offline. A lamp in a pop-up
// pod has a lid over it that opens as the car reports the pod up (closed while down, half while moving). Tapping a lamp
// switches it; the picture is hidden from screen readers, which get the same switches as buttons below it.

const SVG = 'http://www.w3.org/2000/svg';

/** Where each position's lamps sit (viewBox 0 0 120 200, front at the top, the car's left on the left). */
const SPOTS = {
  front: [
    [36, 16],
    [84, 16],
  ],
  rear: [
    [36, 186],
    [84, 186],
  ],
  left: [
    [22, 24],
    [22, 178],
  ],
  right: [
    [98, 24],
    [98, 178],
  ],
  frontLeft: [[26, 14]],
  frontRight: [[94, 14]],
  rearLeft: [[26, 188]],
  rearRight: [[94, 188]],
  roof: [[60, 96]],
};

/** LED colours as they glow; the config's colour names. */
const GLOW = { white: '#fff6d8', red: '#ff3b30', amber: '#ffa21a', green: '#34c759', blue: '#4da3ff' };

function node(tag, attributes = {}) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

function body() {
  const group = node('g', { class: 'car-body' });
  group.append(
    node('rect', { x: 18, y: 6, width: 84, height: 188, rx: 26, class: 'shell' }),
    node('path', { d: 'M30 62 Q60 46 90 62 L84 88 Q60 80 36 88 Z', class: 'glass' }),
    node('path', { d: 'M36 146 Q60 152 84 146 L88 164 Q60 172 32 164 Z', class: 'glass' }),
    node('rect', { x: 36, y: 92, width: 48, height: 50, rx: 8, class: 'roof' }),
  );
  for (const [x, y] of [
    [14, 42],
    [98, 42],
    [14, 138],
    [98, 138],
  ])
    group.append(node('rect', { x, y, width: 8, height: 26, rx: 3, class: 'wheel' }));
  return group;
}

/** One lamp: a halo and a core per spot, a bigger invisible target for a finger, and a second row when a spot is taken. */
function lampNode(lamp, spots, taken) {
  const group = node('g', { class: 'lamp', 'data-lamp': lamp.name });
  for (const [x, baseY] of spots) {
    const key = `${x},${baseY}`;
    const shift = (taken.get(key) ?? 0) * (baseY < 100 ? 14 : -14);
    taken.set(key, (taken.get(key) ?? 0) + 1);
    const y = baseY + shift;
    group.append(
      node('circle', { cx: x, cy: y, r: 11, class: 'halo', fill: GLOW[lamp.colour] ?? GLOW.white }),
      node('circle', { cx: x, cy: y, r: 5, class: 'core', fill: GLOW[lamp.colour] ?? GLOW.white }),
    );
    if (lamp.pod) group.append(node('rect', { x: x - 10, y: y - 7, width: 20, height: 14, rx: 3, class: 'pod-lid' }));
    group.append(node('circle', { cx: x, cy: y, r: 14, class: 'target' }));
  }
  return group;
}

export function drawCar(meta, onTap) {
  const svg = node('svg', { viewBox: '0 0 120 200', class: 'car-picture', 'aria-hidden': 'true', focusable: 'false' });
  svg.append(body());
  const taken = new Map();
  const lamps = new Map();
  for (const lamp of meta.lamps) {
    const group = lampNode(lamp, SPOTS[lamp.position] ?? SPOTS.roof, taken);
    group.addEventListener('click', () => onTap(lamp.name));
    svg.append(group);
    lamps.set(lamp.name, group);
  }
  return {
    svg,
    /** `states`: lamp → { mode, brightness, pod? } as reported, or null; `grey`: the car cannot be trusted to look like this. */
    update(states, grey) {
      svg.classList.toggle('grey', grey);
      for (const [name, group] of lamps) {
        const state = states.get(name);
        const mode = state?.mode ?? 'off';
        group.dataset.mode = mode;
        // Until the car says otherwise, a pod is down: that is where the car puts it at power-up.
        if (group.querySelector('.pod-lid')) group.dataset.pod = state?.pod ?? 'down';
        // A lamp at 20 % should look dim, yet stay visible: glow from a quarter to full.
        const level = mode === 'off' ? 0 : 0.25 + 0.75 * ((state?.brightness ?? 100) / 100);
        group.style.setProperty('--level', String(level));
      }
    },
  };
}

/**
 * Every blinking lamp of a car flashes on one beat, as on the car (its firmware shares one phase clock):
 * on for the first half of each period, counted from the epoch, so cards of the same rate blink together.
 */
export function startBlinkClock(svg, blinkPerMin) {
  const period = 60000 / blinkPerMin;
  let timer;
  const tick = () => {
    const phase = Date.now() % period;
    svg.dataset.phase = phase < period / 2 ? 'on' : 'off';
    timer = setTimeout(tick, (phase < period / 2 ? period / 2 : period) - phase);
  };
  tick();
  return () => clearTimeout(timer);
}
