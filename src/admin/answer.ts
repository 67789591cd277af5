/** What a command answers: a plain body for any client and HTML for those that render it (Element). */
export interface Answer {
  /** False for refusals, errors and wrong input: the command gets ⛔ instead of ✅. */
  ok: boolean;
  /** A refusal for who is asking or where (not a failure): the audit log records it as "refused". */
  refused?: true;
  text: string;
  html: string;
}

/** Rows per page of a table; `--page N` shows the others. */
export const PAGE_SIZE = 25;

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export type Part = string | Table;

export interface Table { headers: string[]; rows: string[][]; page?: number }

/** An answer from paragraphs and tables, in order. */
export function answer(parts: readonly Part[], ok = true): Answer {
  const text: string[] = [];
  const html: string[] = [];
  for (const part of parts) {
    if (typeof part === 'string') {
      text.push(part);
      html.push(`<p>${escapeHtml(part).replace(/\n/g, '<br>')}</p>`);
      continue;
    }
    const page = pageOf(part);
    text.push(plainTable(part.headers, page.rows), ...(page.note ? [page.note] : []));
    html.push(htmlTable(part.headers, page.rows), ...(page.note ? [`<p><em>${escapeHtml(page.note)}</em></p>`] : []));
  }
  return { ok, text: text.join('\n'), html: html.join('') };
}

export const refuse = (message: string): Answer => answer([message], false);

/** Refuses for lack of permission (a reader's change, a command not answered where it was typed). */
export const deny = (message: string): Answer => ({ ...refuse(message), refused: true });

function pageOf(t: Table): { rows: string[][]; note?: string } {
  const pages = Math.max(1, Math.ceil(t.rows.length / PAGE_SIZE));
  const page = Math.min(Math.max(1, t.page ?? 1), pages);
  const rows = t.rows.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  return pages === 1 ? { rows } : { rows, note: `page ${page} of ${pages} (${t.rows.length} rows); add --page ${page < pages ? page + 1 : 1} for ${page < pages ? 'the next' : 'the first'}` };
}

function plainTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

function htmlTable(headers: string[], rows: string[][]): string {
  const cells = (tag: string, r: string[]) => `<tr>${r.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('')}</tr>`;
  return `<table><thead>${cells('th', headers)}</thead><tbody>${rows.map((r) => cells('td', r)).join('')}</tbody></table>`;
}
