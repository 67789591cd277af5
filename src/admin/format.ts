/** Small text helpers shared by the command modules. */

export const oneLine = (s: string, max = 160): string => {
  const t = s.replace(/\s+/g, ' ');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

/** Errors shown to operators never carry credentials, even when a library put them in the message. */
export const withoutSecrets = (s: string): string =>
  s.replace(/(bearer\s+)\S+/gi, '$1…').replace(/((?:token|secret|password|key)["']?\s*[:=]\s*["']?)[^\s"',]+/gi, '$1…');

export const usd = (n: number): string => `$${n.toFixed(n >= 1 ? 2 : 4)}`;

export const ago = (at: number | undefined, now = Date.now()): string => {
  if (!at) return 'never';
  const s = Math.max(0, Math.round((now - at) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : s < 86400 ? `${Math.round(s / 3600)}h ago` : `${Math.round(s / 86400)}d ago`;
};

export const localpart = (matrixId: string): string => matrixId.replace(/^@/, '').replace(/:.*$/, '');

/** A positive whole number from an argument, or undefined. */
export const count = (raw: string | undefined, max: number): number | undefined => {
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= max ? n : undefined;
};
