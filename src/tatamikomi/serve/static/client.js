// The studio's one way to its server: every request of the panels and the training's event
// stream go through `client`, never through fetch or EventSource elsewhere. Another transport
// (a notebook widget talking to its kernel) gives the same functions to replaceClient().
// Each answer is the JSON the server sends (see docs/studio.md); a refusal rejects with an
// Error whose message is the server's, in the page's language.

import {state} from './util.js';

/** `path` with the page's language (the server says its refusals in it) as `?lang=`. */
function withLang(path) {
  return `${path}${path.includes('?') ? '&' : '?'}lang=${encodeURIComponent(state.lang)}`;
}

/**
 * GET `path` (no body) or POST `body` as JSON, with `headers` added; resolves to the answer, or
 * with `raw` to the Response itself. A refusal rejects with an Error whose `status` is the HTTP
 * status (401: not joined yet, in a classroom).
 */
async function request(path, body, headers = {}, raw = false) {
  state.pending += 1;
  try {
    const options = body === undefined ? {headers} : {
      method: 'POST', headers: {'Content-Type': 'application/json', ...headers}, body: JSON.stringify(body),
    };
    const response = await fetch(withLang(path), options);
    if (raw && response.ok) return response;
    let answer = {};
    try { answer = await response.json(); } catch (error) { answer = {}; }
    if (!response.ok) {
      const error = new Error(answer.error || response.statusText);
      error.status = response.status;
      throw error;
    }
    return answer;
  } finally {
    state.pending -= 1;
  }
}

/** `?run=class` for the class's shared run (`run` is 'class'), nothing for one's own. */
function runQuery(run, sep = '?') {
  return run ? `${sep}run=${encodeURIComponent(run)}` : '';
}

export const client = {
  /** {strings: {key: {lang: text}}, lang, languages: {code: own name}} */
  strings: () => request('/api/strings'),
  models: () => request('/api/models'),
  openModel: (body) => request('/api/models', body),
  samples: (model) => request(`/api/samples?model=${encodeURIComponent(model)}`),
  layers: (body) => request('/api/layers', body),
  explain: (body) => request('/api/explain', body),
  /** {prediction, probability, runner_up, maps: [{method, name, map (28x28 in 0..1), region, share}]} */
  why: (body) => request('/api/why', body),
  /** one cell of a layer's dx: {kind, layer, layers, dx, cell: {terms | windows, value}} */
  backward: (body) => request('/api/backward', body),
  playground: (body) => request('/api/playground', body),
  /** The own run's status, or with `run` 'class' the class's shared run (classroom). */
  trainStatus: (run) => request(`/api/train${runQuery(run)}`),
  train: (body) => request('/api/train', body),
  /** 'pause', 'resume' or 'stop' */
  trainCommand: (name) => request(`/api/train/${name}`, {}),
  /** Each event of the training run (`run` 'class': the class's) after `after`, to `onEvent(event)`; returns {close()}. */
  trainEvents(after, onEvent, run) {
    const source = new EventSource(withLang(`/api/train/events?after=${after}${runQuery(run, '&')}`));
    source.onmessage = (message) => onEvent(JSON.parse(message.data));
    return {close: () => source.close()};
  },

  /** every exercise {id, level, level_name, question, options, tries, solved} */
  exercises: () => request('/api/exercises'),
  /** {id, answer (the typed text), tries} -> {correct, tries, message, feedback?, hint?} (a
   * classroom counts the tries itself) */
  answer: (body) => request('/api/exercises/answer', body),

  // -- a classroom (tatamikomi serve --classroom): the student's own session ----------------
  /** {student, name} and the session cookie */
  join: (name) => request('/api/join', {name}),
  /** {student, name, classroom}; rejects with status 401 before joining */
  me: () => request('/api/me'),
  /** the latest prompt {text, digit, id} or {text: null} */
  prompt: () => request('/api/prompt'),
  /** Each class event after `after` (prompt, class_run, queue) to `onEvent(event)`; returns {close()}. */
  events(after, onEvent) {
    const source = new EventSource(withLang(`/api/events?after=${after}`));
    source.onmessage = (message) => onEvent(JSON.parse(message.data));
    return {close: () => source.close()};
  },
  /** a labelled drawing {pixels|png, digit, model} -> {prediction, probabilities, correct} */
  drawing: (body) => request('/api/drawings', body),
  /** keep one's own model (`pinned` true) or let it be released first when there are too many */
  pin: (id, pinned) => request(`/api/models/${encodeURIComponent(id)}/pin`, {pinned}),
};

/**
 * The instructor's client: every request carries `Authorization: Bearer TOKEN` (the token of
 * the instructor's address). The export answers a Blob (a download needs the header too).
 */
export function instructorClient(token) {
  const auth = {Authorization: `Bearer ${token}`};
  return {
    strings: () => request('/api/strings'),
    /** students, wall, confusion, misclassified, answers, runs, limits, prompt, urls, qr_svg */
    classroom: () => request('/api/class', undefined, auth),
    prompt: (text, digit) => request('/api/class/prompt', {text, digit}, auth),
    limits: (body) => request('/api/class/limits', body, auth),
    train: (body) => request('/api/class/train', body, auth),
    stop: (run) => request(`/api/class/runs/${encodeURIComponent(run)}/stop`, {}, auth),
    /** 'json' or 'csv': {blob, name} */
    async exportClass(format) {
      const response = await request(`/api/class/export${format === 'csv' ? '?format=csv' : ''}`, undefined, auth, true);
      const said = /filename="?([^";]+)"?/.exec(response.headers.get('Content-Disposition') || '');
      return {blob: await response.blob(), name: said ? said[1] : `class.${format}`};
    },
  };
}

/** Use another transport: an object with some or all of `client`'s functions. */
export function replaceClient(other) {
  Object.assign(client, other);
}
