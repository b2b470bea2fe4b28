// Matches request paths against the spec's path templates. Segments are matched raw and decoded one by
// one, so a percent-encoded `/` in a branch name stays inside its parameter. Shared: generic over the
// route shape, so each simulator routes its own handlers (Cloud's Route, Data Center's DcRoute) with it.

/** What the router needs of a route; the handler type is the caller's. */
export interface RouteShape {
  method: string;
  template: string;
}

type Segment = { literal: string } | { param: string; rest: boolean };

interface Compiled<R extends RouteShape> {
  route: R;
  segments: Segment[];
}

export interface RouteMatch<R extends RouteShape> {
  route: R;
  params: Record<string, string>;
}

const split = (path: string): string[] => path.replace(/\/+$/, '').split('/').slice(1);

function compile<R extends RouteShape>(route: R): Compiled<R> {
  const segments = split(route.template).map((part): Segment => {
    const param = /^\{(\w+)(\+?)\}$/.exec(part);
    return param ? { param: param[1] as string, rest: param[2] === '+' } : { literal: part };
  });
  return { route, segments };
}

function decode(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

function matchSegments(segments: readonly Segment[], parts: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as Segment;
    if ('param' in segment && segment.rest) {
      const value = decode(parts.slice(i).join('/'));
      if (!value || i >= parts.length) return undefined;
      params[segment.param] = value;
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if ('literal' in segment) {
      if (segment.literal !== part) return undefined;
      continue;
    }
    const value = decode(part);
    if (!value) return undefined;
    params[segment.param] = value;
  }
  return segments.length === parts.length ? params : undefined;
}

/** The stats label of a route: its method and spec template (`GET /repositories/{workspace}`). */
export const routeLabel = (route: RouteShape): string => `${route.method} ${route.template.replace(/\+\}/g, '}')}`;

export class Router<R extends RouteShape> {
  private readonly compiled: Compiled<R>[];

  constructor(routes: readonly R[]) {
    this.compiled = routes.map((route) => compile(route));
  }

  /** The first route (in table order) whose template matches; `methodAllowed` is false on a 405. */
  match(method: string, pathname: string): (RouteMatch<R> & { methodAllowed: boolean }) | undefined {
    const parts = split(pathname);
    let pathOnly: RouteMatch<R> | undefined;
    for (const { route, segments } of this.compiled) {
      const params = matchSegments(segments, parts);
      if (!params) continue;
      if (route.method === method) return { route, params, methodAllowed: true };
      pathOnly ??= { route, params };
    }
    return pathOnly ? { ...pathOnly, methodAllowed: false } : undefined;
  }
}
