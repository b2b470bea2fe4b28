/**
 * The title of an HTML answer ('' when it has none), or undefined when the answer is not a web page.
 * A web page where an API should answer is a wrong address, a web app, or a proxy's sign-in page.
 * `contentType` counts only where an answer without a body says enough (a check, not a delivery).
 */
export function webPage(contentType: string | null, text: string): string | undefined {
  if (!(contentType ?? '').includes('html') && !/^\s*<(!doctype html|html[\s>])/i.test(text)) return undefined;
  return (/<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1] ?? '').replace(/\s+/g, ' ').trim().slice(0, 120);
}
