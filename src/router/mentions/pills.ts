/**
 * Pills: links to a user in `formatted_body`, as `https://matrix.to/#/@user:domain` (appendix "matrix.to navigation",
 * identifier possibly percent-encoded, possibly followed by `?via=`) or `matrix:u/user:domain` (appendix "Matrix URI
 * scheme", MSC2312). Only href attributes count: a user id merely written as text is handled by plain-text matching.
 */

const MATRIX_HINT = /matrix/i;
const HREF_ATTRIBUTE = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')/gi;
const MATRIX_TO_USER = /^https?:\/\/matrix\.to\/#\/([^?#/]+)/i;
const MATRIX_URI_USER = /^matrix:(?:u|user)\/([^?#/]+)/i;
const USER_ID = /^@[^\s:@]+:[^\s]+$/;
const MAX_USER_ID_LENGTH = 255;

/** User ids linked from `formattedBody`, URL-decoded, in document order, without duplicates. */
export function pillTargets(formattedBody: string): string[] {
  if (typeof formattedBody !== 'string' || !MATRIX_HINT.test(formattedBody)) return [];
  const targets: string[] = [];
  HREF_ATTRIBUTE.lastIndex = 0;
  for (let attr = HREF_ATTRIBUTE.exec(formattedBody); attr !== null; attr = HREF_ATTRIBUTE.exec(formattedBody)) {
    const userId = userIdFromHref((attr[1] ?? attr[2] ?? '').trim());
    if (userId !== undefined && !targets.includes(userId)) targets.push(userId);
  }
  return targets;
}

function userIdFromHref(href: string): string | undefined {
  let encoded = MATRIX_TO_USER.exec(href)?.[1];
  let sigil = '';
  if (encoded === undefined) {
    encoded = MATRIX_URI_USER.exec(href)?.[1];
    if (encoded === undefined) return undefined;
    sigil = '@'; // matrix: URIs carry the id without its sigil
  }
  let decoded: string;
  try {
    decoded = sigil + decodeURIComponent(encoded);
  } catch {
    return undefined; // malformed percent-encoding
  }
  if (decoded.length > MAX_USER_ID_LENGTH || !USER_ID.test(decoded)) return undefined;
  return decoded;
}
