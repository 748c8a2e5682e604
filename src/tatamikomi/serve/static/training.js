// "Training": start a run, stream its loss and accuracy (Server-Sent Events), watch the first
// layer's filters change, pause, resume, stop; the model file is saved by the trainer.

import {client} from './client.js';
import {arr, byId, el, fmt, paintMap, showError, state, t} from './util.js';

let source = null;
let losses = [];          // [step, loss]
let epochs = [];
let runState = 'idle';
let view = null;          // the run shown: null the own one, 'class' the class's shared run (classroom)
let queue = null;         // the own run's place in the queue while it waits for a core (1 = next)
// each state the run can be in, and its label
const STATE_LABELS = {
  idle: 'studio.state_idle', loading: 'studio.state_loading', running: 'studio.state_running',
  paused: 'studio.state_paused', stopping: 'studio.state_stopping', finished: 'studio.state_finished',
  stopped: 'studio.state_stopped', failed: 'studio.state_failed', queued: 'studio.class_state_queued',
};
const ACTIVE = ['queued', 'loading', 'running', 'paused', 'stopping'];
let saved = null;
let filters = null;
let onSaved = () => {};

function setState(next, place = null) {
  runState = next in STATE_LABELS ? next : 'idle';
  queue = place;
  const active = ACTIVE.includes(next);
  const watching = view !== null;  // the class's run: watched, not steered
  byId('train-start').disabled = active || watching;
  byId('train-pause').disabled = watching || next !== 'running';
  byId('train-resume').disabled = watching || next !== 'paused';
  byId('train-stop').disabled = watching || !active || next === 'stopping';
  renderState();
}

function renderState(error) {
  const last = losses.length ? losses[losses.length - 1] : null;
  let text = runState === 'queued' ? t('studio.class_state_queued', {k: queue ?? '…'}) : t(STATE_LABELS[runState]);
  if (last && runState !== 'idle') text += ` · ${t('studio.step_n')} ${last[0]} · ${t('studio.loss')} ${fmt(last[1])}`;
  if (error) text += ` · ${error}`;
  byId('train-state').textContent = text;
  const box = byId('train-saved');
  box.hidden = !saved;
  if (saved) {
    box.replaceChildren(el('span', {text: t('studio.saved_as', {name: saved.name}) + ' '}),
      saved.id ? el('button', {type: 'button', text: t('studio.use_model'), onclick: () => onSaved(saved.id, true)}) : null);
  }
}

// the charts' plot area in their viewBox: the labels live outside it, so no curve crosses them
const PLOT = {left: 46, right: 394, top: 8, bottom: 138};
const ACC = {top: 6, bottom: 94};

function svgEl(tag, attrs, text = null) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== null) node.textContent = text;
  return node;
}

/** Round loss values for a log axis between lo and hi: 1, 2, 5 times powers of ten. */
function logTicks(lo, hi) {
  const ticks = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v);
    }
  }
  return ticks.length > 6 ? ticks.filter((v) => Math.abs(Math.log10(v) % 1) < 1e-9) : ticks;
}

/** Vertical lines where each epoch ended, labelled with its number (where there is room). */
function epochTicks(group, x, top, bottom, labelY) {
  let lastLabel = -Infinity;
  for (const [n, position] of epochEnds(x)) {
    group.append(svgEl('line', {x1: position, x2: position, y1: top, y2: bottom, class: 'epoch-line'}));
    if (position - lastLabel < 22) continue;
    group.append(svgEl('text', {x: position, y: labelY, class: 'tick middle'}, String(n)));
    lastLabel = position;
  }
}

let ends = [];   // [epoch, the last step of that epoch]

function epochEnds(x) {
  return ends.map(([n, step]) => [n, x(step)]);
}

function renderCurve() {
  const svg = byId('loss-curve');
  const line = svg.querySelector('polyline');
  const axes = svg.querySelector('.axes');
  axes.replaceChildren();
  if (!losses.length) {
    line.setAttribute('points', ''); svg.dataset.points = '0';
    svg.setAttribute('aria-label', t('studio.loss_chart_empty'));
    return;
  }
  const maxStep = Math.max(...losses.map((p) => p[0]), 1);
  const values = losses.map((p) => Math.max(p[1], 1e-4));
  let lo = Math.min(...values), hi = Math.max(...values);
  if (hi / lo < 2) { lo /= 1.5; hi *= 1.5; }
  const x = (step) => PLOT.left + (PLOT.right - PLOT.left) * step / maxStep;
  // a log axis: a first loss of 7 no longer flattens the rest of the curve
  const y = (v) => PLOT.bottom - (PLOT.bottom - PLOT.top) * Math.log(v / lo) / Math.log(hi / lo);
  for (const v of logTicks(lo, hi)) {
    axes.append(svgEl('line', {x1: PLOT.left, x2: PLOT.right, y1: y(v), y2: y(v), class: 'grid-line'}));
    axes.append(svgEl('text', {x: PLOT.left - 5, y: y(v) + 3.5, class: 'tick end'}, fmt(v)));
  }
  axes.append(svgEl('line', {x1: PLOT.left, x2: PLOT.right, y1: PLOT.bottom, y2: PLOT.bottom, class: 'axis'}));
  epochTicks(axes, x, PLOT.top, PLOT.bottom, PLOT.bottom + 13);
  axes.append(svgEl('text', {x: PLOT.right, y: 166, class: 'tick end'}, `${t('studio.step_n')} ${maxStep}`));
  axes.append(svgEl('text', {x: PLOT.left, y: 166, class: 'tick'}, ends.length ? t('studio.epoch_ticks') : ''));
  line.setAttribute('points', losses.map(([s], k) => `${x(s).toFixed(1)},${y(values[k]).toFixed(1)}`).join(' '));
  svg.dataset.points = String(losses.length);
  const last = losses[losses.length - 1];
  svg.setAttribute('aria-label', t('studio.loss_chart_label', {steps: maxStep, first: fmt(losses[0][1]), last: fmt(last[1])}));
}

function renderAccuracy() {
  const svg = byId('accuracy-curve');
  for (const old of svg.querySelectorAll('circle')) old.remove();
  const total = Math.max(epochs.length, 1);
  const x = (epoch) => (epochs.length === 1 ? (PLOT.left + PLOT.right) / 2 : PLOT.left + 6 + (PLOT.right - PLOT.left - 12) * (epoch - 1) / (total - 1));
  const y = (accuracy) => ACC.bottom - (ACC.bottom - ACC.top) * accuracy;
  const axes = svg.querySelector('.axes');
  axes.replaceChildren();
  let lastLabel = -Infinity;
  for (const e of epochs) {
    if (x(e.epoch) - lastLabel < 22) continue;
    axes.append(svgEl('text', {x: x(e.epoch), y: 107, class: 'tick middle'}, String(e.epoch)));
    lastLabel = x(e.epoch);
  }
  const last = epochs[epochs.length - 1];
  svg.setAttribute('aria-label', last ? t('studio.accuracy_chart_label', {epoch: last.epoch,
    train: `${(100 * last.train_acc).toFixed(1)}%`, test: `${(100 * last.test_acc).toFixed(1)}%`}) : t('studio.accuracy_chart_empty'));
  for (const key of ['train_acc', 'test_acc']) {
    const cls = key === 'train_acc' ? 'train' : 'test';
    svg.querySelector(`polyline.${cls}`).setAttribute('points',
      epochs.map((e) => `${x(e.epoch).toFixed(1)},${y(e[key]).toFixed(1)}`).join(' '));
    for (const e of epochs) {
      const dot = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
      dot.setAttribute('cx', x(e.epoch)); dot.setAttribute('cy', y(e[key])); dot.setAttribute('r', 3);
      dot.setAttribute('class', cls);
      svg.append(dot);
    }
  }
}

function renderEpochs() {
  renderAccuracy();
  const body = state.root.querySelector('#epochs tbody');
  body.replaceChildren(...epochs.map((e) => el('tr', {},
    el('td', {text: e.epoch}), el('td', {text: e.loss.toFixed(4)}),
    el('td', {text: `${(100 * e.train_acc).toFixed(2)}%`}), el('td', {text: `${(100 * e.test_acc).toFixed(2)}%`}))));
}

function renderFilters() {
  const title = byId('filters-title');
  const box = byId('filters');
  if (!filters) { title.textContent = t('studio.first_filters', {layer: '—'}); box.replaceChildren(); return; }
  title.textContent = t('studio.first_filters', {layer: filters.layer});
  const w = arr(filters.weights);
  const [n, c, fh, fw] = w.shape;
  box.replaceChildren();
  for (let k = 0; k < n; k++) {
    const canvas = el('canvas', {class: 'filter', role: 'img', 'aria-label': `${t('studio.filter')} ${k}`});
    paintMap(canvas, w.data, fh, fw, {offset: k * c * fh * fw, scale: Math.max(2, Math.floor(40 / fw)), signed: true});
    box.append(canvas);
  }
}

function listen() {
  if (source) source.close();
  const mine = client.trainEvents(0, async (event) => {
    if (source !== mine) return;  // another run is shown now
    if (event.type === 'step') { losses.push([event.step, event.loss]); renderCurve(); renderState(); }
    else if (event.type === 'epoch') {
      epochs.push(event);
      ends.push([event.epoch, losses.length ? losses[losses.length - 1][0] : 0]);
      renderEpochs(); renderCurve();
    }
    else if (event.type === 'filters') { filters = event; renderFilters(); }
    else if (event.type === 'state') {
      // a state event says "queued" without the place: kept from the status, else asked for
      setState(event.state, event.queue ?? (event.state === 'queued' ? queue : null));
      if (event.state === 'queued' && queue === null) queueChanged();
      if (event.state === 'running') onSaved(null, false).catch((error) => showError(error.message));  // "training" joins the models
      if (event.state === 'failed') renderState(event.error);
      if (['finished', 'stopped', 'failed'].includes(event.state)) {
        mine.close(); source = null;
        if (event.saved) {
          const models = await onSaved(null, false);
          const found = models.find((m) => m.name === event.saved);
          saved = {name: event.saved, id: found ? found.id : null};
          renderState();
        }
      }
    }
  }, view);
  source = mine;
}

async function start(event) {
  event.preventDefault();
  const form = new FormData(byId('train-form'));
  const body = {dataset: form.get('dataset'), epochs: Number(form.get('epochs')),
    batch_size: Number(form.get('batch_size')), optimizer: form.get('optimizer'),
    lr: Number(form.get('lr')), seed: Number(form.get('seed'))};
  if (form.get('model') === 'spec') {
    try { body.model = JSON.parse(form.get('spec')); } catch (error) { showError(`${t('studio.spec')}: ${error.message}`); return; }
  } else body.model = form.get('model');
  losses = []; epochs = []; ends = []; saved = null; filters = null;
  renderCurve(); renderEpochs(); renderFilters();
  try {
    const answer = await client.train(body);
    showError('');
    setState(answer.state === 'queued' ? 'queued' : 'loading', answer.queue ?? null);
    listen();
  } catch (error) {
    showError(error.message);
  }
}

async function command(name) {
  try { await client.trainCommand(name); } catch (error) { showError(error.message); }
}

export function render() {
  renderState(); renderFilters(); renderClassRun(); renderCurve(); renderAccuracy();
}

// -- a classroom: the place in the queue, and the class's shared run -------------------------

let classRunState = null;

function renderClassRun() {
  const box = byId('class-run-state');
  box.textContent = classRunState && classRunState !== 'idle'
    ? t('studio.class_run_state', {state: t(STATE_LABELS[classRunState] || 'studio.state_idle')}) : '';
  byId('view-own').classList.toggle('active', view === null);
  byId('view-class').classList.toggle('active', view === 'class');
  byId('view-own').setAttribute('aria-pressed', String(view === null));
  byId('view-class').setAttribute('aria-pressed', String(view === 'class'));
}

/** Show the own run (null) or the class's ('class'): its history from the start, then live. */
export async function showRun(which) {
  if (source) { source.close(); source = null; }
  view = which;
  losses = []; epochs = []; ends = []; saved = null; filters = null;
  for (const id of ['train-start', 'train-pause', 'train-resume', 'train-stop']) {
    byId(id).disabled = true;  // until the status of the run now shown arrives
  }
  renderCurve(); renderEpochs(); renderFilters(); renderClassRun();
  try {
    const status = await client.trainStatus(view);
    if (view !== which) return;
    setState(status.state, status.queue ?? null);
    if (which === 'class') classRunState = status.state;
    renderClassRun();
    if (ACTIVE.includes(status.state) || status.last_event > 0) listen();
  } catch (error) {
    showError(error.message);
  }
}

/** Something changed in the queue: the own run's place, asked again while it waits. */
export async function queueChanged() {
  if (view !== null || runState !== 'queued') return;
  try {
    const status = await client.trainStatus();
    if (view === null) setState(status.state, status.queue ?? null);
  } catch (error) {
    showError(error.message);
  }
}

/** The class's run changed state (a class event): said above the panel, and shown if watched. */
export function classRunChanged(next) {
  classRunState = next;
  renderClassRun();
  if (view === 'class' && !source && ACTIVE.includes(next)) showRun('class');
}

/** In a classroom: the two views' buttons, and whether the class's run is on now. */
export async function initClassroom() {
  byId('view-own').addEventListener('click', () => showRun(null));
  byId('view-class').addEventListener('click', () => showRun('class'));
  try {
    const status = await client.trainStatus('class');
    classRunState = status.state;
  } catch (error) {
    classRunState = null;
  }
  renderClassRun();
}

export async function init({onSaved: callback}) {
  onSaved = callback;
  byId('train-form').addEventListener('submit', start);
  byId('train-pause').addEventListener('click', () => command('pause'));
  byId('train-resume').addEventListener('click', () => command('resume'));
  byId('train-stop').addEventListener('click', () => command('stop'));
  const model = byId('train-model');
  model.addEventListener('change', () => {
    byId('train-spec').hidden = model.value !== 'spec';
    state.root.querySelector('#train-form [name=lr]').value = model.value === 'SimpleConvNet' ? '0.003' : '0.001';
  });
  setState('idle');
  renderFilters();
  const status = await client.trainStatus();   // a run started before the page was opened
  if (ACTIVE.includes(status.state)) { setState(status.state, status.queue ?? null); listen(); }
}
