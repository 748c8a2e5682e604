// "Backward" in the network tab: the gradient of the predicted class's score at the input of a
// convolution or pooling layer (its dx, POST /api/backward) for the drawn digit, as a map whose
// cells can be clicked (or reached with the arrow keys and Enter); a cell shows its terms
// dout × W and their sum, or for pooling whether it was its window's maximum.

import {client} from './client.js';
import {arr, byId, el, fmt, paintMap, showError, state, t} from './util.js';

const MAP_PIXELS = 224;  // the dx map is drawn about this wide
let open = false;
let answer = null;       // the last /api/backward answer
let chosen = {layer: null, channel: 0, cell: null};  // what the user picked
let cursor = [0, 0];     // the keyboard's cell on the dx map
let sequence = 0;

/** The model's convolution and pooling layers (those whose backward pass is shown). */
function usable() {
  const info = state.models.find((m) => m.id === state.model);
  if (answer && answer.model === state.model) return answer.layers;
  return info ? info.layers.filter((l) => l.explainable).map((l) => l.name) : [];
}

function body() {
  if (!chosen.layer || !usable().includes(chosen.layer)) chosen.layer = usable()[0] || null;
  return {model: state.model, ...state.image, layer: chosen.layer, ...(chosen.cell ? {cell: chosen.cell} : {})};
}

async function ask(focus = false) {
  if (!open) return;
  if (!state.result || !state.image) { answer = null; render(); return; }
  const mine = ++sequence;
  try {
    const got = await client.backward(body());
    if (mine !== sequence) return;
    answer = got;
    chosen.layer = got.layer;
    chosen.cell = got.cell.cell;
    chosen.channel = got.cell.cell[0];
    cursor = got.cell.cell.slice(1);
    render();
    if (focus) { const map = byId('backward-map').querySelector('button'); if (map) map.focus(); }
  } catch (error) {
    if (mine !== sequence) return;
    if (chosen.cell) { chosen.cell = null; ask(focus); return; }  // a cell another layer does not have
    answer = null;
    render();
    showError(error.message);
  }
}

/** dx as {shape: [C, H, W], data}. */
function dx() {
  return arr(answer.dx);
}

function options(select, values, labels, value) {
  select.replaceChildren(...values.map((v, k) => el('option', {value: String(v), text: labels[k]})));
  select.value = String(value);
}

export function render() {
  const toggle = byId('backward-toggle');
  toggle.textContent = t(open ? 'studio.backward_hide' : 'studio.backward_show');
  toggle.setAttribute('aria-expanded', String(open));
  byId('backward-body').hidden = !open;
  if (!open) return;
  const map = byId('backward-map');
  const cellBox = byId('backward-cell');
  if (!answer || !state.result) {
    map.replaceChildren(el('p', {class: 'muted', text: t('studio.draw_first')}));
    cellBox.replaceChildren();
    return;
  }
  const {shape, data} = dx();
  const [c, h, w] = shape;
  options(byId('backward-layer'), answer.layers, answer.layers, answer.layer);
  options(byId('backward-channel'), [...Array(c).keys()], [...Array(c).keys()].map(String), chosen.channel);
  byId('backward-channel').disabled = c === 1;
  map.replaceChildren(dxButton(data, c, h, w));
  cellBox.replaceChildren(...cellParts());
}

function place(mark, [i, j], h, w) {
  Object.assign(mark.style, {left: `${100 * j / w}%`, top: `${100 * i / h}%`, width: `${100 / w}%`, height: `${100 / h}%`});
}

/** The channel's dx as one button: the arrow keys move its cursor, Enter shows that cell. */
function dxButton(data, c, h, w) {
  const channel = chosen.channel;
  const scale = Math.max(2, Math.floor(MAP_PIXELS / Math.max(h, w)));
  const canvas = el('canvas', {class: 'map dx-map'});
  paintMap(canvas, data, h, w, {offset: channel * h * w, scale, signed: true});
  const mark = el('span', {class: 'cell-mark explained', 'aria-hidden': 'true', 'data-testid': 'backward-explained'});
  const cur = el('span', {class: 'cell-mark cursor', 'aria-hidden': 'true'});
  const name = (at) => t('studio.backward_dx_label', {layer: answer.layer, channel, h, w, i: at[0], j: at[1]});
  const button = el('button', {type: 'button', class: 'map-button dx-button', 'data-testid': 'backward-map',
    'data-h': h, 'data-w': w, 'aria-label': name(cursor), 'aria-describedby': 'backward-keys'}, canvas, cur, mark);
  if (chosen.cell && chosen.cell[0] === channel) place(mark, chosen.cell.slice(1), h, w);
  else mark.hidden = true;
  place(cur, cursor, h, w);
  button.addEventListener('keydown', (event) => {
    const [i, j] = cursor;
    const moved = {ArrowUp: [i - 1, j], ArrowDown: [i + 1, j], ArrowLeft: [i, j - 1], ArrowRight: [i, j + 1],
      Home: [i, 0], End: [i, w - 1], PageUp: [0, j], PageDown: [h - 1, j]}[event.key];
    if (!moved) return;
    event.preventDefault();
    cursor = [Math.max(0, Math.min(h - 1, moved[0])), Math.max(0, Math.min(w - 1, moved[1]))];
    place(cur, cursor, h, w);
    button.setAttribute('aria-label', name(cursor));
  });
  button.addEventListener('click', (event) => {
    if (event.detail > 0) {  // a pointer's click, not Enter or Space
      const box = canvas.getBoundingClientRect();
      cursor = [Math.max(0, Math.min(h - 1, Math.floor((event.clientY - box.top) / box.height * h))),
        Math.max(0, Math.min(w - 1, Math.floor((event.clientX - box.left) / box.width * w)))];
    }
    chosen.cell = [channel, ...cursor];
    ask(true);
  });
  return button;
}

const triple = (v) => `(${v.join(', ')})`;

function cellParts() {
  const part = answer.cell;
  const [c, i, j] = part.cell;
  const parts = [el('h4', {id: 'backward-where', 'data-testid': 'backward-where', text: t('studio.backward_cell', {layer: answer.layer, c, i, j})})];
  if (answer.kind === 'conv') {
    parts.push(el('p', {class: 'small', text: t('studio.backward_conv_rule')}));
    const table = el('table', {class: 'grid terms', 'data-testid': 'backward-terms'},
      el('tr', {}, ...['studio.backward_out_cell', 'studio.backward_tap', 'studio.backward_product']
        .map((key) => el('th', {scope: 'col', text: t(key)}))));
    for (const term of part.terms) {
      table.append(el('tr', {class: term.product === 0 ? 'zero' : ''},
        el('td', {text: triple([term.filter, ...term.out])}), el('td', {text: triple(term.tap)}),
        el('td', {text: `${fmt(term.dout)} × ${fmt(term.weight)} = ${fmt(term.product)}`})));
    }
    // a scrolled box: the keyboard reaches it too
    parts.push(el('div', {class: 'terms-box', tabindex: '0', role: 'region', 'aria-labelledby': 'backward-where'}, table));
    if (part.terms_total > part.terms.length) {
      const key = part.terms_nonzero > part.terms.length ? 'studio.backward_more' : 'studio.backward_zeros';
      parts.push(el('p', {class: 'muted small', 'data-testid': 'backward-left-out', text: t(key,
        {shown: part.terms.length, total: part.terms_total, zero: part.terms_total - part.terms_nonzero})}));
    }
    parts.push(el('div', {class: 'sum-line total', 'data-testid': 'backward-sum', 'data-value': String(part.value), 'data-cell': part.cell.join(','),
      text: `${t('studio.backward_sum')} = ${fmt(part.value)}`}));
  } else {
    parts.push(el('p', {class: 'small', text: t(answer.kind === 'max' ? 'studio.backward_max_rule' : 'studio.backward_avg_rule')}));
    const list = el('ul', {class: 'windows', 'data-testid': 'backward-windows'});
    for (const mark of part.windows) {
      const window = mark.window.join(', ');
      const area = mark.values.length * mark.values[0].length;
      const key = answer.kind !== 'max' ? 'studio.backward_avg' : mark.is_max ? 'studio.backward_is_max' : 'studio.backward_not_max';
      list.append(el('li', {class: mark.is_max ? 'is-max' : '', 'data-max': String(mark.is_max),
        text: t(key, {window, dout: fmt(mark.dout), area, received: fmt(mark.received)})}));
    }
    parts.push(list);
    parts.push(el('div', {class: 'sum-line total', 'data-testid': 'backward-sum', 'data-value': String(part.value), 'data-cell': part.cell.join(','),
      text: `${t('studio.backward_received')} = ${fmt(part.value)}`}));
  }
  parts.push(el('p', {class: 'muted small', text: t('studio.backward_engine', {value: fmt(part.engine)})}));
  return parts;
}

/** A new prediction, or the tab shown: the open view follows the drawing. */
export function update() {
  if (open) ask();
}

export function reset() {
  answer = null;
  chosen = {layer: null, channel: 0, cell: null};
  cursor = [0, 0];
  render();
}

export function init() {
  byId('backward-toggle').addEventListener('click', () => {
    open = !open;
    render();
    if (open) ask();
  });
  byId('backward-layer').addEventListener('change', (event) => {
    chosen = {layer: event.target.value, channel: 0, cell: null};
    ask();
  });
  byId('backward-channel').addEventListener('change', (event) => {
    chosen.channel = Number(event.target.value);
    cursor = [0, 0];
    render();
  });
  render();
}
