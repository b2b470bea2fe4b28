// What the renderers need: the model and where the simulator's REST API lives. API links point at the
// simulator (so clients can follow them); `html` links point at a bitbucket.org that is never contacted.
import type { SimModel } from '../model/state';
import type { Repository, SimUser } from '../model/types';

export type JsonObject = { [key: string]: unknown };

export interface RenderContext {
  model: SimModel;
  /** e.g. `http://127.0.0.1:54321/2.0` */
  api: string;
}

export const HTML = 'https://bitbucket.org';

export const link = (href: string): { href: string } => ({ href });

/** Brace-wrapped UUIDs appear percent-encoded in Bitbucket's links. */
export const encodeUuid = (uuid: string): string => encodeURIComponent(uuid);

export function repoApi(ctx: RenderContext, repo: Repository): string {
  return `${ctx.api}/repositories/${ctx.model.workspace.slug}/${repo.slug}`;
}

export function repoHtml(ctx: RenderContext, repo: Repository): string {
  return `${HTML}/${ctx.model.workspace.slug}/${repo.slug}`;
}

export function avatar(user: SimUser): string {
  const initials = user.displayName.split(' ').map((part) => part[0] ?? '').join('').toUpperCase();
  return `https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/initials/${initials}-${user.nickname.length % 6}.png`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Bitbucket's rendered-markup object; the HTML is a plain paragraph rendering, enough for clients. */
export function rendered(raw: string): JsonObject {
  const paragraphs = raw.trim().split(/\n{2,}/).filter((paragraph) => paragraph.length > 0);
  return { type: 'rendered', raw, markup: 'markdown', html: paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n') };
}
