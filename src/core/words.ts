/** A count as the settings page writes all of its own (static/settings/src/format.ts): "2,000", never "2000" beside "1,200". */
export function grouped(count: number): string {
  return count.toLocaleString('en');
}

/** "1 pull request", "2 pull requests": for text a person reads (the comment, the CLI's summaries). */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

const DAY = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/** "12 May 2026": a day no reader can take for another (numbers alone read differently across countries). */
export function calendarDay(at: number | string): string {
  return DAY.format(new Date(at));
}
