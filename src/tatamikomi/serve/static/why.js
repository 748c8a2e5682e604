// "Why?" under the drawing: each attribution method's map (POST /api/why) in heat colours over
// the digit the network saw, the answer and its runner-up in one sentence, and where each map
// puts most of its evidence. Asked again shortly after each prediction (never piling up).

import {client} from './client.js';
import {arr, byId, el, showError, state, t} from './util.js';

const WAIT = 350;     // ms after the latest prediction before the maps are asked for
const SCALE = 4;      // canvas pixels a pixel: a 28x28 map is drawn 112 px wide
let timer = null;
let sequence = 0;     // answers older than the latest request are dropped
let last = null;      // the last answer, drawn again when nothing new came

/** A heat colour for v in 0..1: dark red, orange, then light yellow. */
function heat(v) {
  const stops = [[120, 0, 0], [220, 40, 0], [255, 150, 0], [255, 245, 140]];
  const x = Math.min(1, Math.max(0, v)) * (stops.length - 1);
  const k = Math.min(stops.length - 2, Math.floor(x));
  const f = x - k;
  return stops[k].map((c, n) => Math.round(c + (stops[k + 1][n] - c) * f));
}

/** The network's digit (grey, dimmed) with `map` (rows of 0..1) over it, more opaque where hotter. */
function paintOverlay(canvas, seen, map) {
  const h = map.length, w = map[0].length;
  const [, sh, sw] = seen.shape;
  const image = new ImageData(w, h);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const grey = sh === h && sw === w ? 0.55 * seen.data[i * w + j] : 0;
      const v = map[i][j];
      const alpha = Math.min(1, 1.4 * v) * 0.9;
      const colour = heat(v);
      const k = 4 * (i * w + j);
      for (let n = 0; n < 3; n++) image.data[k + n] = Math.round(grey * (1 - alpha) + colour[n] * alpha);
      image.data[k + 3] = 255;
    }
  }
  const small = document.createElement('canvas');
  small.width = w; small.height = h;
  small.getContext('2d').putImageData(image, 0, 0);
  canvas.width = w * SCALE; canvas.height = h * SCALE;
  const context = canvas.getContext('2d');
  context.imageSmoothingEnabled = false;
  context.drawImage(small, 0, 0, w * SCALE, h * SCALE);
}

const percent = (p) => `${(100 * p).toFixed(1)}%`;

function show() {
  const body = byId('why-body');
  const empty = !state.result || !last;
  byId('why-empty').hidden = !empty;
  body.hidden = empty;
  if (empty) return;
  const answer = last;
  byId('why-sentence').textContent = t('studio.why_sentence', {
    label: answer.label, probability: percent(answer.probability),
    runner_up: answer.runner_up_label, runner_probability: percent(answer.runner_up_probability)});
  const seen = arr(state.result.seen);
  byId('why-maps').replaceChildren(...answer.maps.map((entry) => {
    const canvas = el('canvas', {class: 'why-map', role: 'img', 'data-method': entry.method,
      'aria-label': t('studio.why_map_label', {method: entry.name, region: entry.region})});
    paintOverlay(canvas, seen, entry.map);
    return el('figure', {class: 'why-figure', 'data-testid': 'why-figure'}, canvas,
      el('figcaption', {}, el('strong', {text: entry.name}),
        el('span', {class: 'why-region', text: t('studio.why_region', {region: entry.region, share: percent(entry.share)})})));
  }));
}

async function ask() {
  const mine = ++sequence;
  try {
    const answer = await client.why({model: state.model, ...state.image});
    if (mine !== sequence) return;
    last = answer;
    show();
  } catch (error) {
    if (mine === sequence) { last = null; show(); showError(error.message); }
  }
}

/** A new prediction (or none): the maps are asked for after a short wait. */
export function update() {
  clearTimeout(timer);
  if (!state.result || !state.image) { sequence++; last = null; show(); return; }
  timer = setTimeout(ask, WAIT);
}
