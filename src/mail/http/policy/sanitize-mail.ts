// What of a mail's HTML may reach the reader's browser (pure; tested with hostile
// samples): no scripts, event handlers, forms, frames, objects, styles sheets, base or
// meta tags; links only to http(s)/mailto and opened in a new tab; images only from the
// message itself (cid:), inline data images, or (when the reader asks) remote servers.
import sanitizeHtml from 'sanitize-html';

export interface SanitizeOptions {
  /** The reader clicked "show remote content" for this message. */
  readonly allowRemote: boolean;
  /** URL that serves the message's part with this Content-ID, or null when it has none. */
  readonly cidUrl: (cid: string) => string | null;
}

export interface SanitizedHtml {
  readonly html: string;
  /** Remote images removed (so the page can offer "show remote content"). */
  readonly remoteBlocked: number;
}

const TAGS = [
  'a', 'abbr', 'b', 'big', 'blockquote', 'br', 'caption', 'center', 'cite', 'code', 'col', 'colgroup', 'dd', 'del', 'div',
  'dl', 'dt', 'em', 'font', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'img', 'ins', 'kbd', 'li', 'mark', 'ol', 'p',
  'pre', 'q', 's', 'small', 'span', 'strike', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead',
  'tr', 'tt', 'u', 'ul',
];

const COLOR = /^(#[0-9a-f]{3,8}|[a-z]{3,20}|rgba?\(\s*[\d.]+%?\s*,\s*[\d.]+%?\s*,\s*[\d.]+%?\s*(,\s*[\d.]+\s*)?\))$/i;
const LENGTH = /^(0|[\d.]{1,8}(px|em|rem|pt|%))$/i;
const LENGTHS = /^((0|[\d.]{1,8}(px|em|rem|pt|%))\s*){1,4}$/i;

/** Style properties whose values cannot load anything or run anything. */
const STYLES: Record<string, RegExp[]> = {
  color: [COLOR], 'background-color': [COLOR],
  'text-align': [/^(left|right|center|justify)$/i], 'vertical-align': [/^(top|middle|bottom|baseline)$/i],
  'font-weight': [/^(normal|bold|bolder|lighter|\d{3})$/i], 'font-style': [/^(normal|italic|oblique)$/i],
  'font-size': [LENGTH, /^(small|medium|large|x-small|x-large|smaller|larger)$/i],
  'font-family': [/^[a-z0-9 ,'"-]{1,100}$/i], 'text-decoration': [/^(none|underline|line-through|overline)$/i],
  width: [LENGTH], height: [LENGTH], 'max-width': [LENGTH], margin: [LENGTHS], padding: [LENGTHS],
  border: [/^[\d.]{1,4}px\s+(solid|dashed|dotted)\s+(#[0-9a-f]{3,8}|[a-z]{3,20})$/i],
  'line-height': [/^[\d.]{1,5}(px|em|%)?$/i], 'white-space': [/^(normal|nowrap|pre|pre-wrap)$/i],
};

const SAFE_DATA_IMAGE = /^data:image\/(png|gif|jpeg|webp);base64,[A-Za-z0-9+/=\s]+$/i;

export function sanitizeMailHtml(input: string, opts: SanitizeOptions): SanitizedHtml {
  let remoteBlocked = 0;
  const out = sanitizeHtml(input, {
    allowedTags: TAGS,
    // Everything else (script, style, iframe, form, object, svg, math, meta, base, link...)
    // goes together with its content where that content is code.
    disallowedTagsMode: 'discard',
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'head', 'svg', 'math', 'template', 'iframe', 'object'],
    allowedAttributes: {
      '*': ['style', 'title', 'dir', 'lang', 'align', 'valign', 'width', 'height', 'colspan', 'rowspan', 'bgcolor', 'color', 'border', 'cellpadding', 'cellspacing'],
      a: ['href', 'target', 'rel'],
      img: ['src', 'alt'],
      font: ['face', 'size', 'color'],
      ol: ['start', 'type'],
    },
    allowedStyles: { '*': STYLES },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https', 'data'] },
    allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
    allowProtocolRelative: false,
    enforceHtmlBoundary: false,
    transformTags: {
      a: (tagName, attribs) => {
        const href = attribs.href ?? '';
        const keep = /^(https?:|mailto:)/i.test(href.trim());
        const attrs: Record<string, string> = keep ? { href: href.trim(), target: '_blank', rel: 'noopener noreferrer' } : {};
        if (attribs.title !== undefined) attrs.title = attribs.title;
        return { tagName, attribs: attrs };
      },
      img: (tagName, attribs) => {
        const src = (attribs.src ?? '').trim();
        const alt = attribs.alt ?? '';
        let next: string | null = null;
        if (/^cid:/i.test(src)) next = opts.cidUrl(decodeURIComponent(src.slice(4)));
        else if (SAFE_DATA_IMAGE.test(src)) next = src;
        else if (/^https?:\/\//i.test(src)) {
          if (opts.allowRemote) next = src;
          else remoteBlocked++;
        }
        const attrs: Record<string, string> = { alt };
        if (next !== null) attrs.src = next;
        for (const k of ['width', 'height', 'style', 'title']) if (attribs[k] !== undefined) attrs[k] = attribs[k]!;
        return { tagName, attribs: attrs };
      },
    },
  });
  return { html: out, remoteBlocked };
}

/** Plain text as HTML: escaped, line breaks kept, http(s) links clickable. */
export function textToHtml(text: string): string {
  const esc = text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
  return esc.replace(/\bhttps?:\/\/[^\s<>"']+/g, (url) => `<a href="${url}" target="_blank" rel="noopener noreferrer">${url}</a>`);
}
