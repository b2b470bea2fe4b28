// Forge's key-value store accepts `[a-zA-Z0-9:._\s-#]` in keys (no braces), up to 500 characters.
// Every key the core writes is built here, from parts that may be brace-wrapped Bitbucket UUIDs.

export function keyPart(value: string | number): string {
  return String(value).replace(/[{}]/g, '').toLowerCase().replace(/[^a-z0-9._#-]/g, '_');
}

export function kvKey(...parts: Array<string | number>): string {
  return parts.map(keyPart).join(':');
}
