import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KvsSnapshot } from './kvs-store';
import type { QueuedEvent } from './queue';

// Optional persistence: storage and pending async events in one JSON file, so a restarted host keeps
// the app's state and resumes delayed events. Writes are coalesced (at most one a second:
// the whole state is rewritten, and a busy app changes it thousands of times a second) and atomic
// (temp file + rename), so a crash leaves either the old file or the new one; stop() writes the last.

const SAVE_EVERY_MS = 1000;

export interface HostSnapshot {
  version: 1;
  kvs: KvsSnapshot;
  queue: QueuedEvent[];
}

export function loadSnapshot(file: string | undefined): HostSnapshot | undefined {
  if (!file || !existsSync(file)) return undefined;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<HostSnapshot>;
  if (parsed.version !== 1) throw new Error(`${file}: not a local Forge host state file (version ${String(parsed.version)})`);
  return { version: 1, kvs: parsed.kvs ?? {}, queue: parsed.queue ?? [] };
}

export class StateFile {
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly file: string | undefined,
    private readonly snapshot: () => HostSnapshot,
  ) {}

  scheduleSave(): void {
    if (!this.file || this.scheduled || this.closed) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      this.saveNow();
    }, SAVE_EVERY_MS).unref();
  }

  saveNow(): void {
    if (!this.file || this.closed) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    // The installation's secrets are in it: its owner's only, whatever the umask.
    writeFileSync(temp, JSON.stringify(this.snapshot()), { mode: 0o600 });
    chmodSync(temp, 0o600);
    renameSync(temp, this.file);
  }

  /** Writes the final state; later changes (a straggling invocation) are not persisted. */
  close(): void {
    this.saveNow();
    this.closed = true;
  }
}
