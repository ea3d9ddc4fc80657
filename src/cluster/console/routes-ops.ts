// The console's operations: start, stop and move a group, suspend and resume monitors.
// They call the same functions as the signed API (node/operations.ts), so an operation on
// any node's console acts cluster-wide exactly as the CLI does, refusals included. Each
// post needs the session's CSRF token; each operation is an event naming the console user.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isTandemError } from '../../lib/errors.ts';
import { groupMove, groupStart, groupStop, setMonitorSuspended } from '../node/operations.ts';
import { requireSession, sendError, wantsJson, type ConsoleDeps } from './app.ts';
import { checkCsrf } from './routes-auth.ts';
import type { ConsoleSession } from './sessions.ts';

type Body = Record<string, unknown>;
const field = (b: Body, k: string): string | undefined => (typeof b[k] === 'string' && b[k] !== '' ? (b[k] as string).slice(0, 200) : undefined);

export function registerOperationRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  /** Runs `op` for a logged-in user with a valid token; answers JSON (script) or a redirect with a flash (plain form). */
  const operate = async (request: FastifyRequest, reply: FastifyReply, describe: string, op: (b: Body) => string): Promise<FastifyReply> => {
    const s = requireSession(deps, request, reply);
    if (!s) return reply;
    const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Body;
    if (!checkCsrf(s, body._csrf)) return sendError(request, reply, 403, 'the form expired or did not come from this page (CSRF check failed); reload the page and try again');
    let message: string;
    try {
      message = op(body);
    } catch (err) {
      if (!isTandemError(err)) throw err;
      deps.d.emit({ kind: 'console.refused', level: 'info', message: `console user ${s.user} on ${deps.d.self}: ${describe} refused: ${err.message}` });
      return answer(request, reply, s, false, err.message, err.category === 'not-found' ? 404 : err.category === 'invalid' ? 400 : 409);
    }
    deps.d.emit({ kind: 'console.operation', level: 'info', message: `console user ${s.user} on ${deps.d.self}: ${message}` });
    return answer(request, reply, s, true, message, 200);
  };

  app.post('/group/:name/:op', async (request, reply) => {
    const { name, op } = request.params as { name: string; op: string };
    switch (op) {
      case 'start': return operate(request, reply, `start of group ${name}`, () => groupStart(deps.d, name));
      case 'stop': return operate(request, reply, `stop of group ${name}`, () => groupStop(deps.d, name));
      case 'move': return operate(request, reply, `move of group ${name}`, (b) => groupMove(deps.d, name, field(b, 'to')));
      default: return sendError(request, reply, 404, `unknown group operation ${op} (start, stop or move)`);
    }
  });

  app.post('/monitor/:op', async (request, reply) => {
    const { op } = request.params as { op: string };
    if (op !== 'suspend' && op !== 'resume') return sendError(request, reply, 404, `unknown monitor operation ${op} (suspend or resume)`);
    return operate(request, reply, `${op} of monitors`, (b) => {
      const name = field(b, 'name');
      if (!name) throw Object.assign(new Error('which monitor? the form has no name'), { statusCode: 400 });
      return setMonitorSuspended(deps.d, name, op === 'suspend');
    });
  });
}

function answer(request: FastifyRequest, reply: FastifyReply, s: ConsoleSession, ok: boolean, text: string, status: number): FastifyReply {
  if (wantsJson(request)) return reply.code(status).type('application/json; charset=utf-8').send(ok ? { message: text } : { error: text });
  s.flash = { ok, text };
  return reply.redirect('/', 303);
}
