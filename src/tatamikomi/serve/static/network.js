// "Inside the network": every layer's output in order, with its shape and formulas; click a
// cell of a convolution or pooling output (or move to it with the arrow keys and press Enter)
// to see its window, products, sum and bias.

import {client} from './client.js';
import {arr, byId, el, fmt, paintMap, productGrid, showError, state, t} from './util.js';

const MAP_PIXELS = 84;   // a feature map is drawn about this wide
const VECTOR_COLUMNS = 10;  // a long vector is folded into rows of this many values
let lastExplain = null;
const cursors = new Map();  // the keyboard's cell on each map ("layer/channel" -> [i, j])
let opener = null;          // the map whose cell is explained (focus goes back there)

function modelInfo() {
  return state.models.find((m) => m.id === state.model);
}

export function render() {
  const box = byId('layers');
  box.replaceChildren();
  const result = state.result;
  const info = modelInfo();
  if (!result || !info) {
    box.append(el('p', {class: 'muted', text: t('studio.draw_first')}));
    return;
  }
  const seen = arr(result.seen);
  box.append(layerCard({name: t('studio.input_image'), shape: seen.shape}, seen, null, null));
  result.layers.forEach((layer, index) => {
    box.append(layerCard(layer, arr(layer.output), info.layers[index], index));
  });
  markExplained();
}

function layerCard(layer, output, info, index) {
  const card = el('div', {class: 'card layer', 'data-layer': layer.name});
  const kind = info ? info[`kind_${state.lang}`] : '';
  card.append(el('h3', {}, el('span', {class: 'layer-name', text: layer.name}),
    info ? el('span', {class: 'muted', text: kind && kind !== info.type ? ` ${info.type} · ${kind}` : ` ${info.type}`}) : null,
    el('span', {class: 'shape', text: ` (${layer.shape.join(', ')})`})));
  if (info) {
    for (const note of info[`notes_${state.lang}`] || []) card.append(el('div', {class: 'formula', text: note}));
  }
  const maps = el('div', {class: 'maps'});
  if (output.shape.length === 3) {
    const [c, h, w] = output.shape;
    const scale = Math.max(1, Math.round(MAP_PIXELS / Math.max(h, w)));
    for (let k = 0; k < c; k++) {
      const canvas = el('canvas', {class: 'map', 'data-channel': k});
      paintMap(canvas, output.data, h, w, {offset: k * h * w, scale});
      const name = t('studio.map_label', {layer: layer.name, channel: k, h, w});
      if (info && info.explainable) {
        canvas.classList.add('clickable');
        maps.append(el('figure', {}, mapButton(layer.name, k, h, w, index, canvas, name), el('figcaption', {text: String(k)})));
      } else {
        canvas.setAttribute('role', 'img');
        canvas.setAttribute('aria-label', name);
        maps.append(el('figure', {}, canvas, el('figcaption', {text: String(k)})));
      }
    }
    if (layer.channels && layer.channels > c) {
      card.append(el('div', {class: 'muted', text: t('studio.channels_shown', {shown: c, total: layer.channels})}));
      card.append(el('button', {type: 'button', text: t('studio.show_all', {n: layer.channels}), onclick: () => showAll()}));
    }
  } else {
    const values = Array.from(output.data);
    const columns = Math.min(values.length, VECTOR_COLUMNS);
    const rows = Math.ceil(values.length / columns);
    const padded = values.concat(new Array(rows * columns - values.length).fill(0));
    const low = Math.min(...values), high = Math.max(...values);
    const canvas = el('canvas', {class: 'vector', role: 'img',
      'aria-label': t('studio.vector_label', {layer: layer.name, n: values.length, low: fmt(low), high: fmt(high)})});
    paintMap(canvas, padded, rows, columns, {scale: 16, signed: true});
    maps.append(canvas);
    const last = index !== null && index === state.result.layers.length - 1;
    if (last && values.length === state.result.classes.length) maps.append(softmaxTable(values));
    else if (values.length <= 10) {
      maps.append(el('div', {class: 'scores'}, ...values.map((v, k) => el('span', {text: `${k}: ${fmt(v)}`}))));
    }
  }
  card.append(maps);
  return card;
}

/**
 * A map whose cells can be explained: a button (Tab reaches it, the arrow keys move its cell
 * cursor, Enter or Space explains that cell; a click or a tap explains the cell under it).
 */
function mapButton(layerName, k, h, w, index, canvas, name) {
  const key = `${layerName}/${k}`;
  const cursor = el('span', {class: 'cell-mark cursor', 'aria-hidden': 'true'});
  const button = el('button', {type: 'button', class: 'map-button', 'data-channel': k, 'data-h': h, 'data-w': w,
    'aria-label': name, 'aria-describedby': 'map-keys'}, canvas, cursor);
  const place = (mark, at) => placeMark(mark, at, h, w);
  place(cursor, cursors.get(key) || [0, 0]);
  button.addEventListener('keydown', (event) => {
    const [i, j] = cursors.get(key) || [0, 0];
    if (event.key === 'Escape') { closeSheet(); return; }
    const moved = {ArrowUp: [i - 1, j], ArrowDown: [i + 1, j], ArrowLeft: [i, j - 1], ArrowRight: [i, j + 1],
      Home: [i, 0], End: [i, w - 1], PageUp: [0, j], PageDown: [h - 1, j]}[event.key];
    if (!moved) return;
    event.preventDefault();
    const at = [Math.max(0, Math.min(h - 1, moved[0])), Math.max(0, Math.min(w - 1, moved[1]))];
    cursors.set(key, at);
    place(cursor, at);
    button.setAttribute('aria-label', `${name}, (${at.join(', ')})`);
  });
  button.addEventListener('click', (event) => {
    let at = cursors.get(key) || [0, 0];
    if (event.detail > 0) {  // a pointer's click, not Enter or Space
      const box = canvas.getBoundingClientRect();
      at = [Math.max(0, Math.min(h - 1, Math.floor((event.clientY - box.top) / box.height * h))),
        Math.max(0, Math.min(w - 1, Math.floor((event.clientX - box.left) / box.width * w)))];
      cursors.set(key, at);
      place(cursor, at);
    }
    opener = key;
    explain(layerName, k, at, index);
  });
  return button;
}

/** The last layer's scores (logits) turned into the probabilities, step by step. */
function softmaxTable(scores) {
  const classes = state.result.classes;
  const top = Math.max(...scores);
  const exps = scores.map((z) => Math.exp(z - top));
  const total = exps.reduce((a, b) => a + b, 0);
  const probabilities = arr(state.result.probabilities).data;
  const table = el('table', {class: 'grid softmax', 'data-testid': 'softmax'},
    el('caption', {text: t('studio.softmax_caption')}),
    el('tr', {}, ...['studio.class', 'studio.score', 'studio.shifted_score', 'studio.exp_score', 'studio.probability']
      .map((k) => el('th', {scope: 'col', text: t(k)}))));
  scores.forEach((z, k) => {
    const row = el('tr', {class: k === state.result.prediction ? 'top' : ''},
      el('th', {scope: 'row', text: classes[k]}), el('td', {text: fmt(z)}), el('td', {text: fmt(z - top)}),
      el('td', {text: fmt(exps[k])}), el('td', {text: `${(100 * probabilities[k]).toFixed(1)}%`}));
    table.append(row);
  });
  table.append(el('tr', {class: 'sum'}, el('th', {scope: 'row', text: 'Σ'}), el('td'), el('td'),
    el('td', {text: fmt(total)}), el('td', {text: '100%'})));
  return el('div', {class: 'softmax-box'}, el('p', {class: 'formula', text: t('studio.softmax_formula')}), table);
}

async function showAll() {
  try {
    const answer = await client.layers({model: state.model, ...state.image, all_channels: true});
    state.result = answer;
    render();
  } catch (error) {
    showError(error.message);
  }
}

function grid(values, shape, highlight = null, cls = 'grid') {
  const [h, w] = shape;
  const table = el('table', {class: cls});
  for (let i = 0; i < h; i++) {
    const row = el('tr');
    for (let j = 0; j < w; j++) {
      const cell = el('td', {text: fmt(values[i * w + j])});
      if (highlight && highlight(i, j)) cell.classList.add('hit');
      row.append(cell);
    }
    table.append(row);
  }
  return table;
}

async function explain(layer, channel, position, index, refocus = null) {
  const body = byId('explain-body');
  try {
    const answer = await client.explain({model: state.model, ...state.image, layer, channel, position});
    lastExplain = {answer, index};
    showExplain();
    markExplained();
    if (refocus) {  // the panel was redrawn under the focused step button: focus its successor
      const button = state.root.querySelector(`#explain-body [data-move="${refocus}"]`);
      if (button && !button.disabled) button.focus();
      else if (button) byId('explain-title').focus();
      return;
    }
    openSheet();
  } catch (error) {
    body.textContent = error.message;
  }
}

/** The explained cell marked on its map (and on no other). */
function markExplained() {
  for (const old of state.root.querySelectorAll('.cell-mark.explained')) old.remove();
  if (!lastExplain) return;
  const {layer, channel, position} = lastExplain.answer;
  const map = state.root.querySelector(`.layer[data-layer="${layer}"] .map-button[data-channel="${channel}"]`);
  if (!map) return;
  const mark = el('span', {class: 'cell-mark explained', 'aria-hidden': 'true', 'data-testid': 'explained-cell'});
  const [h, w] = [Number(map.dataset.h), Number(map.dataset.w)];
  placeMark(mark, position, h, w);
  placeMark(map.querySelector('.cell-mark.cursor'), position, h, w);  // the arrows go on from here
  map.append(mark);
}

/** A mark over cell (i, j) of an h x w map, in percent of the map's size. */
function placeMark(mark, [i, j], h, w) {
  Object.assign(mark.style, {left: `${100 * j / w}%`, top: `${100 * i / h}%`, width: `${100 / w}%`, height: `${100 / h}%`});
}

function mapOf(key) {
  if (!key) return null;
  const [layer, channel] = key.split('/');
  return state.root.querySelector(`.layer[data-layer="${layer}"] .map-button[data-channel="${channel}"]`);
}

const narrow = () => window.matchMedia('(max-width: 980px)').matches;

/** On a narrow screen the explanation is a sheet over the lower part of the screen, with the
 * tapped map scrolled above it; on a wide one it stays beside the layers (sticky). */
function openSheet() {
  const panel = byId('explain');
  panel.classList.add('open');
  if (!narrow()) return;
  const map = mapOf(opener);
  if (map) map.scrollIntoView({block: 'start'});
  panel.scrollTop = 0;
}

function closeSheet() {
  byId('explain').classList.remove('open');
  const map = mapOf(opener);
  if (map) map.focus();
}

export function init() {
  byId('explain-close').addEventListener('click', closeSheet);
  byId('explain').addEventListener('keydown', (event) => { if (event.key === 'Escape') closeSheet(); });
}

export function showExplain() {
  const body = byId('explain-body');
  if (!lastExplain) { body.textContent = t('studio.explain_hint'); return; }
  const {answer} = lastExplain;
  body.className = '';
  const window = arr(answer.window);
  const [c, fh, fw] = window.shape;
  const [top, left] = answer.origin;
  const parts = [
    el('p', {class: 'where', 'data-testid': 'explain-where',
      text: `${answer.layer}, ${t('studio.channel')} ${answer.channel}, (${answer.position.join(', ')})`}),
    neighbours(answer, lastExplain.index),
    el('h4', {text: t('studio.window_on_input', {r: `${top}…${top + fh - 1}`, c: `${left}…${left + fw - 1}`})}),
  ];
  const overlay = windowOnInput(answer, lastExplain.index, fh, fw);
  if (overlay) parts.push(overlay);
  for (let k = 0; k < c; k++) {
    if (c > 1) parts.push(el('div', {class: 'muted', text: `${t('studio.channel')} ${k}`}));
    parts.push(grid(window.data.slice(k * fh * fw, (k + 1) * fh * fw), [fh, fw]));
  }
  if (answer.kind === 'conv') {
    const filter = arr(answer.filter);
    parts.push(el('h4', {text: t('studio.filter')}));
    for (let k = 0; k < c; k++) parts.push(grid(filter.data.slice(k * fh * fw, (k + 1) * fh * fw), [fh, fw]));
    parts.push(el('h4', {text: t('studio.products')}));
    const sums = answer.channel_sums;
    for (let k = 0; k < c; k++) {
      if (c > 1) parts.push(el('div', {class: 'muted', text: `${t('studio.channel')} ${k}`}));
      parts.push(productGrid(window.data, filter.data, k * fh * fw, fh, fw));
      parts.push(el('div', {class: 'sum-line', 'data-channel': k, text: `${t('studio.sum_of_products')} = ${fmt(sums[k])}`}));
    }
    const sum = sums.reduce((a, b) => a + b, 0);
    parts.push(el('div', {class: 'sum-line total', 'data-testid': 'explain-total',
      text: `${fmt(sum)} + ${t('studio.bias')} (${fmt(answer.bias)}) = ${fmt(answer.value)}`}));
    // the slides' one-line form, folded away: it is long, and read best as the grid above
    parts.push(el('details', {class: 'one-line'}, el('summary', {text: t('studio.as_one_line')}),
      ...(c > 1 ? answer.products.map((line, k) => el('div', {class: 'products', 'data-channel': k, text: `${t('studio.channel')} ${k}: ${line}`})) : []),
      el('div', {class: 'products', 'data-testid': 'explain-line', text: answer.total})));
  } else {
    parts.push(el('h4', {text: t(answer.kind === 'max' ? 'studio.max_of_window' : 'studio.mean_of_window')}));
    parts.push(el('div', {class: 'products total', 'data-testid': 'explain-total', text: answer.total}));
  }
  parts.push(el('div', {class: 'value', 'data-testid': 'explain-value',
    text: `${t('studio.value')}: ${fmt(answer.value)} (${t('studio.layer_computed')}: ${fmt(answer.layer_value)})`}));
  // a screen reader hears which cell was explained and its value (the panel itself is long)
  byId('explain-status').textContent = `${parts[0].textContent}: ${t('studio.value')} ${fmt(answer.value)}`;
  parts.push(el('h4', {text: t('studio.output_size')}));
  for (const line of answer.size) parts.push(el('div', {class: 'formula', text: line}));
  body.replaceChildren(...parts.filter(Boolean));
}

/** Buttons to the neighbouring cells: a finger cannot hit a 4-pixel cell, but can step. */
function neighbours(answer, index) {
  const layer = state.result && state.result.layers[index];
  if (!layer) return null;
  const [, h, w] = layer.shape;
  const [i, j] = answer.position;
  const row = el('div', {class: 'row neighbours', role: 'group', 'aria-label': t('studio.neighbours')});
  for (const [move, key, arrow, di, dj] of [['left', 'studio.cell_left', '←', 0, -1], ['up', 'studio.cell_up', '↑', -1, 0],
    ['down', 'studio.cell_down', '↓', 1, 0], ['right', 'studio.cell_right', '→', 0, 1]]) {
    const at = [i + di, j + dj];
    const button = el('button', {type: 'button', 'aria-label': t(key), title: t(key), text: arrow,
      'data-move': move, onclick: () => {
        cursors.set(`${answer.layer}/${answer.channel}`, at);
        explain(answer.layer, answer.channel, at, index, button.dataset.move);
      }});
    button.disabled = at[0] < 0 || at[1] < 0 || at[0] >= h || at[1] >= w;
    row.append(button);
  }
  return row;
}

/** The layer's input feature map (the explained channel, or the first) with the window drawn on it. */
function windowOnInput(answer, index, fh, fw) {
  const result = state.result;
  if (!result) return null;
  const source = arr(index === 0 ? result.seen : result.layers[index - 1].output);
  if (source.shape.length !== 3) return null;
  const [c, h, w] = source.shape;
  const channel = answer.kind === 'conv' ? 0 : answer.channel;
  if (channel >= c) return null;
  const scale = Math.max(2, Math.floor(168 / Math.max(h, w)));
  const canvas = el('canvas', {class: 'map window-map'});
  paintMap(canvas, source.data, h, w, {offset: channel * h * w, scale});
  const context = canvas.getContext('2d');
  context.strokeStyle = '#f59e0b';
  context.lineWidth = 2;
  context.strokeRect(answer.origin[1] * scale + 1, answer.origin[0] * scale + 1, fw * scale - 2, fh * scale - 2);
  return el('figure', {}, canvas, el('figcaption', {class: 'muted', text: `${t('studio.input_feature_map')}, ${t('studio.channel')} ${channel}`}));
}

export function reset() {
  lastExplain = null;
  cursors.clear();
  byId('explain').classList.remove('open');
  showExplain();
}
