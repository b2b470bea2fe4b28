import type { Invoker } from './invoker';
import type { AppManifest } from './manifest';
import type { QueuedEvent } from './queue';
import type { PlatformErrorReport } from './types';

// How each manifest module is invoked, with the arguments Forge passes: a product trigger gets
// (event, context); a consumer gets the AsyncEvent; a scheduled trigger gets { context: { moduleKey } };
// a resolver function gets @forge/resolver's ({ call, context }, backendRuntimePayload).

export class AppModules {
  constructor(
    private readonly manifest: AppManifest,
    private readonly invoker: Invoker,
    private readonly installContext: string,
    private readonly report: (report: PlatformErrorReport) => void,
  ) {}

  private context(accountId?: string): Record<string, unknown> {
    return { installContext: this.installContext, ...(accountId === undefined ? {} : { principal: { accountId } }) };
  }

  private failed(functionKey: string, moduleKey: string, error: unknown): void {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    this.report({ kind: 'invocation-failed', functionKey, moduleKey, message });
  }

  /** Resolves once every subscribed trigger has returned; failures are reported, as Forge only logs them. */
  async fireEvent(event: { eventType: string } & Record<string, unknown>): Promise<void> {
    const triggers = this.manifest.triggers.filter((t) => t.events.includes(event.eventType));
    await Promise.all(
      triggers.map((t) =>
        this.invoker
          .invoke({ functionKey: t.functionKey, moduleKey: t.key, moduleType: 'core:trigger' }, [event, this.context()])
          .catch((error: unknown) => this.failed(t.functionKey, t.key, error)),
      ),
    );
  }

  hasConsumer(queueName: string): boolean {
    return this.manifest.consumers.some((c) => c.queue === queueName);
  }

  deliver(event: QueuedEvent): Promise<unknown> {
    const consumer = this.manifest.consumers.find((c) => c.queue === event.queueName);
    if (!consumer) return Promise.reject(new Error(`no consumer for queue '${event.queueName}'`));
    const { dueAt: _dueAt, ...asyncEvent } = event;
    // The consumer runs in its event's lineage: its pushes count against the same origin.
    const origin = event.origin ?? event.eventId;
    return this.invoker.invoke({ functionKey: consumer.functionKey, moduleKey: consumer.key, moduleType: 'core:consumer', origin }, [
      asyncEvent,
      this.context(),
    ]);
  }

  async runScheduled(key?: string): Promise<void> {
    const triggers = this.manifest.scheduled.filter((s) => key === undefined || s.key === key);
    if (key !== undefined && triggers.length === 0) throw new Error(`manifest.yml has no scheduledTrigger '${key}'`);
    await Promise.all(
      triggers.map((s) =>
        this.invoker
          .invoke({ functionKey: s.functionKey, moduleKey: s.key, moduleType: 'core:scheduledTrigger' }, [
            { context: { moduleKey: s.key } },
            this.context(),
          ])
          .catch((error: unknown) => this.failed(s.functionKey, s.key, error)),
      ),
    );
  }

  /** Rejects with the resolver's own error, as @forge/bridge's invoke() would. */
  invokeResolver(functionKey: string, name: string, payload: unknown, opts: { accountId: string; extension?: unknown }): Promise<unknown> {
    const ui = this.manifest.resolvers.find((r) => r.functionKey === functionKey);
    if (!ui) return Promise.reject(new Error(`no UI module in manifest.yml uses function '${functionKey}' as its resolver`));
    const request = {
      call: { functionKey: name, payload },
      context: {
        accountId: opts.accountId,
        moduleKey: ui.moduleKey,
        extension: opts.extension ?? { type: ui.moduleType },
        environmentType: 'DEVELOPMENT',
      },
    };
    const spec = { functionKey, moduleKey: ui.moduleKey, moduleType: ui.moduleType, accountId: opts.accountId };
    return this.invoker.invoke(spec, [request, this.context(opts.accountId)]);
  }
}
