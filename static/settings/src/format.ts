// How times and durations read on the page.

export function ago(at: number | string, now = Date.now()): string {
  const ms = now - (typeof at === 'string' ? Date.parse(at) : at);
  if (!Number.isFinite(ms)) return 'unknown';
  if (ms < 60_000) return 'just now';
  if (ms < 3600_000) return `${Math.floor(ms / 60_000)} min ago`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3600_000)} h ago`;
  return `${Math.floor(ms / 86_400_000)} d ago`;
}

export function duration(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}
