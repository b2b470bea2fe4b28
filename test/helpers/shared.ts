import { existsSync } from 'node:fs';
import path from 'node:path';

/** `../shared` beside the project root: specs and third-party fixtures, read in place, never copied. */
export const sharedDir = path.resolve(__dirname, '../../../shared');

/** The path under ../shared/fixtures, or undefined (with a printed note) when the folder is absent. */
export function fixtureOrSkip(relative: string): string | undefined {
  const file = path.join(sharedDir, 'fixtures', relative);
  if (existsSync(file)) return file;
  console.warn(`skipped: ${file} is absent (the conformance checks need ../shared/fixtures)`);
  return undefined;
}

/** ../shared/fixtures, and whether it is there (its README is): the conformance suites skip without it. */
export const fixturesDir = path.join(sharedDir, 'fixtures');
export const fixturesPresent = existsSync(path.join(fixturesDir, 'README.md'));
