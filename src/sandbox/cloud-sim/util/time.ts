// Times are integer microseconds since the epoch: Bitbucket prints six fractional digits, and distinct
// microseconds let every mutation get its own instant even when the millisecond clock stands still.

export type Micros = number;

export const SECOND: Micros = 1_000_000;
export const MINUTE: Micros = 60 * SECOND;
export const HOUR: Micros = 60 * MINUTE;
export const DAY: Micros = 24 * HOUR;

export const fromMillis = (ms: number): Micros => Math.round(ms * 1000);

function split(us: Micros): { seconds: string; fraction: string } {
  const ms = Math.floor(us / 1000);
  const seconds = new Date(ms).toISOString().slice(0, 19);
  const fraction = String(((us % SECOND) + SECOND) % SECOND).padStart(6, '0');
  return { seconds, fraction };
}

/** REST 2.0 objects: `2018-07-01T20:27:45.726745+00:00`. */
export function isoApi(us: Micros): string {
  const { seconds, fraction } = split(us);
  return `${seconds}.${fraction}+00:00`;
}

/** Commit and tag dates come from git, to the second: `2018-09-21T14:07:25+00:00`. */
export function isoSeconds(us: Micros): string {
  return `${split(us).seconds}+00:00`;
}

/** Forge event timestamps and the Pipelines service: `2026-03-23T06:03:12.361017Z`. */
export function isoZulu(us: Micros): string {
  const { seconds, fraction } = split(us);
  return `${seconds}.${fraction}Z`;
}

/** Forge deployment events carry nanoseconds: `2024-11-15T03:08:01.556468172Z`. */
export function isoNanos(us: Micros): string {
  const { seconds, fraction } = split(us);
  return `${seconds}.${fraction}000Z`;
}

/** Parses what BBQL and clients send (any ISO 8601 form Date understands) into microseconds. */
export function parseIso(text: string): Micros | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?)?)(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!match) return undefined;
  const [, date = '', fraction = '', zone = 'Z'] = match;
  const base = date.includes('T') ? date : `${date}T00:00:00`;
  const ms = Date.parse(`${base}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`);
  if (Number.isNaN(ms)) return undefined;
  return ms * 1000 + Number(fraction.padEnd(6, '0').slice(0, 6));
}
