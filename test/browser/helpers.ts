import AxeBuilder from '@axe-core/playwright';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page, type Route } from 'playwright-core';
import { startSettingsPage, type SettingsPage } from '../../src/sandbox/settings-page/server';
import type { SandboxOptions } from '../../src/sandbox/sandbox';
import { testSandbox, type TestSandbox } from '../e2e/helpers';

// The settings page and the pull request card in real headless Chromium (Debian's, driven by
// playwright-core), served by the sandbox's page server against the real app on the local Forge host,
// the simulator and the receiver.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The Atlassian theme the page is shown in: Forge sets it on the frame's html element, the sandbox's bridge from `?theme=`. */
export type Theme = 'light' | 'dark';

export interface BrowserSandbox {
  sb: TestSandbox;
  page: SettingsPage;
  browser: Browser;
  /** A fresh tab on the settings page, as the workspace admin or as a member. */
  open(as?: 'admin' | 'member', theme?: Theme): Promise<Page>;
  /** The card on a pull request of the first repository, in a tab as narrow as Bitbucket's side panel (or in `tab`). */
  openCard(pullRequestId: number, options?: { theme?: Theme; tab?: Page }): Promise<Page>;
  /** A tab as narrow as Bitbucket's side panel, on nothing yet. */
  cardTab(): Promise<Page>;
  stop(): Promise<void>;
}

/** Unconnected unless `connect: true`: most settings page tests start where an admin does. */
export async function browserSandbox(options: SandboxOptions = {}): Promise<BrowserSandbox> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it), or set CHROMIUM_PATH`);
  const sb = await testSandbox({ ...options, connect: options.connect ?? false });
  const accounts = { admin: sb.simulator.credentials.admin.user.account_id as string, member: sb.simulator.credentials.member.user.account_id as string };
  const page = await startSettingsPage({ hostUrl: sb.host.url, accounts });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  // A context per tab: axe-core's Playwright runner needs one it can attach to.
  const newTab = async (width: number, height: number) => (await browser.newContext({ viewport: { width, height } })).newPage();
  const cardTab = () => newTab(320, 640);
  return {
    sb,
    page,
    browser,
    async open(as = 'admin', theme = 'light') {
      const tab = await newTab(1200, 900);
      await tab.goto(`${page.url}?${new URLSearchParams({ ...(as === 'member' ? { as } : {}), theme })}`);
      return tab;
    },
    async openCard(pullRequestId, { theme = 'light', tab } = {}) {
      const target = tab ?? (await cardTab());
      const repository = [...sb.simulator.model.repositories.values()][0]!;
      await target.goto(`${page.url}card/?${new URLSearchParams({ repository: repository.uuid, pullRequest: String(pullRequestId), theme })}`);
      return target;
    },
    cardTab,
    async stop() {
      await browser.close();
      await page.stop();
      await sb.stop();
    },
  };
}

/** Fills the Connection form and saves it. */
export async function saveConnection(tab: Page, values: { baseUrl: string; token?: string; signingSecret?: string }): Promise<void> {
  await tab.getByLabel('PanDev URL').fill(values.baseUrl);
  if (values.token) await tab.getByLabel('Ingest token').fill(values.token);
  if (values.signingSecret) await tab.getByLabel('Signing secret').fill(values.signingSecret);
  await tab.getByRole('button', { name: 'Save', exact: true }).click();
  await tab.getByText('Saved. Check the connection').waitFor();
}

/** Both Custom UI resources' resolver calls, for `tab.route`: the function key in the body says which call it is. */
export const RESOLVER = '**/resolver/*-resolver';

/** Runs `steps` while the page's next call of `functionKey` fails as the platform would answer it; every other call goes through. */
export async function failingOnce(tab: Page, functionKey: string, answer: { status: number; body: unknown }, steps: () => Promise<void>): Promise<void> {
  let failed = false;
  const handler = async (route: Route) => {
    const call = (route.request().postDataJSON() as { call?: { functionKey?: string } }).call;
    if (failed || call?.functionKey !== functionKey) return route.continue();
    failed = true;
    return route.fulfill({ status: answer.status, contentType: 'application/json', body: JSON.stringify(answer.body) });
  };
  await tab.route(RESOLVER, handler);
  try {
    await steps();
  } finally {
    await tab.unroute(RESOLVER, handler);
  }
}

/** Waits until `target` has the focus: the page moves it in an effect, after what it shows is painted. */
export async function focusReaches(target: Locator): Promise<void> {
  const element = await target.elementHandle();
  const page = target.page();
  type Doc = { document: { activeElement: { outerHTML: string } | null } };
  await page.waitForFunction((el) => el === (globalThis as unknown as Doc).document.activeElement, element, { timeout: 10_000 }).catch(async () => {
    const active = await page.evaluate(() => (globalThis as unknown as Doc).document.activeElement?.outerHTML.slice(0, 120));
    throw new Error(`the focus never reached ${target}; it is on ${active}`);
  });
}

/** axe-core's findings that matter here: serious and critical ones. */
export async function seriousViolations(tab: Page): Promise<Array<{ id: string; impact: string; nodes: string[] }>> {
  const { violations } = await new AxeBuilder({ page: tab }).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact ?? '', nodes: v.nodes.slice(0, 3).map((n) => n.html) }));
}

/** Page screenshots for the README, written only when asked (UPDATE_SCREENSHOTS=1), so test runs leave docs/ alone. */
export async function screenshot(tab: Page, name: string): Promise<void> {
  if (!process.env.UPDATE_SCREENSHOTS) return;
  const dir = path.resolve(__dirname, '..', '..', 'docs');
  mkdirSync(dir, { recursive: true });
  await tab.screenshot({ path: path.join(dir, name), fullPage: true });
}

export interface Contrast {
  ratio: number;
  /** The text is lighter than what is behind it: the page is in a dark theme. */
  lightOnDark: boolean;
}

/**
 * WCAG contrast of an element's text colour against what is painted behind it: its ancestors'
 * background colours, each over the one before, over the white a browser paints under a page that
 * sets none. A colour written into the page instead of a design token shows here in the other theme.
 */
export async function textContrast(target: Locator): Promise<Contrast> {
  type Styled = { parentElement: Styled | null };
  const colours = await target.evaluate((element) => {
    const style = (node: Styled) => (globalThis as unknown as { getComputedStyle(node: Styled): { color: string; backgroundColor: string } }).getComputedStyle(node);
    const behind: string[] = [];
    for (let node: Styled | null = element as unknown as Styled; node; node = node.parentElement) behind.unshift(style(node).backgroundColor);
    return { text: style(element as unknown as Styled).color, behind };
  });
  const background = colours.behind.map(rgba).reduce(over, [255, 255, 255, 1]);
  const text = over(background, rgba(colours.text));
  const [lighter, darker] = [luminance(text), luminance(background)].sort((a, b) => b - a) as [number, number];
  return { ratio: (lighter + 0.05) / (darker + 0.05), lightOnDark: luminance(text) > luminance(background) };
}

type Rgba = [number, number, number, number];

/** Chromium's computed colours for sRGB values: `rgb(r, g, b)` or `rgba(r, g, b, a)`. */
function rgba(css: string): Rgba {
  const parts = /^rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)$/.exec(css);
  if (!parts) throw new Error(`a computed colour this check cannot read: ${css}`);
  return [Number(parts[1]), Number(parts[2]), Number(parts[3]), parts[4] === undefined ? 1 : Number(parts[4])];
}

/** `top` painted over the opaque `below`. */
function over(below: Rgba, top: Rgba): Rgba {
  const a = top[3];
  return [0, 1, 2].map((i) => top[i]! * a + below[i]! * (1 - a)).concat(1) as Rgba;
}

function luminance([r, g, b]: Rgba): number {
  const linear = (c: number) => (c / 255 <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}
