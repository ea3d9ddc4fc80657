// Reading the compose form (multipart, with attachments) within bounds: every field is
// capped, file parts are streamed and counted, and the whole upload may not exceed the
// message size limit, so a big upload cannot exhaust the process's memory.
import type { FastifyRequest } from 'fastify';
import { TandemError } from '../../../lib/errors.ts';

export interface Upload { filename: string; contentType: string; content: Buffer }
export interface ComposeForm { fields: Map<string, string[]>; files: Upload[] }

export async function readComposeForm(request: FastifyRequest, maxBytes: number): Promise<ComposeForm> {
  if (!request.isMultipart()) {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const fields = new Map<string, string[]>();
    for (const [k, v] of Object.entries(body)) fields.set(k, (Array.isArray(v) ? v : [v]).map(String));
    return { fields, files: [] };
  }
  const fields = new Map<string, string[]>();
  const files: Upload[] = [];
  let total = 0;
  for await (const part of request.parts()) {
    if (part.type === 'field') {
      const v = String(part.value ?? '');
      total += v.length;
      fields.set(part.fieldname, [...(fields.get(part.fieldname) ?? []), v]);
    } else {
      const chunks: Buffer[] = [];
      for await (const chunk of part.file) {
        total += (chunk as Buffer).length;
        if (total > maxBytes) {
          part.file.resume();
          throw new TandemError('HTTP_ERR_TOO_BIG', 'invalid', `attachments too big: the message may be at most ${maxBytes} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
      if (part.file.truncated) throw new TandemError('HTTP_ERR_TOO_BIG', 'invalid', `attachment ${part.filename} is too big (limit ${maxBytes} bytes)`);
      const content = Buffer.concat(chunks);
      if (part.filename && content.length > 0) files.push({ filename: part.filename, contentType: part.mimetype || 'application/octet-stream', content });
    }
    if (total > maxBytes) throw new TandemError('HTTP_ERR_TOO_BIG', 'invalid', `the message may be at most ${maxBytes} bytes`);
  }
  return { fields, files };
}

export function field(form: ComposeForm, name: string, max = 1_000_000): string {
  const v = form.fields.get(name)?.[0] ?? '';
  if (v.length > max) throw new TandemError('HTTP_ERR_INVALID', 'invalid', `${name} is too long (at most ${max} characters)`);
  return v;
}
