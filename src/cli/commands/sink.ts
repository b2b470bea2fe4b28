import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { startPanDevSink, type Delivery, type Rejection } from '../../sandbox/pandev-sink';
import { listening, port } from './options';

// `pandev-bitbucket sink`: a local PanDev receiver for the sandbox. The secrets it takes are sandbox
// secrets, so reading them from the environment as a fallback is a convenience, not a leak.

interface SinkFlags {
  port: number;
  secret?: string;
  token?: string;
}

function deliveryLine(d: Delivery): string {
  return `${new Date(d.receivedAt).toISOString()} ${d.eventKey} ${d.id} attempt ${d.attempt}`;
}

function rejectionLine(r: Rejection): string {
  const what = r.headers['x-event-key'] ?? '-';
  return `${new Date().toISOString()} rejected ${r.status || 'dropped'} ${what} ${r.headers['x-request-uuid'] ?? '-'}: ${r.reason}`;
}

export function registerSink(program: Command): void {
  program
    .command('sink')
    .description('run a local PanDev receiver: verifies signatures, deduplicates and prints each delivery')
    .option('--port <n>', 'port on 127.0.0.1, 0 for any free port', port, 4321)
    .option('--secret <s>', 'signing secret; better set PANDEV_SIGNING_SECRET or PANDEV_SIGNING_SECRET_FILE, as other users see flags in `ps`')
    .option('--token <t>', 'ingest token to require (none: any); better set PANDEV_TOKEN or PANDEV_TOKEN_FILE')
    .action(async (flags: SinkFlags) => {
      const secret = flags.secret ?? fromEnv('PANDEV_SIGNING_SECRET');
      if (!secret) throw new Error('sink needs a signing secret: set PANDEV_SIGNING_SECRET or PANDEV_SIGNING_SECRET_FILE (or pass --secret), the same the bridge or app signs with');
      const sink = await listening(startPanDevSink({
        port: flags.port,
        secret,
        token: flags.token ?? fromEnv('PANDEV_TOKEN'),
        onDelivery: (d) => console.log(deliveryLine(d)),
        onReject: (r) => console.log(rejectionLine(r)),
      }), flags.port);
      console.log(`PanDev sink on ${sink.url} (ingest /v1/bitbucket/webhook/{merge-request,repository}, admin /_sink/)`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await sink.stop();
    });
}

/** The variable, or the file its `_FILE` twin names: the bridge's quickstart exports the files. */
function fromEnv(name: string): string | undefined {
  const file = process.env[`${name}_FILE`];
  if (process.env[name] || !file) return process.env[name] || undefined;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    // A bare ENOENT or EISDIR names neither the variable nor what to do.
    throw new Error(`${name}_FILE=${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); give the path of a readable file holding the value alone, the one the bridge reads`, { cause: error });
  }
}
