// The OpenAPI document and the served API agree: every /api/v1 route the app registers
// is documented (with its method), and every documented operation is registered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openMailContext } from '../../core/context.ts';
import { makeTestVolume } from '../../../../test/helpers/volume.ts';
import { LoginThrottle } from '../../../lib/login-throttle.ts';
import { WebDb } from '../store/web-db.ts';
import { WebMailbox } from '../mail/mailbox.ts';
import { buildApp } from '../app.ts';
import { openApiDocument, openApiPath } from './openapi.ts';
import { API_ROUTES } from './table.ts';

test('every /api/v1 route is in openapi.json and every documented operation is served', async () => {
  const vol = await makeTestVolume();
  const ctx = await openMailContext(vol.root, 'http-test');
  const web = WebDb.open(ctx.layout.accountsDb);
  const mailbox = new WebMailbox(ctx.layout);
  const registered = new Set<string>();
  const app = await buildApp({ ctx, web, mailbox, now: Date.now, throttle: new LoginThrottle({ maxFailuresPerIp: 10, maxFailuresPerUser: 5, windowMs: 1000 }) },
    { secure: false, tls: null, httpsUrl: null, listening: () => [], onRoute: (m, url) => { if (url.startsWith('/api/') && m !== 'HEAD') registered.add(`${m} ${openApiPath(url)}`); } });
  try {
    await app.ready();
    const doc = openApiDocument(API_ROUTES) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.equal(doc.openapi, '3.1.0');
    const documented = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
    documented.add('GET /api/v1/openapi.json'); // the document itself
    assert.deepEqual([...registered].filter((r) => !documented.has(r)), [], 'served but not documented');
    assert.deepEqual([...documented].filter((r) => !registered.has(r)), [], 'documented but not served');
    assert.ok(documented.size > 25, `${documented.size} operations`);
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [m, op] of Object.entries(ops) as Array<[string, { summary?: string; responses?: Record<string, unknown>; parameters?: Array<{ name: string; in: string }> }]>) {
        assert.ok(op.summary, `${m} ${p} has a summary`);
        assert.ok(op.responses?.['401'], `${m} ${p} documents 401`);
        for (const name of [...p.matchAll(/\{(\w+)\}/g)].map((x) => x[1])) {
          assert.ok(op.parameters?.some((x) => x.name === name && x.in === 'path'), `${m} ${p} documents path parameter ${name}`);
        }
      }
    }
  } finally {
    await app.close();
    await mailbox.close();
    web.close();
    ctx.directory.close();
    vol.cleanup();
  }
});
