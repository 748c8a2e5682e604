// The studio as an anywidget view: the web page's own ES modules (serve/static/*.js, sent by the
// kernel in `_page`) run inside a shadow root holding index.html's markup and style.css. Each
// view loads its own copy of the modules from blob URLs, so that their module-level state
// (util.js `state`, the panels' own) is its own: two studios on one notebook page do not meet.
// Only the transport differs from the page: client.js's functions send custom messages to the
// kernel, which answers with the same JSON as the HTTP server (tatamikomi/widgets/__init__.py).

/** Seconds a call waits for the kernel's answer (a busy or dead kernel rejects, not hangs). */
const CALL_TIMEOUT = 120;

/** Blob URLs of the modules in `sources` ({name: text}), each one's `./x.js` imports pointed at
 * the blob URL of x.js: a fresh copy of the whole module graph. */
function moduleUrls(sources) {
  const urls = {};
  const url = (name) => {
    if (!(name in urls)) {
      const text = sources[name].replace(/(from\s+|import\s*\(\s*)'\.\/([\w-]+\.js)'/g,
        (match, head, dependency) => `${head}'${url(dependency)}'`);
      urls[name] = URL.createObjectURL(new Blob([text], {type: 'text/javascript'}));
    }
    return urls[name];
  };
  for (const name of Object.keys(sources)) url(name);
  return urls;
}

/** The page's style sheet for a shadow root: what it says of the page (`:root`, `body`) it says
 * of the widget's own box. */
function shadowStyle(css) {
  return css.replace(/:root\b/g, ':host').replace(/\bbody\b/g, '.studio-body') + `
:host { display: block; }
.studio-body { background: var(--paper); }
.studio-body.one-panel nav.tabs { display: none; }`;
}

/** client.js's functions over the widget's custom messages; `util` is this copy's util.js. */
function kernelClient(model, util) {
  const state = util.state;
  const view = Math.random().toString(36).slice(2);
  let next = 0;
  const waiting = new Map();
  const streams = new Map();
  const onMessage = (message) => {
    if (!message || message.view !== view) return;
    if (message.reply !== undefined && waiting.has(message.reply)) {
      const {resolve, reject, timer} = waiting.get(message.reply);
      waiting.delete(message.reply);
      clearTimeout(timer);
      if (message.error !== undefined) {
        const error = new Error(message.error);
        error.status = message.status;
        reject(error);
      } else {
        resolve(JSON.parse(message.json));
      }
    } else if (message.stream !== undefined && streams.has(message.stream)) {
      streams.get(message.stream)(JSON.parse(message.json));
    }
  };
  model.on('msg:custom', onMessage);
  const send = (call, args) => {
    const id = ++next;
    model.send({id, call, args, view, lang: state.lang});
    return id;
  };
  const call = (name) => (...args) => {
    state.pending += 1;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(util.t('studio.widget_no_answer', {seconds: CALL_TIMEOUT, call: name})));
      }, CALL_TIMEOUT * 1000);
      const id = send(name, args);
      waiting.set(id, {resolve, reject, timer});
    }).finally(() => { state.pending -= 1; });
  };
  const names = model.get('_page').calls;  // widgets.CALLS: what the kernel answers
  const client = Object.fromEntries(names.map((name) => [name, call(name)]));
  client.trainEvents = (after, onEvent) => {
    const id = send('trainEvents', [after]);
    streams.set(id, onEvent);
    return {close: () => { streams.delete(id); send('closeEvents', [id]); }};
  };
  return {client, close: () => model.off('msg:custom', onMessage)};
}

async function render({model, el}) {
  const host = document.createElement('div');
  host.className = 'tatamikomi-studio';
  el.append(host);
  const root = host.attachShadow({mode: 'open'});
  const page = model.get('_page');
  const panel = model.get('_panel');
  root.innerHTML = `<style>${shadowStyle(page.css)}</style>` +
    `<div class="studio-body${panel ? ' one-panel' : ''}">${page.markup}</div>`;
  const urls = moduleUrls(page.sources);
  let util, clientModule;
  try {
    util = await import(urls['util.js']);
    clientModule = await import(urls['client.js']);
  } catch (error) {  // a notebook front end that refuses scripts from blob URLs: say so
    el.replaceChildren(Object.assign(document.createElement('p'), {
      className: 'tatamikomi-unavailable', textContent: `${model.get('_unavailable')} (${error.message})`}));
    return () => {};
  }
  util.state.root = root;
  const transport = kernelClient(model, util);
  clientModule.replaceClient(transport.client);
  const app = await import(urls['app.js']);
  const draw = await import(urls['draw.js']);
  await app.ready;
  const lang = model.get('_lang');
  if (lang) root.querySelector(`#lang-${lang}`)?.click();
  if (panel) root.querySelector(`[data-tab="${panel}"]`)?.click();
  const onSelect = async (message) => {
    if (!message || message.select === undefined) return;
    await app.loadModels(message.select);
    root.querySelector('#model-select').dispatchEvent(new Event('change'));
  };
  model.on('msg:custom', onSelect);
  // a test image chosen from Python: the pad is cleared, the panels show the image
  const showSample = () => {
    const index = model.get('sample');
    if (index === null || index === undefined) return;
    draw.clear();
    util.state.image = {sample: index};
    draw.predict();
  };
  model.on('change:sample', showSample);
  showSample();
  host.dataset.ready = 'true';
  return () => {
    transport.close();
    model.off('msg:custom', onSelect);
    model.off('change:sample', showSample);
    for (const url of Object.values(urls)) URL.revokeObjectURL(url);
  };
}

export default {render};
