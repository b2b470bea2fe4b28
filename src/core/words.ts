/** "1 pull request", "2 pull requests": for text a person reads (the comment, the CLI's summaries). */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
