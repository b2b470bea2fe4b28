import { setGlobalTheme } from '@atlaskit/tokens/set-global-theme';

// view.theme.enable() for the sandbox builds. In Bitbucket, Forge puts the user's theme on the
// frame's html element (data-color-mode, data-theme) and loads the tokens' themes; here the page's
// `?theme=dark` asks for what Bitbucket would give, and setGlobalTheme writes the same attributes.
export function enableTheme(): Promise<void> {
  const dark = new URLSearchParams(window.location.search).get('theme') === 'dark';
  return setGlobalTheme({ colorMode: dark ? 'dark' : 'light' }).then(() => undefined);
}
