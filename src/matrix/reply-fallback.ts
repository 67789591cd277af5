/**
 * Reply fallbacks (spec "Fallbacks for rich replies", removed from the spec in v1.13 by MSC2781 but still sent by
 * older clients and bridges). The quoted original can name or pill anyone, so mention detection must never look at it.
 */

/**
 * Removes the plain-text reply fallback: the run of "> " lines at the very start of `body` and the one blank line that
 * separates it from the reply. A body that does not start with a quote is returned unchanged.
 */
export function stripReplyFallback(body: string): string {
  if (typeof body !== 'string' || !isQuoteLineAt(body, 0)) return body;
  let lineStart = 0;
  while (lineStart < body.length && isQuoteLineAt(body, lineStart)) {
    const newline = body.indexOf('\n', lineStart);
    if (newline === -1) return '';
    lineStart = newline + 1;
  }
  // The fallback is followed by a blank line; tolerate "\r\n" from odd clients and a missing blank line.
  if (body.startsWith('\n', lineStart)) lineStart += 1;
  else if (body.startsWith('\r\n', lineStart)) lineStart += 2;
  return body.slice(lineStart);
}

/** A fallback line is "> text", or a bare ">" some clients emit for an empty quoted line. */
function isQuoteLineAt(text: string, index: number): boolean {
  if (text.charCodeAt(index) !== 0x3e /* > */) return false;
  const next = text.charCodeAt(index + 1);
  return next === 0x20 /* space */ || next === 0x0a /* \n */ || next === 0x0d /* \r */ || Number.isNaN(next);
}

const MX_REPLY_HINT = /mx-reply/i;
/**
 * Only the start of a tag. The whole tag used to be one regex, `<(\/?)mx-reply\b[^>]*>`, which retries `[^>]*` to the
 * end of the body from every `<mx-reply` when no `>` follows: quadratic, ~0.3 s of the router's only thread for one
 * 65 KB event. The tag's end is found with indexOf instead, and the scan resumes after it, so each character is read
 * a bounded number of times.
 */
const MX_REPLY_TAG_START = /<(\/?)mx-reply\b/gi;

/**
 * Removes every `<mx-reply>…</mx-reply>` region. Depth is counted so a crafted nested fallback cannot end the region
 * early and smuggle a pill out, and an unclosed `<mx-reply>` swallows the rest (as an HTML parser would nest it).
 * A tag runs to the first `>` after its name; a tag with no `>` after it is text, and so is everything after it.
 */
export function stripReplyFallbackHtml(html: string): string {
  if (typeof html !== 'string' || !MX_REPLY_HINT.test(html)) return html;
  let out = '';
  let depth = 0;
  let keptFrom = 0;
  MX_REPLY_TAG_START.lastIndex = 0;
  for (let tag = MX_REPLY_TAG_START.exec(html); tag !== null; tag = MX_REPLY_TAG_START.exec(html)) {
    const tagEnd = html.indexOf('>', MX_REPLY_TAG_START.lastIndex);
    if (tagEnd === -1) break; // no `>` left: no later tag can be complete either
    MX_REPLY_TAG_START.lastIndex = tagEnd + 1;
    const closing = tag[1] === '/';
    if (!closing) {
      if (depth === 0) out += html.slice(keptFrom, tag.index);
      depth += 1;
    } else if (depth > 0) {
      depth -= 1;
      if (depth === 0) keptFrom = tagEnd + 1;
    }
    // A stray closing tag outside any region is left in place: it is harmless text to the pill scanner.
  }
  return depth > 0 ? out : out + html.slice(keptFrom);
}
