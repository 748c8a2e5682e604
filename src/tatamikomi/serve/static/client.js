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

/** GET `path` (no body) or POST `body` as JSON; resolves to the answer. */
async function request(path, body) {
  state.pending += 1;
  try {
    const options = body === undefined ? {} : {
      method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body),
    };
    const response = await fetch(withLang(path), options);
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error || response.statusText);
    return answer;
  } finally {
    state.pending -= 1;
  }
}

export const client = {
  /** {strings: {key: {lang: text}}, lang, languages: {code: own name}} */
  strings: () => request('/api/strings'),
  models: () => request('/api/models'),
  openModel: (body) => request('/api/models', body),
  samples: (model) => request(`/api/samples?model=${encodeURIComponent(model)}`),
  layers: (body) => request('/api/layers', body),
  explain: (body) => request('/api/explain', body),
  playground: (body) => request('/api/playground', body),
  trainStatus: () => request('/api/train'),
  train: (body) => request('/api/train', body),
  /** 'pause', 'resume' or 'stop' */
  trainCommand: (name) => request(`/api/train/${name}`, {}),
  /** Each event of the training run after `after`, to `onEvent(event)`; returns {close()}. */
  trainEvents(after, onEvent) {
    const source = new EventSource(withLang(`/api/train/events?after=${after}`));
    source.onmessage = (message) => onEvent(JSON.parse(message.data));
    return {close: () => source.close()};
  },
};

/** Use another transport: an object with some or all of `client`'s functions. */
export function replaceClient(other) {
  Object.assign(client, other);
}
