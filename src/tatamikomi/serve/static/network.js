// "Inside the network": every layer's output in order, with its shape and formulas; click a
// cell of a convolution or pooling output to see its window, products, sum and bias.

import {client} from './client.js';
import {arr, byId, el, fmt, paintMap, showError, state, t} from './util.js';

const MAP_PIXELS = 84;   // a feature map is drawn about this wide
let lastExplain = null;

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
      const canvas = el('canvas', {class: 'map', 'data-channel': k, title: `${t('studio.channel')} ${k}`});
      paintMap(canvas, output.data, h, w, {offset: k * h * w, scale});
      if (info && info.explainable) {
        canvas.classList.add('clickable');
        canvas.addEventListener('click', (event) => {
          const box = canvas.getBoundingClientRect();
          const j = Math.min(w - 1, Math.floor((event.clientX - box.left) / box.width * w));
          const i = Math.min(h - 1, Math.floor((event.clientY - box.top) / box.height * h));
          explain(layer.name, k, [i, j], index);
        });
      }
      maps.append(el('figure', {}, canvas, el('figcaption', {text: String(k)})));
    }
    if (layer.channels && layer.channels > c) {
      card.append(el('div', {class: 'muted', text: t('studio.channels_shown', {shown: c, total: layer.channels})}));
      card.append(el('button', {type: 'button', text: t('studio.show_all', {n: layer.channels}), onclick: () => showAll()}));
    }
  } else {
    const values = Array.from(output.data);
    const canvas = el('canvas', {class: 'vector'});
    paintMap(canvas, values, 1, values.length, {scale: Math.max(2, Math.floor(600 / values.length)), signed: true});
    maps.append(canvas);
    if (values.length <= 10) {
      maps.append(el('div', {class: 'scores'}, ...values.map((v, k) => el('span', {text: `${k}: ${fmt(v)}`}))));
    }
  }
  card.append(maps);
  return card;
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

async function explain(layer, channel, position, index) {
  const body = byId('explain-body');
  try {
    const answer = await client.explain({model: state.model, ...state.image, layer, channel, position});
    lastExplain = {answer, index};
    showExplain();
  } catch (error) {
    body.textContent = error.message;
  }
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
    if (c > 1) answer.products.forEach((line, k) => parts.push(el('div', {class: 'products', 'data-channel': k, text: `${t('studio.channel')} ${k}: ${line}`})));
    parts.push(el('div', {class: 'products total', 'data-testid': 'explain-total', text: answer.total}));
    parts.push(el('div', {text: `${t('studio.bias')}: ${fmt(answer.bias)}`}));
  } else {
    parts.push(el('h4', {text: t(answer.kind === 'max' ? 'studio.max_of_window' : 'studio.mean_of_window')}));
    parts.push(el('div', {class: 'products total', 'data-testid': 'explain-total', text: answer.total}));
  }
  parts.push(el('div', {class: 'value', 'data-testid': 'explain-value',
    text: `${t('studio.value')}: ${fmt(answer.value)} (${t('studio.layer_computed')}: ${fmt(answer.layer_value)})`}));
  parts.push(el('h4', {text: t('studio.output_size')}));
  for (const line of answer.size) parts.push(el('div', {class: 'formula', text: line}));
  body.replaceChildren(...parts);
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
  showExplain();
}
