/* global document, window */
// Progressive enhancement for the server-rendered pages (the pages work without it):
// "select all" in the message list, and a confirmation before destructive forms.
// Loaded as a module from /assets; the CSP forbids inline scripts and handlers.

for (const box of document.querySelectorAll('input[data-select-all]')) {
  box.addEventListener('change', () => {
    const form = box.closest('form');
    if (!form) return;
    for (const item of form.querySelectorAll('input[type=checkbox][name=uid]')) item.checked = box.checked;
  });
}

for (const form of document.querySelectorAll('form.confirm')) {
  form.addEventListener('submit', (event) => {
    const label = form.querySelector('button[type=submit]')?.textContent ?? 'Do this';
    if (!window.confirm(`${label}: are you sure?`)) event.preventDefault();
  });
}

for (const button of document.querySelectorAll('button[name=op][value=delete]')) {
  button.addEventListener('click', (event) => {
    const form = button.closest('form');
    const picked = form ? form.querySelectorAll('input[name=uid]:checked, input[type=hidden][name=uid]').length : 0;
    if (picked === 0) return;
    if (!window.confirm(`Delete ${picked} message(s)?`)) event.preventDefault();
  });
}
