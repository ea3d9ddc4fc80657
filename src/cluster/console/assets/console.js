/* global document, window, EventSource, fetch, URLSearchParams, FormData, HTMLFormElement, CSS */
// The console page's script (the page works without it: forms post and come back with a
// message). It keeps the page live from the server's event stream (/live: sections of
// server-rendered, escaped HTML that changed) and sends operations without leaving the
// page. Loaded from /assets: the CSP forbids inline scripts and handlers.

const liveState = document.getElementById('live-state');
const flash = document.getElementById('flash');

function show(ok, text) {
  if (!flash) return;
  flash.className = `flash ${ok ? 'ok' : 'bad'}`;
  flash.textContent = text;
}

/** Replaces a section's markup, keeping what the user picked in its selects and where the focus was. */
function replaceKeeping(container, markup) {
  const picked = new Map();
  for (const select of container.querySelectorAll('select[id]')) picked.set(select.id, select.value);
  const active = document.activeElement;
  const focusKey = active && container.contains(active) ? `${active.closest('form')?.getAttribute('action') ?? ''}|${active.id || active.tagName}` : null;
  container.innerHTML = markup;
  for (const [id, value] of picked) {
    const select = document.getElementById(id);
    if (select && [...select.options].some((o) => o.value === value)) select.value = value;
  }
  if (focusKey) {
    const [action, key] = focusKey.split('|');
    const form = [...container.querySelectorAll('form')].find((f) => f.getAttribute('action') === action);
    const target = form && (form.querySelector(`#${CSS.escape(key)}`) ?? form.querySelector(key));
    target?.focus();
  }
}

function connect() {
  const source = new EventSource('/live');
  source.addEventListener('open', () => { if (liveState) liveState.textContent = 'on'; });
  source.addEventListener('sections', (event) => {
    const sections = JSON.parse(event.data);
    for (const [id, markup] of Object.entries(sections)) {
      const container = document.getElementById(id);
      if (container) replaceKeeping(container, markup);
    }
    if (liveState) liveState.textContent = `on (last change ${new Date().toLocaleTimeString()})`;
  });
  source.addEventListener('expired', () => {
    source.close();
    window.location.assign('/login');
  });
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) {
      if (liveState) liveState.textContent = 'disconnected; retrying in 5 s';
      window.setTimeout(connect, 5000);
    } else if (liveState) liveState.textContent = 'reconnecting';
  });
}

document.addEventListener('submit', async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.classList.contains('op')) return;
  event.preventDefault();
  const button = form.querySelector('button[type=submit]');
  if (button) button.disabled = true;
  show(true, `${button?.textContent ?? 'Request'}: sent`);
  try {
    const response = await fetch(form.getAttribute('action'), {
      method: 'POST', body: new URLSearchParams(new FormData(form)), headers: { Accept: 'application/json' }, credentials: 'same-origin',
    });
    const body = await response.json().catch(() => ({ error: `the node answered ${response.status}` }));
    if (response.status === 401) { window.location.assign('/login'); return; }
    show(response.ok, body.message ?? body.error ?? `the node answered ${response.status}`);
  } catch (err) {
    show(false, `the request did not reach the node: ${err.message}`);
  } finally {
    if (button) button.disabled = false;
  }
});

if (document.getElementById('groups')) connect();
