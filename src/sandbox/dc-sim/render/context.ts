// What the renderers need: the model, the instance's base URL (with its context path) for links, and
// the date format of the version being simulated.
import type { DcModel } from '../model/state';
import type { DateFormat } from '../util/dates';

export type JsonObject = { [key: string]: unknown };

export interface RenderContext {
  model: DcModel;
  /** e.g. `http://127.0.0.1:7990/bitbucket`; links are absolute, as Data Center prints them. */
  base: string;
  /** Host and port of the (never contacted) SSH endpoint in clone links. */
  sshHost: string;
  dateFormat: DateFormat;
}

/** Data Center links are lists of `{href}` (clone links add a `name`). */
export const selfLink = (href: string): { self: { href: string }[] } => ({ self: [{ href }] });
