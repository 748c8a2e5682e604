// The lecture's playground: the slides' 4x4 input and 3x3 filter, editable; padding, stride,
// filter size and bias; the window steps over the padded input while the output fills in;
// pooling and im2col on the same numbers. Every number comes from POST /api/playground.

import {client} from './client.js';
import {arr, byId, el, fmt, productGrid, showError, state, t} from './util.js';

const INPUT = [[1, 2, 3, 4], [4, 3, 2, 1], [0, 1, 2, 3], [3, 2, 1, 2]];   // the slides'
const FILTER = [[1, 0, 2], [0, 2, 0], [1, 1, -1]];
let input = INPUT.map((r) => r.slice());
let filter = FILTER.map((r) => r.slice());
let answer = null;
let shown = Infinity;     // output cells filled in (all of them unless stepping)
let timer = null;

const number = (id) => Number(byId(id).value);

function editGrid(box, values, onChange) {
  box.replaceChildren();
  const table = el('table', {class: 'grid editable'});
  values.forEach((row, i) => {
    const tr = el('tr');
    row.forEach((value, j) => {
      const cell = el('input', {type: 'number', step: 'any', value: String(value), 'aria-label': `${i},${j}`});
      cell.addEventListener('change', () => { values[i][j] = Number(cell.value) || 0; onChange(); });
      tr.append(el('td', {}, cell));
    });
    table.append(tr);
  });
  box.append(table);
}

function resizeFilter(size) {
  filter = Array.from({length: size}, (_, i) => Array.from({length: size}, (_, j) => (filter[i] && filter[i][j] !== undefined ? filter[i][j] : 0)));
  editGrid(byId('pg-filter'), filter, update);
}

function table(values, highlight, cls = 'grid', classify = null) {
  const {shape, data} = arr(values);
  const [h, w] = shape;
  const out = el('table', {class: cls});
  for (let i = 0; i < h; i++) {
    const tr = el('tr');
    for (let j = 0; j < w; j++) {
      const td = el('td', {text: fmt(data[i * w + j])});
      if (highlight && highlight(i, j)) td.classList.add('hit');
      if (classify) classify(td, i, j);
      tr.append(td);
    }
    out.append(tr);
  }
  return out;
}

export async function update() {
  const body = {
    input, filter, pad: number('pg-pad'), stride: number('pg-stride'), bias: number('pg-bias'),
    pool: number('pg-pool'), pool_stride: number('pg-pool-stride'),
    mode: byId('pg-mode').value, pool_on: byId('pg-pool-on').value, lang: state.lang,
  };
  try {
    answer = await client.playground(body);
    showError('');
    render();
  } catch (error) {
    showError(error.message);
  }
}

function render() {
  if (!answer) return;
  const conv = answer.conv;
  const steps = conv.steps;
  const current = Math.min(shown, steps.length) - 1;   // the step the window is on
  const step = steps[Math.max(current, 0)];
  const [fh, fw] = arr(answer.filter).shape;
  const pad = conv.pad;
  const [oi, oj] = [step.origin[0] + pad, step.origin[1] + pad];  // on the padded grid
  const padded = arr(conv.padded);
  const [ph, pw] = padded.shape;
  byId('pg-padded').replaceChildren(table(conv.padded,
    current >= 0 ? (i, j) => i >= oi && i < oi + fh && j >= oj && j < oj + fw : null, 'grid',
    (td, i, j) => { if (i < pad || j < pad || i >= ph - pad || j >= pw - pad) td.classList.add('pad'); }));
  const output = arr(conv.output);
  const [oh, ow] = output.shape;
  const out = el('table', {class: 'grid output'});
  for (let i = 0; i < oh; i++) {
    const tr = el('tr');
    for (let j = 0; j < ow; j++) {
      const k = i * ow + j;
      const td = el('td', {text: k <= current ? fmt(output.data[k]) : ''});
      if (k === current && shown !== Infinity) td.classList.add('hit');
      tr.append(td);
    }
    out.append(tr);
  }
  byId('pg-output').replaceChildren(out);
  const weights = arr(answer.filter).data;
  byId('pg-product-grid').replaceChildren(current >= 0 ? productGrid(arr(step.window).data, weights, 0, fh, fw) : '');
  byId('pg-products').textContent = current >= 0 ? `(${step.position.join(',')}): ${step.products}` : '';
  byId('pg-size').textContent = conv.size.join('\n');
  // pooling on the convolution's output (as in a network) or on the input, window by window
  const pool = answer.pool;
  byId('pg-pool-title').textContent = t(pool.on === 'conv' ? 'studio.pool_on_conv' : 'studio.pool_on_input');
  if (pool.error) {  // the convolution's output is smaller than the pooling window
    byId('pg-pool-input').replaceChildren(table(pool.input, null));
    byId('pg-pool-output').replaceChildren();
    byId('pg-pool-formula').textContent = pool.error;
  } else renderPool(pool, current);
  renderIm2col(current);
}

function renderPool(pool, current) {
  const pstep = pool.steps[Math.max(0, Math.min(current, pool.steps.length - 1))];
  const [pi, pj] = pstep.origin;
  byId('pg-pool-input').replaceChildren(table(pool.input,
    (i, j) => i >= pi && i < pi + pool.window && j >= pj && j < pj + pool.window));
  byId('pg-pool-output').replaceChildren(table(pool.output, null, 'grid output'));
  byId('pg-pool-formula').textContent = `(${pstep.position.join(',')}): ${pstep.formula}`;
}

function renderIm2col(current) {
  // im2col: one row per window
  const col = arr(answer.im2col.col);
  const [rows, cols] = col.shape;
  const matrix = el('table', {class: 'grid small'});
  for (let r = 0; r < rows; r++) {
    const [, i, j] = answer.im2col.rows[r];
    const tr = el('tr', {}, el('th', {text: `(${i},${j})`}));
    if (r === current) tr.classList.add('hit-row');
    for (let c = 0; c < cols; c++) tr.append(el('td', {text: fmt(col.data[r * cols + c])}));
    matrix.append(tr);
  }
  byId('pg-im2col').replaceChildren(
    el('div', {class: 'muted', text: `col.shape = (${rows}, ${cols})`}), matrix);
  byId('pg-text').textContent = [answer.conv.text, answer.pool.text, answer.im2col.text].join('\n\n');
}

function stepOnce() {
  const total = answer ? answer.conv.steps.length : 0;
  shown = shown === Infinity || shown >= total ? 1 : shown + 1;
  render();
}

function play() {
  if (timer) { clearInterval(timer); timer = null; byId('pg-play').textContent = t('studio.play'); return; }
  shown = 0;
  byId('pg-play').textContent = t('studio.pause');
  timer = setInterval(() => {
    const total = answer ? answer.conv.steps.length : 0;
    if (shown >= total) { clearInterval(timer); timer = null; byId('pg-play').textContent = t('studio.play'); return; }
    shown += 1;
    render();
  }, 700);
}

export function init() {
  editGrid(byId('pg-input'), input, update);
  editGrid(byId('pg-filter'), filter, update);
  byId('pg-pool').addEventListener('change', () => {
    byId('pg-pool-stride').value = byId('pg-pool').value;
  });
  for (const id of ['pg-pad', 'pg-stride', 'pg-bias', 'pg-pool', 'pg-pool-stride', 'pg-mode', 'pg-pool-on']) {
    byId(id).addEventListener('change', () => { shown = Infinity; update(); });
  }
  byId('pg-fsize').addEventListener('change', () => {
    resizeFilter(Math.max(1, Math.min(5, number('pg-fsize'))));
    shown = Infinity;
    update();
  });
  byId('pg-step').addEventListener('click', stepOnce);
  byId('pg-play').addEventListener('click', play);
  byId('pg-reset').addEventListener('click', () => {
    input = INPUT.map((r) => r.slice()); filter = FILTER.map((r) => r.slice());
    for (const [id, v] of [['pg-pad', 0], ['pg-stride', 1], ['pg-fsize', 3], ['pg-bias', 0], ['pg-pool', 2], ['pg-pool-stride', 2]]) byId(id).value = v;
    byId('pg-mode').value = 'max';
    byId('pg-pool-on').value = 'conv';
    editGrid(byId('pg-input'), input, update);
    editGrid(byId('pg-filter'), filter, update);
    shown = Infinity;
    update();
  });
  update();
}
