// The instructor's page of a classroom (GET /instructor?token=SECRET): who has joined, the
// class's drawings, its confusion matrix, the exercise answers, the runs and the limits, the
// prompt, the export. The token is kept in sessionStorage (not in the address bar); the page
// asks GET /api/class every 2 seconds, one request at a time, through client.js.

import {instructorClient} from './client.js';
import {applyStrings, el, paintMap, showError, state, t} from './util.js';

const TOKEN_KEY = 'tatamikomi-instructor-token';
const POLL_MS = 2000;
let api = null;
let last = null;            // the last GET /api/class answer
const shown = {};           // section -> the JSON it was last drawn from (drawn again only on change)

/** The token from ?token= (then removed from the address bar) or from this tab's sessionStorage. */
function takeToken() {
  const params = new URLSearchParams(location.search);
  const given = params.get('token');
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', `${location.pathname}${rest ? `?${rest}` : ''}${location.hash}`);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function changed(section, value) {
  const json = JSON.stringify([value, state.lang]);
  if (shown[section] === json) return false;
  shown[section] = json;
  return true;
}

function percent(value) {
  return `${(100 * value).toFixed(0)}%`;
}

/** A 28x28 drawing (rows of 0..255, light digit on black) as a canvas. */
function drawing(seen, scale = 3) {
  const canvas = el('canvas', {class: 'seen-tile'});
  const rows = Array.isArray(seen) ? seen : [];
  const h = rows.length, w = h ? rows[0].length : 0;
  if (h && w) paintMap(canvas, rows.flat(), h, w, {scale, low: 0, high: 255});
  return canvas;
}

function tile(item, {digit = false} = {}) {
  const verdict = digit
    ? t('studio.class_tile_wrong', {digit: item.digit, prediction: item.prediction, confidence: percent(item.confidence)})
    : t('studio.class_tile', {prediction: item.prediction, confidence: percent(item.confidence)});
  return el('figure', {class: 'tile', 'data-student': item.student || '', 'data-testid': 'tile'},
    drawing(item.seen),
    el('figcaption', {},
      el('span', {class: 'tile-name', text: item.name}),
      el('span', {class: 'tile-guess', text: verdict})));
}

// -- each section -------------------------------------------------------------------------------

function renderJoin(data) {
  if (!changed('join', [data.urls, data.qr_svg])) return;
  const urls = data.urls || {};
  document.getElementById('student-url').textContent = urls.student || '';
  // the QR code is the server's own SVG (made from the student URL, nothing from the internet)
  document.getElementById('qr').innerHTML = data.qr_svg || '';
  const others = urls.others || [];
  document.getElementById('other-urls-title').hidden = !others.length;
  document.getElementById('other-urls').replaceChildren(...others.map((url) => el('li', {text: url})));
}

function renderStudents(data) {
  const students = data.students || [];
  document.getElementById('class-count').textContent = t('studio.class_joined', {count: students.length});
  if (!changed('students', students.map((s) => s.name))) return;
  document.getElementById('student-count').textContent = `(${students.length})`;
  document.getElementById('students').replaceChildren(...students.map((s) => el('li', {text: s.name})));
}

function renderPrompt(data) {
  const prompt = data.prompt || {};
  document.getElementById('prompt-now').textContent = prompt.text
    ? (Number.isInteger(prompt.digit) ? `${prompt.text} (${prompt.digit})` : prompt.text) : t('studio.class_none');
}

function renderWall(data) {
  const wall = data.wall || [];
  if (!changed('wall', wall)) return;
  const box = document.getElementById('wall');
  box.replaceChildren(...(wall.length ? wall.map((item) => tile(item)) : [el('p', {class: 'muted', text: t('studio.class_wall_empty')})]));
}

function renderConfusion(data) {
  const matrix = data.confusion || [];
  if (!changed('confusion', matrix)) return;
  const most = Math.max(1, ...matrix.flat());
  const head = el('tr', {}, el('th', {scope: 'col', class: 'corner', text: t('studio.class_drawn_predicted')}),
    ...matrix.map((_, k) => el('th', {scope: 'col', text: k})));
  const rows = matrix.map((row, drawn) => el('tr', {}, el('th', {scope: 'row', text: drawn}),
    ...row.map((count, predicted) => {
      const cell = el('td', {text: count || '', 'data-drawn': drawn, 'data-predicted': predicted});
      if (count) {
        const strength = 0.15 + 0.85 * count / most;
        cell.style.background = drawn === predicted ? `rgba(4, 120, 87, ${strength})` : `rgba(185, 28, 28, ${strength})`;
        if (strength > 0.55) cell.style.color = '#fff';
      }
      return cell;
    })));
  document.getElementById('confusion').replaceChildren(
    el('table', {class: 'confusion'}, el('thead', {}, head), el('tbody', {}, ...rows)));
}

function renderMisclassified(data) {
  const wrong = data.misclassified || [];
  if (!changed('misclassified', wrong)) return;
  document.getElementById('misclassified').replaceChildren(...(wrong.length
    ? wrong.map((item) => tile(item, {digit: true}))
    : [el('p', {class: 'muted', text: t('studio.class_none')})]));
}

function renderAnswers(data) {
  const answers = data.answers || {};
  if (!changed('answers', answers)) return;
  const rows = Object.entries(answers).map(([id, a]) => el('tr', {'data-exercise': id},
    el('td', {class: 'question', text: a.question}),
    el('td', {class: 'num right', text: a.right}),
    el('td', {class: 'num wrong', text: a.wrong}),
    el('td', {class: 'common', text: (a.common_wrong || []).map(([given, count]) => `${given} (×${count})`).join(', ') || '—'})));
  document.getElementById('answers').replaceChildren(rows.length ? el('table', {class: 'answers'},
    el('thead', {}, el('tr', {},
      el('th', {scope: 'col', text: t('studio.class_question_col')}), el('th', {scope: 'col', text: t('studio.class_right')}),
      el('th', {scope: 'col', text: t('studio.class_wrong')}), el('th', {scope: 'col', text: t('studio.class_common_wrong')}))),
    el('tbody', {}, ...rows)) : el('p', {class: 'muted', text: t('studio.class_none')}));
}

const RUN_STATES = {
  queued: 'studio.class_state_waiting', loading: 'studio.state_loading', running: 'studio.state_running',
  paused: 'studio.state_paused', stopping: 'studio.state_stopping', finished: 'studio.state_finished',
  stopped: 'studio.state_stopped', failed: 'studio.state_failed', idle: 'studio.state_idle',
};

function renderRuns(data) {
  const runs = data.runs || [];
  if (!changed('runs', runs)) return;
  const box = document.getElementById('runs');
  if (!runs.length) { box.replaceChildren(el('p', {class: 'muted', text: t('studio.class_no_runs')})); return; }
  const rows = runs.map((run) => {
    const active = ['queued', 'loading', 'running', 'paused'].includes(run.state);
    let where = t(RUN_STATES[run.state] || 'studio.state_idle');
    if (run.state === 'queued' && run.queue) where += ` (${run.queue})`;
    const options = run.options || {};
    const stop = el('button', {type: 'button', class: 'stop', 'data-run': run.run, text: t('studio.stop'),
      'aria-label': `${t('studio.stop')}: ${run.name || run.run}`, onclick: () => stopRun(run.run)});
    if (!active) stop.disabled = true;
    const what = [options.model, options.dataset].filter((x) => typeof x === 'string').join(', ');
    return el('tr', {'data-run': run.run},
      el('td', {}, el('span', {class: 'run-who', text: run.name || t('studio.class_the_class')}),
        what ? el('span', {class: 'run-what muted', text: what}) : null),
      el('td', {class: 'run-state', text: where}),
      el('td', {class: 'num', text: run.epochs ? `${run.epoch ?? 0}/${run.epochs}` : ''}),
      el('td', {}, stop));
  });
  box.replaceChildren(el('table', {class: 'runs'},
    el('thead', {}, el('tr', {},
      el('th', {scope: 'col', text: t('studio.class_who')}), el('th', {scope: 'col', text: t('studio.class_state')}),
      el('th', {scope: 'col', text: t('studio.epoch')}), el('th', {scope: 'col', text: ''}))),
    el('tbody', {}, ...rows)));
}

function renderLimits(data) {
  const limits = data.limits || {};
  if (!changed('limits', limits)) return;
  for (const [name, value] of Object.entries(limits)) {
    const input = document.getElementById(`lim-${name}`);
    if (input && document.activeElement !== input) input.value = value;
  }
}

function render() {
  if (!last) return;
  renderJoin(last); renderStudents(last); renderPrompt(last); renderWall(last);
  renderConfusion(last); renderMisclassified(last); renderAnswers(last); renderRuns(last); renderLimits(last);
}

// -- actions --------------------------------------------------------------------------------

async function act(work) {
  try {
    await work();
    showError('');
    await refresh();
  } catch (error) {
    showError(error.message);
  }
}

function stopRun(run) {
  return act(() => api.stop(run));
}

async function download(format) {
  try {
    const {blob, name} = await api.exportClass(format);
    const url = URL.createObjectURL(blob);
    const link = el('a', {href: url, download: name});
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    showError('');
  } catch (error) {
    showError(error.message);
  }
}

// -- polling --------------------------------------------------------------------------------

let polling = null;   // the request in flight: a new poll waits for it

async function refresh() {
  if (polling) return polling;
  polling = (async () => {
    try {
      last = await api.classroom();
      document.getElementById('no-token').hidden = true;
      document.getElementById('instructor').hidden = false;
      render();
      document.getElementById('updated').textContent = t('studio.class_updated', {time: new Date().toLocaleTimeString(state.lang)});
    } catch (error) {
      if (error.status === 401 || error.status === 403) {
        document.getElementById('no-token').hidden = false;
        document.getElementById('instructor').hidden = true;
      }
      showError(error.message);
    } finally {
      polling = null;
    }
  })();
  return polling;
}

async function poll() {
  await refresh();
  setTimeout(poll, POLL_MS);  // the next one only after this one has answered
}

function setLanguage(lang) {
  state.lang = lang;
  localStorage.setItem('tatamikomi-lang', lang);
  for (const button of document.querySelectorAll('[data-lang]')) button.classList.toggle('active', button.dataset.lang === lang);
  applyStrings();
  render();
  if (api && last) refresh();  // the questions and refusals come in the page's language
}

async function main() {
  const token = takeToken();
  api = instructorClient(token || '');
  const strings = await api.strings();
  state.strings = strings.strings;
  document.getElementById('languages').replaceChildren(...Object.entries(strings.languages).map(
    ([code, name]) => el('button', {type: 'button', id: `lang-${code}`, 'data-lang': code, onclick: () => setLanguage(code)}, name)));
  state.lang = new URLSearchParams(location.search).get('lang') || localStorage.getItem('tatamikomi-lang') || strings.lang;
  if (!(state.lang in strings.languages)) state.lang = strings.lang;
  setLanguage(state.lang);
  if (!token) {
    document.getElementById('no-token').hidden = false;
    document.body.dataset.ready = 'true';
    return;
  }
  document.getElementById('prompt-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = document.getElementById('prompt-input').value.trim();
    const digit = document.getElementById('prompt-digit').value;
    if (text) act(() => api.prompt(text, digit === '' ? null : Number(digit)));
  });
  document.getElementById('class-train').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    act(() => api.train({model: form.get('model'), dataset: form.get('dataset'), epochs: Number(form.get('epochs'))}));
  });
  document.getElementById('limits-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const body = {};
    for (const [name, value] of form.entries()) if (value !== '') body[name] = name === 'dataset' ? value : Number(value);
    act(() => api.limits(body));
  });
  document.getElementById('export-json').addEventListener('click', () => download('json'));
  document.getElementById('export-csv').addEventListener('click', () => download('csv'));
  await poll();
  document.body.dataset.ready = 'true';
}

main().catch((error) => showError(error.message));
