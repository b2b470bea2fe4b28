import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSettingsPage, type SettingsPage } from '../../src/sandbox/settings-page/server';
import { testSandbox, type TestSandbox } from '../e2e/helpers';

/** A sandbox with the settings page server in front of its host, serving a stub page from a folder of its own. */
export async function sandboxWithPage(options: Parameters<typeof testSandbox>[0], label: string): Promise<{ sb: TestSandbox; page: SettingsPage; stop: () => Promise<void> }> {
  const sb = await testSandbox(options);
  const dir = mkdtempSync(path.join(tmpdir(), `${label}-`));
  writeFileSync(path.join(dir, 'index.html'), '<div id="root"></div>');
  const accounts = { admin: sb.simulator.credentials.admin.user.account_id as string, member: sb.simulator.credentials.member.user.account_id as string };
  const page = await startSettingsPage({ hostUrl: sb.host.url, accounts, dir, cardDir: dir });
  return {
    sb,
    page,
    stop: async () => {
      await page.stop();
      await sb.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
