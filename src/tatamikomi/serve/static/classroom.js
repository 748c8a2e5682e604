// The student's page in a classroom (`tatamikomi serve --classroom`): joining with a nickname,
// the instructor's prompt, sending a labelled drawing to the class, the exercises, the class's
// events. The single-user studio never loads any of it (GET /api/strings says "classroom").

import {client} from './client.js';
import * as exercises from './exercises.js';
import * as training from './training.js';
import {applyStrings, byId, el, showError, state, t} from './util.js';

let me = null;            // {student, name}
let prompt = null;        // the latest prompt {id, text, digit}
let dismissed = null;     // the id of the prompt the student closed
let sendVerdict = null;   // the last drawing sent: {correct, prediction, digit}

/** Ask for a nickname until the server has a session for this browser; resolves to {student, name}. */
export async function join() {
  document.body.classList.add('classroom');
  try {
    me = await client.me();
  } catch (error) {
    if (error.status !== 401) throw error;
    me = await joinForm();
  }
  document.body.classList.remove('joining');
  byId('join').hidden = true;
  showMe();
  return me;
}

function joinForm() {
  document.body.classList.add('joining');
  const section = byId('join');
  section.hidden = false;
  const input = byId('join-name');
  input.focus();
  return new Promise((resolve) => {
    byId('join-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const name = input.value.trim();
      if (!name) return;
      try {
        const joined = await client.join(name);
        showError('');
        resolve(joined);
      } catch (error) {
        showError(error.message);
      }
    });
  });
}

function showMe() {
  byId('me').textContent = me ? t('studio.class_you_are', {name: me.name}) : '';
}

// -- the instructor's prompt --------------------------------------------------------------------

function showPrompt(next) {
  if (next && next.text) {
    const changed = !prompt || prompt.id !== next.id;
    prompt = next;
    if (changed && Number.isInteger(next.digit)) byId('send-digit').value = String(next.digit);
  }
  const box = byId('prompt');
  const visible = Boolean(prompt && prompt.text && prompt.id !== dismissed);
  box.hidden = !visible;
  byId('prompt-text').textContent = visible ? prompt.text : '';
}

// -- a labelled drawing for the class ----------------------------------------------------------

async function send(event) {
  event.preventDefault();
  const digit = Number(byId('send-digit').value);
  const image = state.image;
  if (!image || !(image.pixels || image.png)) { sendVerdict = {empty: true}; renderSend(); return; }
  try {
    const answer = await client.drawing({...image, digit, model: state.model});
    showError('');
    sendVerdict = {correct: answer.correct, prediction: answer.prediction, digit};
  } catch (error) {
    showError(error.message);
    sendVerdict = null;
  }
  renderSend();
}

function renderSend() {
  const box = byId('send-result');
  box.className = 'send-result';
  if (!sendVerdict) { box.textContent = ''; return; }
  if (sendVerdict.empty) { box.textContent = t('studio.class_send_empty'); return; }
  box.classList.add(sendVerdict.correct ? 'right' : 'wrong');
  box.textContent = sendVerdict.correct
    ? t('studio.class_send_right', {digit: sendVerdict.digit})
    : t('studio.class_send_wrong', {digit: sendVerdict.digit, prediction: sendVerdict.prediction});
}

// -- the class's events -------------------------------------------------------------------------

function listen() {
  client.events(0, (event) => {
    if (event.type === 'prompt') showPrompt(event);
    else if (event.type === 'queue') training.queueChanged();
    else if (event.type === 'class_run') training.classRunChanged(event.state);
  });
}

/** After joining: the prompt, the exercises, the class's events, the training's two views. */
export async function start() {
  byId('prompt-close').addEventListener('click', () => {
    dismissed = prompt ? prompt.id : null;
    showPrompt(null);
  });
  byId('send-form').addEventListener('submit', send);
  try { showPrompt(await client.prompt()); } catch (error) { showError(error.message); }
  await exercises.load();
  await training.initClassroom();
  listen();
}

/** The language changed: the texts made here, and the exercises' questions in it. */
export function relabel() {
  if (!document.body.classList.contains('classroom')) return;
  applyStrings(byId('join'));
  showMe();
  renderSend();
  modelChanged();
  if (me) exercises.load();
}

// -- keeping one's own models (the class bounds how many each student has) ----------------------

/** The model in use changed (or the list did): the Keep button for one's own models only. */
export function modelChanged() {
  if (!document.body.classList.contains('classroom')) return;
  const button = byId('model-pin');
  const model = state.models.find((m) => m.id === state.model);
  button.hidden = !model || model.shared !== false;
  if (button.hidden) return;
  button.setAttribute('aria-pressed', String(Boolean(model.pinned)));
  button.textContent = t(model.pinned ? 'studio.class_pinned' : 'studio.class_pin');
  button.title = t('studio.class_pin_help');
  button.onclick = async () => {
    try {
      const answer = await client.pin(model.id, !model.pinned);
      model.pinned = answer.pinned;
      modelChanged();
    } catch (error) {
      showError(error.message);
    }
  };
}
