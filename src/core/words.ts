/** "1 pull request", "2 pull requests": for text a person reads (the comment, the CLI's summaries). */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

const DAY = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/** "12 May 2026": a day no reader can take for another (numbers alone read differently across countries). */
export function calendarDay(at: number | string): string {
  return DAY.format(new Date(at));
}
