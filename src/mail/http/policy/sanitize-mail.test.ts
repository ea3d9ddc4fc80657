// Hostile HTML samples: nothing that can run, load or submit survives the sanitizer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sanitizeMailHtml, textToHtml } from './sanitize-mail.ts';
import { HOSTILE_SAMPLES, FORBIDDEN_PATTERNS } from './hostile-samples.ts';

const opts = { allowRemote: false, cidUrl: (cid: string) => `/mail/cid?cid=${encodeURIComponent(cid)}` };

for (const [name, sample] of Object.entries(HOSTILE_SAMPLES)) {
  test(`sanitizeMailHtml() removes every active part of: ${name}`, () => {
    for (const allowRemote of [false, true]) {
      const out = sanitizeMailHtml(sample, { ...opts, allowRemote }).html;
      for (const bad of FORBIDDEN_PATTERNS) assert.doesNotMatch(out, bad, `${name} (remote ${allowRemote}) kept ${bad}: ${out}`);
    }
  });
}

test('sanitizeMailHtml() keeps ordinary formatting, links and data images', () => {
  const out = sanitizeMailHtml('<p style="color: red; text-align: center">Hi <b>there</b> <a href="https://example.org/x">link</a></p><img src="data:image/png;base64,iVBORw0KGgo=" alt="dot">', opts).html;
  assert.match(out, /<p style="color:red;text-align:center">Hi <b>there<\/b>/);
  assert.match(out, /<a href="https:\/\/example.org\/x" target="_blank" rel="noopener noreferrer">link<\/a>/);
  assert.match(out, /<img alt="dot" src="data:image\/png;base64,iVBORw0KGgo=" \/>/);
});

test('sanitizeMailHtml() blocks remote images until allowed, and maps cid: to our URL', () => {
  const input = '<img src="https://tracker.example/p.gif"><img src="cid:logo@x">';
  const blocked = sanitizeMailHtml(input, opts);
  assert.equal(blocked.remoteBlocked, 1);
  assert.doesNotMatch(blocked.html, /tracker/);
  assert.match(blocked.html, /src="\/mail\/cid\?cid=logo%40x"/);
  const allowed = sanitizeMailHtml(input, { ...opts, allowRemote: true });
  assert.equal(allowed.remoteBlocked, 0);
  assert.match(allowed.html, /src="https:\/\/tracker.example\/p.gif"/);
});

test('textToHtml() escapes and links only http(s) URLs', () => {
  assert.equal(textToHtml('<b>&</b> see https://a.example/x?y=1 javascript:alert(1)'),
    '&lt;b&gt;&amp;&lt;/b&gt; see <a href="https://a.example/x?y=1" target="_blank" rel="noopener noreferrer">https://a.example/x?y=1</a> javascript:alert(1)');
});
