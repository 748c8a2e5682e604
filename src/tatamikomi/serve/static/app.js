// The studio's page: strings, language, models, tabs; the panels live in their own modules
// (draw, network, playground, training) and reach the server only through client.js.

import * as backward from './backward.js';
import * as classroom from './classroom.js';
import * as draw from './draw.js';
import * as exercises from './exercises.js';
import * as network from './network.js';
import * as playground from './playground.js';
import * as training from './training.js';
import * as why from './why.js';
import {client} from './client.js';
import {applyStrings, byId, el, fileBase64, showError, state} from './util.js';

/** Fill the model list; select `select` (an id) if given. */
export async function loadModels(select = null) {
  const answer = await client.models();
  state.models = answer.models;
  const box = byId('model-select');
  box.replaceChildren(...state.models.map((m) => {
    const option = document.createElement('option');
    option.value = m.id;
    option.textContent = m.test_accuracy ? `${m.name} · ${(100 * m.test_accuracy).toFixed(1)}%` : m.name;
    return option;
  }));
  if (select) state.model = select;
  if (!state.models.some((m) => m.id === state.model)) state.model = state.models.length ? state.models[0].id : null;
  box.value = state.model;
  classroom.modelChanged();
  return state.models;
}

function setLanguage(lang) {
  state.lang = lang;
  localStorage.setItem('tatamikomi-lang', lang);
  for (const button of state.root.querySelectorAll('[data-lang]')) button.classList.toggle('active', button.dataset.lang === lang);
  applyStrings();
  classroom.relabel();
  if (!panelsReady) return;  // a classroom's join form, before the studio's panels exist
  draw.relabel();
  network.render();
  network.showExplain();
  backward.render();
  playground.update();
  training.render();
  if (!isClassroom) exercises.load();  // the questions in the new language (a class: classroom.js)
}

let panelsReady = false;
let isClassroom = false;

function showTab(name) {
  for (const button of state.root.querySelectorAll('[data-tab]')) {
    const on = button.dataset.tab === name;
    button.classList.toggle('active', on);
    button.setAttribute('aria-selected', String(on));
    button.tabIndex = on ? 0 : -1;  // roving: Tab reaches the selected tab, arrows the others
  }
  for (const section of state.root.querySelectorAll('.tab')) section.classList.toggle('active', section.id === `tab-${name}`);
  if (name === 'network') { network.render(); backward.update(); }
}

/** The tab list's keys (WAI-ARIA tabs): Left/Right move and select, Home/End the ends. */
function tabKeys(event) {
  const tabs = [...state.root.querySelectorAll('[data-tab]')].filter((b) => b.offsetParent !== null);
  const at = tabs.indexOf(event.target);
  if (at < 0) return;
  const next = {ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1}[event.key];
  if (next === undefined) return;
  event.preventDefault();
  const tab = tabs[(next + tabs.length) % tabs.length];
  showTab(tab.dataset.tab);
  tab.focus();
}

/** The top element that the page-level classes go on: the page's body, or the widget's host. */
function top() {
  return state.root.body || state.root.host || state.root;
}

function setLargeText(on) {
  top().classList.toggle('large-text', on);
  byId('large-text').setAttribute('aria-pressed', String(on));
  localStorage.setItem('tatamikomi-large-text', on ? '1' : '0');
}

/** A button that opens a hidden file input (a label around a hidden input is not focusable). */
function fileButton(buttonId, inputId) {
  byId(buttonId).addEventListener('click', () => byId(inputId).click());
}

/** One button per language the server has a catalog for ({code: its own name}). */
function languageButtons(languages) {
  byId('languages').replaceChildren(...Object.entries(languages).map(
    ([code, name]) => el('button', {type: 'button', id: `lang-${code}`, 'data-lang': code}, name)));
}

async function main() {
  const strings = await client.strings();
  state.strings = strings.strings;
  languageButtons(strings.languages);
  state.lang = new URLSearchParams(location.search).get('lang') || localStorage.getItem('tatamikomi-lang') || strings.lang;
  if (!(state.lang in strings.languages)) state.lang = strings.lang;
  for (const button of state.root.querySelectorAll('[data-lang]')) button.addEventListener('click', () => setLanguage(button.dataset.lang));
  setLanguage(state.lang);  // the texts only: the panels come after
  setLargeText(localStorage.getItem('tatamikomi-large-text') === '1');
  byId('large-text').addEventListener('click', () => setLargeText(!top().classList.contains('large-text')));
  if (strings.classroom) await classroom.join();  // a nickname first, then the studio
  await loadModels();
  draw.init({onResult: () => {
    why.update();
    if (byId('tab-network').classList.contains('active')) { network.render(); backward.update(); }
  }});
  network.init();
  backward.init();
  playground.init();
  await training.init({onSaved: async (id, use) => {
    const models = await loadModels(use ? id : state.model);
    if (use) { draw.modelChanged(); network.reset(); backward.reset(); showTab('draw'); }
    return models;
  }});
  for (const button of state.root.querySelectorAll('[data-tab]')) button.addEventListener('click', () => showTab(button.dataset.tab));
  state.root.querySelector('[role=tablist]').addEventListener('keydown', tabKeys);
  fileButton('model-file-button', 'model-file');
  fileButton('image-file-button', 'image-file');
  panelsReady = true;
  isClassroom = Boolean(strings.classroom);
  if (isClassroom) await classroom.start();
  else await exercises.load();
  byId('model-select').addEventListener('change', async (event) => {
    state.model = event.target.value;
    classroom.modelChanged();
    network.reset();
    backward.reset();
    draw.modelChanged();
  });
  byId('model-file').addEventListener('change', async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    try {
      const body = file.name.endsWith('.json')
        ? {spec: JSON.parse(await file.text()), name: file.name}
        : {file: await fileBase64(file), name: file.name};
      const added = await client.openModel(body);
      await loadModels(added.id);
      network.reset();
      backward.reset();
      draw.modelChanged();
    } catch (error) {
      showError(error.message);
    }
    event.target.value = '';
  });
  setLanguage(state.lang);
  draw.modelChanged();
  document.body.dataset.ready = 'true';
}

/** Settles once the studio is set up (a notebook widget waits for it). */
export const ready = main().catch((error) => showError(error.message));
