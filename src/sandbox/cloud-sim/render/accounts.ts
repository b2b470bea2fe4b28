import type { SimUser } from '../model/types';
import { isoApi } from '../util/time';
import { avatar, encodeUuid, HTML, link, type JsonObject, type RenderContext } from './context';

/** The account object embedded everywhere (authors, reviewers, actors). `username` is gone since 2019. */
export function account(ctx: RenderContext, user: SimUser): JsonObject {
  const links = {
    self: link(`${ctx.api}/users/${encodeUuid(user.uuid)}`),
    avatar: link(avatar(user)),
    html: link(`${HTML}/${encodeUuid(user.uuid)}/`),
  };
  if (user.kind === 'app') {
    return { display_name: user.displayName, links, type: 'app_user', uuid: user.uuid, account_id: user.accountId, account_status: 'active' };
  }
  return { display_name: user.displayName, links, type: 'user', uuid: user.uuid, account_id: user.accountId, nickname: user.nickname };
}

/** `GET /user` and `GET /users/{selected_user}` return a few more fields than the embedded form. */
export function accountDetail(ctx: RenderContext, user: SimUser): JsonObject {
  const base = account(ctx, user);
  return {
    ...base,
    links: { ...(base.links as JsonObject), repositories: link(`${ctx.api}/repositories/${encodeUuid(user.uuid)}`) },
    created_on: isoApi(user.createdOn),
    account_status: 'active',
    is_staff: false,
    location: null,
  };
}
