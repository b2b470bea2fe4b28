import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/load';
import type { BridgeConfig } from '../config/schema';

// What the bridge's commands share: the --config option, the environment help text, exit codes an
// operator's script can branch on (0 fine, 1 a failure `check` or the command found, 2 configuration,
// 3 stopped by SIGTERM or SIGINT before it was done: running it again resumes), and the stop signals.

export const EXIT = { ok: 0, failed: 1, config: 2, stopped: 3 } as const;

export interface StopSignals {
  readonly signal: AbortSignal;
  /** The signal that asked for the stop, if one did. */
  received(): NodeJS.Signals | undefined;
  dispose(): void;
}

/**
 * SIGTERM (a service manager, a Kubernetes eviction) and SIGINT (Ctrl-C) as one AbortSignal. Listening
 * replaces their default action, which ends the process on the spot with the attempts in flight never
 * recorded. A second signal while stopping is ignored with a message: the stop is bounded anyway, well
 * inside the 30 s before a SIGKILL, and ending it early would lose what it waits for.
 */
export function stopSignals(messages: { first: string; again: string }): StopSignals {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (name: NodeJS.Signals) => {
    if (received) return void console.error(`${name}: ${messages.again}`);
    received = name;
    console.error(`${name}: ${messages.first}`);
    controller.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    signal: controller.signal,
    received: () => received,
    dispose() {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}

export interface ConfigFlags {
  config?: string;
}

export function withConfigOption(command: Command): Command {
  return command.option('--config <file>', 'YAML configuration file (environment variables override it)').addHelpText('after', ENV_HELP);
}

export function configFrom(flags: ConfigFlags): BridgeConfig {
  return loadConfig({ ...(flags.config ? { file: flags.config } : {}) });
}

/** Runs a command body, turning configuration problems into their list and exit code 2. */
export function action<A extends unknown[]>(body: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await body(...args);
      if (code) process.exitCode = code;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      console.error(error.message);
      process.exitCode = EXIT.config;
    }
  };
}

const ENV_HELP = `
Configuration (environment variables override the YAML file; tokens are never command-line flags):
  BITBUCKET_EDITION        datacenter | cloud
  BITBUCKET_URL            Data Center: the bare host, e.g. https://bitbucket.example.com
                           Cloud: https://api.bitbucket.org
  BITBUCKET_CONTEXT_PATH   Data Center under a path of its host, e.g. /bitbucket
  BITBUCKET_TOKEN[_FILE]   Data Center personal access token; Cloud API token or access token
  BITBUCKET_USERNAME       Cloud API tokens: the Atlassian account email (Basic auth)
  BITBUCKET_WORKSPACE      Cloud: the workspace slug
  BITBUCKET_PROJECTS       comma-separated project key globs, !glob to exclude (default: all)
  BITBUCKET_REPOS          comma-separated PROJECT/slug globs, !glob to exclude (default: all)
  BITBUCKET_CA_FILE        PEM file of the CA that signed Bitbucket's certificate
  BITBUCKET_ALLOW_HTTP     1: accept an http:// BITBUCKET_URL off this host (the PAT then travels in clear text)
  BITBUCKET_REQUESTS_PER_SECOND  steady cap on requests to Bitbucket (default 5: Data Center's bucket refills 5/s)
  BITBUCKET_CONCURRENCY    requests to Bitbucket in flight at once (default 4)
  BITBUCKET_REQUESTS_PER_HOUR  Cloud: the token's allowance per rolling hour (default 1000)
  PANDEV_URL               PanDev's base URL
  PANDEV_TOKEN[_FILE]      PanDev ingest token
  PANDEV_SIGNING_SECRET[_FILE]  shared secret of the X-Hub-Signature PanDev verifies
  PANDEV_CA_FILE           PEM file of the CA that signed PanDev's certificate
  PANDEV_ALLOW_HTTP        1: accept an http:// PANDEV_URL off this host (token and bodies then travel in clear text)
  BRIDGE_DB                SQLite state file (default ./pandev-bridge.db, created with mode 0600)
  BRIDGE_POLL_SECONDS      seconds between poll passes (default 60)
  BRIDGE_BACKFILL_DAYS     history replayed on the first pass (default 30)
  BRIDGE_LISTEN            host:port of /healthz, /metrics and /webhooks/bitbucket (default 127.0.0.1:9464)
  BRIDGE_WEBHOOK_LISTEN    host:port of /webhooks/bitbucket alone, e.g. 0.0.0.0:9465; BRIDGE_LISTEN then
                           serves /healthz and /metrics only and can stay on 127.0.0.1 (default: unset)
  BRIDGE_ALLOWED_HOSTS     host names /healthz and /metrics answer besides addresses and localhost, e.g. a
                           DNS name Prometheus scrapes; other Host headers get 421 (DNS rebinding) (default: none)
  BRIDGE_SHARD             i/n: this bridge polls the i-th of n shares of the repositories (default 0/1)
  BRIDGE_WEBHOOK_SECRET[_FILE]  secret of the Data Center webhook (webhooks are refused without it)
  BRIDGE_WEBHOOK_BACKLOG   webhooks saved and not yet handled before more get 503 (default 10000)
  BRIDGE_LOG_LEVEL         debug | info | warn | error (default info)`;
