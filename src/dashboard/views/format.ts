/** Display helpers shared by the pages. Pure, so the pages stay templates. */

export function ago(at: number | undefined, now = Date.now()): string {
  if (!at) return '—';
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

export const clock = (at: number): string => new Date(at).toISOString().slice(11, 19);

export const count = (n: number): string => n.toLocaleString('en-US');

export function usd(n: number): string {
  if (n === 0) return '$0';
  return n < 0.01 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`;
}

export function ms(n: number): string {
  return n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(1)} s`;
}

/** `@aaron.phillips:anycompany.corp` → `aaron.phillips`, for narrow cells. */
export const localpartOf = (matrixId: string): string => matrixId.replace(/^@/, '').split(':')[0] ?? matrixId;
