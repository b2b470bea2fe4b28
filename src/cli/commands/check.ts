import type { Command } from 'commander';
import { checkCloud, checkDatacenter } from '../../bridge/check/bitbucket';
import { describeFindings } from '../../bridge/check/pandev';
import { checkPanDev } from '../../bridge/check/pandev';
import { action, configFrom, EXIT, withConfigOption, type ConfigFlags } from '../../bridge/cli/support';
import { clearPause, RESUME_LOOK_SECONDS } from '../../bridge/state/connection';
import { waitingWords } from '../../core/deliver/lift-pause';
import type { KeptDeliveries } from '../../core/pipeline/sweep';
import { bitbucketHttp } from '../../bridge/http/setup';
import { plural } from '../../core/words';

// `pandev-bitbucket check`: can the bridge read Bitbucket and deliver to PanDev? Prints what it found,
// with what to do about each problem, and exits non-zero when anything is wrong.

export function registerCheck(program: Command): void {
  withConfigOption(
    program
      .command('check')
      .description('check the configuration, the Bitbucket token and the PanDev connection; exit 1 on any problem'),
  ).action(
    action(async (flags: ConfigFlags) => {
      const config = configFrom(flags);
      const http = bitbucketHttp(config);
      try {
        const findings = config.bitbucket.edition === 'cloud' ? await checkCloud(config, http) : await checkDatacenter(config, http);
        findings.push(await checkPanDev(config));
        const ok = findings.every((f) => f.ok);
        // PanDev's 410, web page or refused token paused deliveries until someone checks again: this is that check.
        const lifted = await clearPause(config, ok);
        if (lifted) findings.push({ ok: true, title: resumedTitle(lifted.kept) });
        console.log(describeFindings(findings));
        return ok ? EXIT.ok : EXIT.failed;
      } finally {
        http.close();
      }
    }),
  );
}

/** What the check that lifted the pause left for the bridge to send, now and at the retries' planned times. */
function resumedTitle(kept: KeptDeliveries | undefined): string {
  const lifted = 'deliveries PanDev paused earlier are resumed';
  if (!kept) return `${lifted}: the outbox keeps them; the bridge's outbox sweep sends them within about ten minutes, a stopped bridge as it starts`;
  const due = `${lifted}: ${plural(kept.due, 'kept delivery', 'kept deliveries')} in the outbox; a running bridge starts sending them within ${RESUME_LOOK_SECONDS} seconds, a stopped one as it starts`;
  if (!kept.waiting) return due;
  return `${due}; ${waitingWords(kept, Date.now())}: the bridge sends ${kept.waiting === 1 ? 'it' : 'them'} then (a stopped one, then or as it starts, whichever is later)`;
}
