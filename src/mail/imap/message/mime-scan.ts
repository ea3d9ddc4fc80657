// A streaming MIME structure scanner: feed it the bytes of a message file in chunks of any
// size and it returns the entity tree with byte offsets (RFC 2045/2046). Pure: the caller
// reads the file. Memory is bounded whatever the input: only header blocks (capped) and
// one line prefix are kept, never a body.
//
// Malformed input never throws: a missing closing boundary ends the part at end of file,
// a part without a blank line after its header has an empty body, bare LF line ends count
// as line ends, nesting deeper than MAX_DEPTH (or more than MAX_PARTS parts) turns the
// deeper multipart or message into an opaque leaf.
import { isFieldLine, parseHeaderBlock, parseStructured, headerValue, param } from './headers.ts';
import type { HeaderField, StructuredValue } from './headers.ts';

export const MAX_DEPTH = 50;
export const MAX_PARTS = 5000;
/** Bytes of header kept per entity; fields past it are ignored (they stay in the file for BODY[HEADER]). */
export const HEADER_CAP = 256 * 1024;
/** Bytes of a line kept for boundary and header-field checks. */
const LINE_KEEP = 4096;

export type EntityKind = 'leaf' | 'multipart' | 'message' | 'opaque';

/** One MIME entity as scanned: offsets, parsed header, children. */
export interface ScannedEntity {
  headerStart: number;
  bodyStart: number;
  end: number;
  fields: HeaderField[];
  /** Content-Type as declared (or the default), lower-case `type/subtype`, with params. */
  contentType: StructuredValue;
  /** Whether Content-Type was absent and the default applied. */
  defaulted: boolean;
  encoding: string;
  kind: EntityKind;
  children: ScannedEntity[];
  /** Lines of the body: LFs, plus one for a last line without line end. */
  lines: number;
}

interface Frame {
  node: ScannedEntity;
  phase: 'header' | 'body';
  header: Buffer[];
  headerLen: number;
  depth: number;
  /** Default Content-Type of this entity (message/rfc822 inside multipart/digest). */
  defaultType: string;
  /** `--boundary` of a multipart in its body. */
  delimiter: Buffer | null;
  epilogue: boolean;
  lfAtBodyStart: number;
}

const DASH = 0x2d;
const EMPTY = Buffer.alloc(0);
const LF = 0x0a;
const CR = 0x0d;

export class MimeScanner {
  private readonly stack: Frame[] = [];
  private readonly root: ScannedEntity;
  private pos = 0;
  private lfCount = 0;
  private parts = 1;
  // The line being assembled across chunks.
  private lineStart = 0;
  private lineKept: Buffer[] = [];
  private lineKeptLen = 0;
  private lineLen = 0;
  /** Whether the current line's start is kept (header line or maybe a delimiter). */
  private keeping = false;
  /** The last two bytes of the line so far (CR LF detection survives cut lines). */
  private beforeLast = -1;
  private lastOfLine = -1;
  /** The last byte of the input so far (a last line without LF counts as a line). */
  private lastByte = -1;
  // The previous complete line: its line-end length and whether it had content.
  private prevEol = 0;
  private prevHadContent = false;
  private finished = false;

  constructor() {
    this.root = newEntity(0);
    this.stack.push(newFrame(this.root, 0, 'text/plain'));
  }

  /** Feeds the next bytes of the file. */
  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      const nl = chunk.indexOf(LF, i);
      const stop = nl === -1 ? chunk.length : nl + 1;
      this.keep(chunk.subarray(i, stop));
      if (nl !== -1) this.endLine();
      i = stop;
    }
    if (chunk.length > 0) this.lastByte = chunk[chunk.length - 1]!;
  }

  /** Ends the input and returns the tree (top-level entity = the whole file). */
  finish(): ScannedEntity {
    if (this.finished) return this.root;
    this.finished = true;
    if (this.lineLen > 0) this.endLine();
    const total = this.pos;
    const partialLast = total > 0 && this.lastByte !== LF;
    while (this.stack.length > 0) {
      const f = this.stack.pop()!;
      if (f.phase === 'header') this.endHeader(f, total, false);
      this.close(f, total, this.lfCount, partialLast);
    }
    return this.root;
  }

  private keep(piece: Buffer): void {
    // Only header lines and possible delimiters are looked at: body lines are just counted.
    if (this.lineLen === 0) this.keeping = this.stack[this.stack.length - 1]?.phase === 'header' || piece[0] === DASH;
    if (this.keeping && this.lineKeptLen < LINE_KEEP) {
      const part = piece.subarray(0, LINE_KEEP - this.lineKeptLen);
      this.lineKept.push(Buffer.from(part));
      this.lineKeptLen += part.length;
    }
    // CR detection needs the byte before the LF even when the line was cut.
    if (piece.length >= 2) this.beforeLast = piece[piece.length - 2]!;
    else if (piece.length === 1 && this.lineLen > 0) this.beforeLast = this.lastOfLine;
    if (piece.length > 0) this.lastOfLine = piece[piece.length - 1]!;
    this.lineLen += piece.length;
  }

  private endLine(): void {
    const start = this.lineStart;
    const len = this.lineLen;
    const kept = this.lineKept.length === 1 ? this.lineKept[0]! : this.lineKept.length === 0 ? EMPTY : Buffer.concat(this.lineKept);
    let eol = 0;
    if (this.lastOfLine === LF) eol = len >= 2 && this.beforeLast === CR ? 2 : 1;
    const lfBefore = this.lfCount;
    this.dispatch(start, len, eol, kept, lfBefore);
    if (eol > 0) this.lfCount++;
    this.pos = start + len;
    this.prevEol = eol;
    this.prevHadContent = len - eol > 0;
    this.lineStart = this.pos;
    this.lineKept = [];
    this.lineKeptLen = 0;
    this.lineLen = 0;
    this.beforeLast = -1;
    this.lastOfLine = -1;
  }

  private dispatch(start: number, len: number, eol: number, kept: Buffer, lfBefore: number): void {
    const contentLen = len - eol;
    if (contentLen >= 3 && kept[0] === DASH && kept[1] === DASH) {
      for (let k = this.stack.length - 1; k >= 0; k--) {
        const f = this.stack[k]!;
        if (!f.delimiter || f.epilogue) continue;
        const kind = matchDelimiter(kept, Math.min(contentLen, kept.length), f.delimiter);
        if (kind === null) continue;
        // Past the part limit, part delimiters are ordinary lines: the last part grows.
        if (kind === 'part' && this.parts >= MAX_PARTS) break;
        this.closeAbove(k, start, lfBefore);
        if (kind === 'close') f.epilogue = true;
        else this.openChild(f, start + len, 'part');
        return;
      }
    }
    const top = this.stack[this.stack.length - 1];
    if (!top || top.phase !== 'header') return;
    if (contentLen === 0) {
      this.appendHeader(top, kept);
      this.endHeader(top, start + len, true);
      top.lfAtBodyStart = lfBefore + (eol > 0 ? 1 : 0);
      return;
    }
    const text = kept.subarray(0, Math.min(kept.length, 200)).toString('latin1');
    const continuation = kept[0] === 0x20 || kept[0] === 0x09;
    if (continuation || isFieldLine(text)) {
      this.appendHeader(top, kept);
      return;
    }
    // Not a header line: the header ends without a blank line and this line is body.
    this.endHeader(top, start, true);
    top.lfAtBodyStart = lfBefore;
    // The body may itself be a message whose header starts here.
    const inner = this.stack[this.stack.length - 1]!;
    if (inner !== top && inner.phase === 'header') this.dispatch(start, len, eol, kept, lfBefore);
  }

  private appendHeader(f: Frame, line: Buffer): void {
    if (f.headerLen >= HEADER_CAP) return;
    const part = line.subarray(0, HEADER_CAP - f.headerLen);
    f.header.push(part);
    f.headerLen += part.length;
  }

  /** The header of `f` ended and its body starts at `bodyStart`: decide what the body is. */
  private endHeader(f: Frame, bodyStart: number, pushChild: boolean): void {
    f.phase = 'body';
    const node = f.node;
    node.bodyStart = bodyStart;
    node.fields = parseHeaderBlock(Buffer.concat(f.header));
    f.header = [];
    const ctRaw = headerValue(node.fields, 'Content-Type');
    let ct = ctRaw === null ? null : parseStructured(ctRaw);
    if (ct !== null && !/^[^/\s]+\/[^/\s]+$/.test(ct.value)) ct = null; // unparseable: use the default
    node.defaulted = ct === null;
    node.contentType = ct ?? { value: f.defaultType, params: [] };
    const cte = headerValue(node.fields, 'Content-Transfer-Encoding');
    node.encoding = cte === null || cte.trim() === '' ? '7bit' : cte.trim().split(/[\s(;]/)[0]!.toLowerCase();
    const [type, subtype] = node.contentType.value.split('/') as [string, string];
    const deepEnough = f.depth >= MAX_DEPTH || this.parts >= MAX_PARTS;
    if (type === 'multipart') {
      const boundary = param(node.contentType, 'BOUNDARY');
      if (boundary === null || boundary === '' || deepEnough) { node.kind = 'opaque'; return; }
      node.kind = 'multipart';
      f.delimiter = Buffer.from(`--${boundary}`, 'utf8');
      f.defaultType = subtype === 'digest' ? 'message/rfc822' : 'text/plain';
      return;
    }
    if (type === 'message' && (subtype === 'rfc822' || subtype === 'global')) {
      // An encoded (base64, QP) message cannot be parsed in place: it stays a leaf.
      if (deepEnough || !['7bit', '8bit', 'binary'].includes(node.encoding)) { node.kind = 'leaf'; return; }
      node.kind = 'message';
      if (pushChild) this.openChild(f, bodyStart, 'message');
      else {
        const child = newEntity(bodyStart);
        child.bodyStart = bodyStart;
        child.contentType = { value: 'text/plain', params: [] };
        child.defaulted = true;
        node.children.push(child);
      }
      return;
    }
    node.kind = 'leaf';
  }

  private openChild(parent: Frame, headerStart: number, why: 'part' | 'message'): void {
    const child = newEntity(headerStart);
    parent.node.children.push(child);
    this.parts++;
    const defaultType = why === 'part' ? parent.defaultType : 'text/plain';
    this.stack.push(newFrame(child, parent.depth + 1, defaultType));
  }

  /** A delimiter of frame `k` at `lineStart`: every entity inside it ends before the delimiter's CRLF. */
  private closeAbove(k: number, lineStart: number, lfBefore: number): void {
    while (this.stack.length - 1 > k) {
      const f = this.stack.pop()!;
      // The CRLF before a delimiter belongs to the delimiter, unless it ends the header.
      const floor = f.phase === 'body' ? f.node.bodyStart : f.node.headerStart;
      const end = Math.max(floor, lineStart - this.prevEol);
      if (f.phase === 'header') this.endHeader(f, end, false);
      const lfAtEnd = lfBefore - (this.prevEol > 0 ? 1 : 0);
      this.close(f, end, lfAtEnd, this.prevHadContent);
    }
  }

  private close(f: Frame, end: number, lfAtEnd: number, partialLast: boolean): void {
    const node = f.node;
    node.end = end;
    if (node.bodyStart > end) node.bodyStart = end;
    node.lines = end > node.bodyStart ? Math.max(0, lfAtEnd - f.lfAtBodyStart) + (partialLast ? 1 : 0) : 0;
    if (node.kind === 'multipart' && node.children.length === 0) {
      // No delimiter at all: one part holding the whole body, so the structure stays valid.
      const only = newEntity(node.bodyStart);
      only.bodyStart = node.bodyStart;
      only.end = end;
      only.contentType = { value: 'text/plain', params: [] };
      only.defaulted = true;
      only.lines = node.lines;
      node.children.push(only);
    }
    for (const c of node.children) {
      // Children closed by finish() before their parent, or never opened, stay within it.
      if (c.end > end) c.end = end;
      if (c.bodyStart > c.end) c.bodyStart = c.end;
    }
  }
}

function newEntity(headerStart: number): ScannedEntity {
  return {
    headerStart, bodyStart: headerStart, end: headerStart, fields: [],
    contentType: { value: 'text/plain', params: [] }, defaulted: true, encoding: '7bit',
    kind: 'leaf', children: [], lines: 0,
  };
}

function newFrame(node: ScannedEntity, depth: number, defaultType: string): Frame {
  return { node, phase: 'header', header: [], headerLen: 0, depth, defaultType, delimiter: null, epilogue: false, lfAtBodyStart: 0 };
}

/** `--b` (with trailing whitespace) is a part delimiter, `--b--` the close delimiter (RFC 2046 5.1.1). */
function matchDelimiter(line: Buffer, contentLen: number, delimiter: Buffer): 'part' | 'close' | null {
  if (contentLen < delimiter.length || line.compare(delimiter, 0, delimiter.length, 0, delimiter.length) !== 0) return null;
  let i = delimiter.length;
  let close = false;
  if (i + 2 <= contentLen && line[i] === DASH && line[i + 1] === DASH) {
    close = true;
    i += 2;
  }
  for (; i < contentLen; i++) {
    const b = line[i];
    if (b !== 0x20 && b !== 0x09 && b !== CR) return null;
  }
  return close ? 'close' : 'part';
}

/** Scans a whole buffer (tests, small messages). */
export function scanBuffer(data: Buffer): ScannedEntity {
  const s = new MimeScanner();
  s.push(data);
  return s.finish();
}
