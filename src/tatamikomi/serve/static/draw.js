// "Draw a digit": the canvas (pointer events: mouse, pen and touch), the prediction, the image
// the network sees, the probabilities, the test images.

import {client} from './client.js';
import {arr, byId, el, fileBase64, paintMap, showError, state, t} from './util.js';

const PEN = 18;
let strokes = [];          // each stroke a list of [x, y] in canvas pixels
let current = null;
let sequence = 0;          // answers older than the latest request are dropped
let lastSent = 0;
let onResult = () => {};
let shownSample = null;    // a test image painted on the pad

const pad = () => byId('pad');

function repaint() {
  const canvas = pad();
  const context = canvas.getContext('2d');
  context.fillStyle = '#fff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  if (shownSample) context.drawImage(shownSample, 0, 0, canvas.width, canvas.height);
  context.strokeStyle = '#000';
  context.lineWidth = PEN;
  context.lineCap = 'round';
  context.lineJoin = 'round';
  for (const stroke of strokes) {
    context.beginPath();
    context.moveTo(...stroke[0]);
    for (const point of stroke.slice(1)) context.lineTo(...point);
    if (stroke.length === 1) context.lineTo(stroke[0][0] + 0.1, stroke[0][1]);
    context.stroke();
  }
}

function point(event) {
  const box = pad().getBoundingClientRect();
  return [(event.clientX - box.left) * (pad().width / box.width),
          (event.clientY - box.top) * (pad().height / box.height)];
}

/** Ask for the prediction and every layer's output of the current image. */
export async function predict() {
  if (!state.image) { showResult(null); return; }
  const mine = ++sequence;
  try {
    const started = performance.now();
    const answer = await client.layers({model: state.model, ...state.image});
    if (mine !== sequence) return;
    answer.roundTrip = performance.now() - started;
    showError('');
    showResult(answer);
  } catch (error) {
    if (mine === sequence) showError(error.message);
  }
}

/** Each side of the pad is sent this many times smaller: 70x70 grey levels, not a PNG. */
const SHRINK = 4;

/**
 * The canvas as rows of grey levels (ints 0..255, dark ink on white paper, as its PNG would
 * be), each one the mean of a SHRINK x SHRINK block: the server reads a 70x70 array in a tenth
 * of the time it takes to decode a 280x280 PNG, and sees the same digit.
 */
export function pixelsOf(canvas, shrink = SHRINK) {
  const {width, height} = canvas;
  const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  const h = Math.floor(height / shrink), w = Math.floor(width / shrink);
  const rows = [];
  for (let i = 0; i < h; i++) {
    const row = new Array(w).fill(0);
    for (let y = i * shrink; y < (i + 1) * shrink; y++) {
      for (let x = 0; x < w * shrink; x++) {
        const k = 4 * (y * width + x);
        const a = data[k + 3] / 255;  // transparent counts as white paper
        row[Math.floor(x / shrink)] += (0.299 * data[k] + 0.587 * data[k + 1] + 0.114 * data[k + 2]) * a + 255 * (1 - a);
      }
    }
    rows.push(row.map((v) => Math.min(255, Math.max(0, Math.round(v / (shrink * shrink))))));
  }
  return rows;
}

function canvasImage() {
  return strokes.length ? {pixels: pixelsOf(pad())} : null;
}

let lastAnswer = null;

/** Show the last answer again (the language changed). */
export function relabel() {
  showResult(lastAnswer);
}

function showResult(answer) {
  lastAnswer = answer;
  state.result = answer && !answer.empty ? answer : null;
  const empty = !state.result;
  byId('empty').hidden = !empty;
  byId('answer').hidden = empty;
  byId('timing').textContent = empty ? '' : t('studio.round_trip', {ms: answer.roundTrip.toFixed(0)});
  byId('quick').textContent = '';
  if (!empty) {
    const classes = answer.classes;
    byId('prediction').textContent = classes[answer.prediction];
    byId('label-note').textContent =
      answer.label === null || answer.label === undefined ? '' : `(${t('studio.label')}: ${classes[answer.label]})`;
    const seen = arr(answer.seen);
    const [, h, w] = seen.shape;
    byId('seen-title').textContent = t('studio.seen', {size: `${h}×${w}`});
    byId('seen').setAttribute('aria-label', t('studio.seen', {size: `${h}×${w}`}));
    paintMap(byId('seen'), seen.data, h, w, {scale: Math.max(1, Math.floor(140 / w)), low: 0, high: 255});
    const bars = byId('bars');
    bars.replaceChildren();
    const p = arr(answer.probabilities).data;
    // beside the pad, so that a phone shows the answer without scrolling
    byId('quick').replaceChildren(el('span', {text: `${t('studio.prediction')}: `}),
      el('strong', {text: classes[answer.prediction]}),
      el('span', {class: 'muted', text: ` ${(100 * p[answer.prediction]).toFixed(1)}%`}));
    p.forEach((value, k) => {
      bars.append(el('div', {class: 'bar' + (k === answer.prediction ? ' top' : ''), 'data-class': classes[k]},
        el('span', {class: 'bar-label', text: classes[k]}),
        el('span', {class: 'bar-track'}, el('span', {class: 'bar-fill', style: `width:${(100 * value).toFixed(1)}%`})),
        el('span', {class: 'bar-value', text: `${(100 * value).toFixed(1)}%`})));
    });
  }
  onResult(state.result);
}

export function clear() {
  strokes = [];
  shownSample = null;
  state.image = null;
  repaint();
  sequence++;
  showResult(null);
}

async function loadSamples() {
  const first = byId('samples-first');
  const wrong = byId('samples-wrong');
  first.replaceChildren(); wrong.replaceChildren();
  try {
    const answer = await client.samples(state.model);
    byId('sample-info').textContent = answer.accuracy === undefined ? '' :
      `(${answer.dataset}, ${t('studio.test_accuracy')} ${(100 * answer.accuracy).toFixed(1)}%)`;
    for (const [list, box] of [[answer.first, first], [answer.wrong, wrong]]) {
      for (const sample of list) {
        const pixels = arr(sample.pixels);
        const name = `${t('studio.label')} ${sample.label}, ${t('studio.predicted_as', {p: sample.predicted})}`;
        const canvas = el('canvas', {class: 'thumb', 'data-index': sample.index, 'data-label': sample.label});
        paintMap(canvas, pixels.data, pixels.shape[0], pixels.shape[1], {scale: 2, low: 0, high: 255});
        box.append(el('button', {type: 'button', class: 'thumb-button', title: name, 'aria-label': name,
          'data-index': sample.index, onclick: () => pickSample(sample.index, canvas)}, canvas));
      }
    }
  } catch (error) {
    showError(error.message);
  }
}

function pickSample(index, thumb) {
  strokes = [];
  shownSample = thumb;
  repaint();
  state.image = {sample: index};
  predict();
}

export function init({onResult: callback}) {
  onResult = callback;
  const canvas = pad();
  canvas.addEventListener('pointerdown', (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    if (shownSample) { shownSample = null; strokes = []; }
    current = [point(event)];
    strokes.push(current);
    repaint();
  });
  canvas.addEventListener('pointermove', (event) => {
    if (!current) return;
    event.preventDefault();
    current.push(point(event));
    repaint();
    const now = performance.now();
    if (now - lastSent > 120 && state.pending === 0) {  // live while drawing, never piling up
      lastSent = now;
      state.image = canvasImage();
      predict();
    }
  });
  const end = () => {
    if (!current) return;
    current = null;
    state.image = canvasImage();
    predict();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  byId('clear').addEventListener('click', clear);
  byId('undo').addEventListener('click', () => {
    strokes.pop();
    repaint();
    state.image = canvasImage();
    predict();
  });
  byId('image-file').addEventListener('change', async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    strokes = []; shownSample = null; repaint();
    state.image = {file: await fileBase64(file)};
    event.target.value = '';
    predict();
  });
  repaint();
  showResult(null);
}

export function modelChanged() {
  loadSamples();
  if (state.image && state.image.sample !== undefined) clear();
  else predict();
}
