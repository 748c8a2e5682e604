// Shared by the studio's views: the page's state, the strings, arrays, drawing (the server is
// reached through client.js).

export const state = {
  lang: 'en',
  strings: {},
  model: null,      // id of the model in use
  models: [],       // what GET /api/models lists
  image: null,      // the current image request: {png}, {file} or {sample}
  result: null,     // the last /api/layers answer
  pending: 0,       // requests in flight (the browser tests wait for 0)
  root: document,   // where the studio's elements are: the page, or a notebook widget's element
};
window.studio = state;

/** The studio's element `id` (looked up in `state.root`, so that the studio can live inside
 * another page, as a notebook widget does). */
export function byId(id) {
  return state.root.querySelector(`#${id}`);
}

/** The label `key` in the page's language, with {name} filled in from `vars`. */
export function t(key, vars = {}) {
  const entry = state.strings[key];
  let text = entry ? (entry[state.lang] ?? entry.en) : key;
  for (const [name, value] of Object.entries(vars)) text = text.replaceAll(`{${name}}`, value);
  return text;
}

/** Fill every element marked data-i18n (a studio text's key) with its label, and give those
 * marked data-i18n-label theirs as aria-label. */
export function applyStrings(root = state.root) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-label]')) node.setAttribute('aria-label', t(node.dataset.i18nLabel));
  (state.root.documentElement || state.root.host || state.root).lang = state.lang;  // for :lang(ja)
}

export function showError(message) {
  const box = byId('error');
  box.textContent = message ? `${t('studio.error')}: ${message}` : '';
  box.hidden = !message;
}

/** An array from the API ({shape, base64} or a nested list) as {shape, data (flat)}. */
export function arr(value) {
  if (value && value.base64 !== undefined) {
    const bytes = Uint8Array.from(atob(value.base64), (c) => c.charCodeAt(0));
    return {shape: value.shape, data: new Float32Array(bytes.buffer)};
  }
  const shape = [];
  for (let v = value; Array.isArray(v); v = v[0]) shape.push(v.length);
  return {shape, data: shape.length ? value.flat(shape.length) : [value]};
}

/** A number as the page shows it: whole numbers as they are, others to 4 significant digits. */
export function fmt(value) {
  if (value === null || value === undefined) return '−∞';
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

// Signed values: orange below zero, blue above, white at zero (PuOr-like). Blue and orange
// stay apart for the common red-green colour blindnesses, which red-blue mostly does too, but
// orange also differs from blue in lightness, so the sign survives a grey projector or print.
const NEGATIVE = [230, 97, 1];
const POSITIVE = [33, 102, 172];

/** The colour of `s` in -1..1 on the signed scale, as [r, g, b]. */
export function signedColour(s) {
  const end = s < 0 ? NEGATIVE : POSITIVE;
  const a = Math.min(1, Math.abs(s));
  return end.map((c) => Math.round(255 + (c - 255) * a));
}

/**
 * Paint an h x w map (from `data` at `offset`) into `canvas`, `scale` pixels a cell, grey from
 * `low` (black) to `high` (white); with `signed`, negative values orange and positive blue.
 */
export function paintMap(canvas, data, h, w, {offset = 0, scale = 4, low, high, signed = false} = {}) {
  canvas.width = w * scale;
  canvas.height = h * scale;
  const context = canvas.getContext('2d');
  const image = context.createImageData(w, h);
  let lo = low, hi = high;
  if (lo === undefined || hi === undefined) {
    lo = Infinity; hi = -Infinity;
    for (let k = 0; k < h * w; k++) { const v = data[offset + k]; if (v < lo) lo = v; if (v > hi) hi = v; }
  }
  const span = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  for (let k = 0; k < h * w; k++) {
    const v = data[offset + k];
    let r, g, b;
    if (signed) {
      [r, g, b] = signedColour(v / span);
    } else {
      const s = hi > lo ? (v - lo) / (hi - lo) : 0;
      r = g = b = Math.round(255 * s);
    }
    image.data.set([r, g, b, 255], 4 * k);
  }
  const small = document.createElement('canvas');
  small.width = w; small.height = h;
  small.getContext('2d').putImageData(image, 0, 0);
  context.imageSmoothingEnabled = false;
  context.drawImage(small, 0, 0, w * scale, h * scale);
}

/** A number to 3 significant digits: five columns of them fit a phone (the sum keeps 4). */
function short(value) {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(3)));
}

/** Each cell of the window as `input × weight` over its product, laid out like the window. */
export function productGrid(values, weights, offset, fh, fw) {
  const table = el('table', {class: 'grid products-grid', 'data-testid': 'products-grid'});
  for (let i = 0; i < fh; i++) {
    const row = el('tr');
    for (let j = 0; j < fw; j++) {
      const x = values[offset + i * fw + j], w = weights[offset + i * fw + j];
      row.append(el('td', {'aria-label': `${fmt(x)} × ${fmt(w)} = ${fmt(x * w)}`, title: `${fmt(x)} × ${fmt(w)} = ${fmt(x * w)}`},
        el('span', {class: 'factors', text: short(x)}), el('span', {class: 'factors', text: `× ${short(w)}`}),
        el('span', {class: 'product', text: `= ${short(x * w)}`})));
    }
    table.append(row);
  }
  return table;
}

/** A file's bytes as base64. */
export function fileBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(',')[1] || '');
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}
