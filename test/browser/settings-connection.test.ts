import type { Page } from 'playwright-core';
import { AsyncEventQueue } from '../../src/sandbox/forge-host/queue';
import { PING_EVENT_KEY } from '../../src/core/admin/check';
import { until } from '../e2e/settings-helpers';
import { browserSandbox, saveConnection, type BrowserSandbox } from './helpers';
import { PATIENT_PANDEV_MS } from '../e2e/helpers';

// The Connection part under the conditions the happy path never meets: a slow check, an activation
// that fails part way, and Generate on a connection already in use.

let env: BrowserSandbox;
let tab: Page;
beforeAll(async () => {
  // PanDev's scripted answers must reach the check, not an attempt a loaded machine timed out at 400 ms.
  env = await browserSandbox({ simulator: { repositories: 3, pullRequestsPerRepository: 1 }, liveEvents: false, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS } });
  tab = await env.open();
  await tab.getByText('Disconnected', { exact: true }).waitFor();
  const { sb } = env;
  await saveConnection(tab, { baseUrl: sb.pandev.url, token: sb.pandev.token, signingSecret: sb.pandev.signingSecret });
});
afterAll(() => env.stop());

const button = (name: string) => tab.getByRole('button', { name, exact: true });

it('keeps every connection button disabled while a check runs', async () => {
  const { sb } = env;
  // Bitbucket is slow to answer the check's workspace read: the check is in flight until it does.
  const faulted = sb.simulator.stats().faulted;
  sb.simulator.faults.add({ path: '^/2\\.0/workspaces/[^/]+$', latencyMs: 2000, times: 1 });
  await button('Check connection').click();
  await until(() => sb.simulator.stats().faulted > faulted);
  for (const name of ['Save', 'Generate', 'Activate']) expect({ name, disabled: await button(name).isDisabled() }).toEqual({ name, disabled: true });
  await tab.getByRole('heading', { name: 'PanDev answered 200' }).waitFor();
  expect(await button('Save').isEnabled()).toBe(true);
  expect(await button('Activate').isEnabled()).toBe(true);
});

it('reports Activate as done when only queueing the backfill failed: the five-minute tick starts it', async () => {
  // Activation is recorded, then the platform refuses to queue the backfill's first piece.
  const push = AsyncEventQueue.prototype.push;
  const spy = jest.spyOn(AsyncEventQueue.prototype, 'push').mockImplementation(function (this: AsyncEventQueue, ...args: Parameters<AsyncEventQueue['push']>) {
    if (args[2].some((event) => typeof event.body === 'object' && event.body !== null && 'backfill' in event.body)) throw new Error('simulated platform failure');
    return push.apply(this, args);
  });
  try {
    await button('Activate').click();
    await tab.getByText('Activated. Events are forwarded from now on; backfill requested for 3 repositories.').waitFor();
    await tab.getByText('Active', { exact: true }).waitFor();
    expect(await button('Activate').isDisabled()).toBe(true);
    expect(await tab.getByRole('heading', { name: 'That did not work' }).count()).toBe(0);
  } finally {
    spy.mockRestore();
  }
});

it('asks before Generate replaces the secret of an active connection', async () => {
  const { sb } = env;
  const help = tab.locator('#signingSecret-help');
  await button('Generate').click();
  await tab.getByTestId('replace-secret').filter({ hasText: 'PanDev refuses them' }).waitFor();
  expect(await help.innerText()).toContain(`Saved, ends in ${sb.pandev.signingSecret.slice(-4)}.`);
  await button('Cancel').click();
  await tab.getByTestId('replace-secret').waitFor({ state: 'detached' });
  expect(await help.innerText()).toContain(`Saved, ends in ${sb.pandev.signingSecret.slice(-4)}.`);

  await button('Generate').click();
  await button('Replace the secret').click();
  const secret = await tab.getByTestId('generated-secret').innerText();
  expect(secret).not.toBe(sb.pandev.signingSecret);
  expect(await help.innerText()).toContain(`Saved, ends in ${secret.slice(-4)}.`);

  // PanDev's own secret pasted and saved over it: the generated one is no longer to be copied anywhere.
  await tab.getByLabel('Signing secret').fill(sb.pandev.signingSecret);
  await button('Save').click();
  await tab.getByText(`Saved, ends in ${sb.pandev.signingSecret.slice(-4)}.`, { exact: false }).waitFor();
  expect(await tab.getByTestId('generated-secret').count()).toBe(0);
});

it('does not check the saved settings while the form shows other, unsaved ones', async () => {
  const { sb } = env;
  const url = tab.getByLabel('PanDev URL');
  // Checked as it stood, the saved URL's "PanDev answered 200" read as the new address working.
  await url.fill('https://pandev.example.com');
  expect(await button('Check connection').isDisabled()).toBe(true);
  await tab.getByText('Save your changes first: Check connection checks the saved settings.').waitFor();
  await url.fill(sb.pandev.url);
  await tab.getByLabel('Ingest token').fill('a-new-token-not-saved');
  expect(await button('Check connection').isDisabled()).toBe(true);
  await tab.getByLabel('Ingest token').fill('');
  expect(await button('Check connection').isEnabled()).toBe(true);
  expect(await tab.getByText('Save your changes first', { exact: false }).count()).toBe(0);
});

it('says a firewall\'s 403 page stands in front of PanDev, instead of quoting its HTML', async () => {
  const { sb } = env;
  // What a web application firewall answers a request from an address it does not allow.
  const page = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Access denied | pandev.example.com used Cloudflare to restrict access</title></head><body><div class="cf-error">${'x'.repeat(400)}</div></body></html>`;
  sb.sink.respondNext(403, 1, page, PING_EVENT_KEY);
  await button('Check connection').click();
  await tab.getByRole('heading', { name: /403/ }).waitFor();
  const text = await tab.getByTestId('check-results').innerText();
  expect({ heading: await tab.getByRole('heading', { name: /403/ }).innerText(), html: /<html|<head|doctype/i.test(text), text }).toEqual({
    heading: 'A web page answered 403, not PanDev',
    html: false,
    text: expect.stringMatching(/\("Access denied \| pandev\.example\.com used Cloudflare to restrict access"\)[^]*firewall or proxy in front of PanDev/),
  });
});
