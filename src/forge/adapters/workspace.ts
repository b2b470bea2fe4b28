// Forge names the installation's workspace only in the invocation context, as an ARI:
// `ari:cloud:bitbucket::workspace/<uuid>`. Bitbucket's API takes the UUID in braces.

export function workspaceFromContext(context: unknown): string | undefined {
  const installContext = context && typeof context === 'object' && 'installContext' in context ? context.installContext : undefined;
  const match = typeof installContext === 'string' ? /workspace\/([0-9a-f-]{36})$/i.exec(installContext) : null;
  return match ? `{${match[1]!.toLowerCase()}}` : undefined;
}
