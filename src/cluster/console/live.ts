// The live stream behind the console page: Server-Sent Events on GET /live. Every second,
// and at once when the node logs an event, it renders the page's sections again and sends
// the ones that changed (`event: sections`, JSON of id -> HTML). The stream does not count
// as activity, so an idle session still ends: then it sends `event: expired` and closes.
// Bounded: at most `streams.max` open streams per node; each one holds one render.
import type { FastifyInstance } from 'fastify';
import { requireSession, resourcesOf, securityHeaders, sendError, snapshot, type ConsoleDeps } from './app.ts';
import { renderSections, type Sections } from './render.ts';
import { sessionOf } from './routes-auth.ts';

const PERIOD_MS = 1_000;
/** A comment line now and then keeps proxies and idle timers from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;
/** Unsent bytes after which a stream whose client does not read is closed. */
const MAX_BUFFERED = 1024 * 1024;

export function registerLiveRoute(app: FastifyInstance, deps: ConsoleDeps): void {
  const open = new Set<() => void>();
  // Streams never end on their own: end them before the server waits for its connections.
  app.addHook('preClose', async () => { for (const end of open) end(); });

  app.get('/live', async (request, reply) => {
    const first = requireSession(deps, request, reply, false);
    if (!first) return reply;
    if (deps.streams.open >= deps.streams.max) {
      return sendError(request, reply, 503, `too many live consoles open on ${deps.d.self} (${deps.streams.max}); close one or reload later`);
    }
    deps.streams.open++;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { ...securityHeaders(deps.secure), 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    let closed = false;
    let wake: (() => void) | null = null;
    const end = (): void => {
      if (closed) return;
      closed = true;
      deps.streams.open--;
      open.delete(end);
      wake?.();
      res.end();
    };
    open.add(end);
    res.on('close', end);
    res.on('error', end);

    const sent: Partial<Record<keyof Sections, string>> = {};
    let lastSeq = 0;
    let lastWrite = Date.now();
    // The retry hint: how long the browser waits before it reconnects a dropped stream.
    res.write('retry: 3000\n\n');
    while (!closed) {
      const s = sessionOf(deps, request, false);
      if (!s || s.csrf !== first.csrf) {
        res.write('event: expired\ndata: {}\n\n');
        end();
        break;
      }
      try {
        lastSeq = deps.d.events.lastSeq;
        const { status, events } = await snapshot(deps);
        const sections = renderSections(status, events, resourcesOf(deps.d), s.csrf, Date.now());
        const changed: Partial<Record<keyof Sections, string>> = {};
        for (const k of Object.keys(sections) as Array<keyof Sections>) {
          if (sent[k] !== sections[k]) changed[k] = sent[k] = sections[k];
        }
        // A client that stops reading must not make the node buffer for it without end.
        if (res.writableLength > MAX_BUFFERED) {
          end();
          break;
        }
        if (Object.keys(changed).length > 0) {
          res.write(`event: sections\ndata: ${JSON.stringify(changed)}\n\n`);
          lastWrite = Date.now();
        } else if (Date.now() - lastWrite > KEEPALIVE_MS) {
          res.write(': keepalive\n\n');
          lastWrite = Date.now();
        }
      } catch (err) {
        res.write(`event: problem\ndata: ${JSON.stringify({ error: (err as Error).message })}\n\n`);
      }
      if (closed) break;
      // The next render: after a second, or as soon as the node logs something new.
      await Promise.race([
        deps.d.events.waitAfter(lastSeq, PERIOD_MS).then(() => new Promise((r) => setTimeout(r, 100))),
        new Promise<void>((r) => { wake = r; }),
      ]);
      wake = null;
    }
    return reply;
  });
}
