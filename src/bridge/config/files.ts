import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, lstatSync, openSync, readFileSync, statSync, unlinkSync, type Stats } from 'node:fs';
import path from 'node:path';
import { BridgeConfig } from './schema';

// The files the configuration names, checked when it is loaded rather than when first used: a CA file
// read only as the HTTP stack starts, or a state folder made only as SQLite opens, would otherwise stop
// the bridge with a bare ENOENT or EEXIST that names no setting.

/** The settings that name files; one left out (invalid, or the YAML unread) is not looked at. */
export interface NamedFiles {
  bitbucket: { caFile?: string | undefined };
  pandev: { caFile?: string | undefined };
  bridge: { db?: string | undefined };
}

/**
 * The file settings of merged, unchecked settings, each as its own schema takes it: looked at even when
 * other settings are wrong, so a BRIDGE_DB no folder can hold is not news at the start after those are fixed.
 */
export function namedFiles(raw: Record<string, Record<string, unknown> | undefined>): NamedFiles {
  const { bitbucket, pandev, bridge } = BridgeConfig.shape;
  return {
    bitbucket: { caFile: bitbucket.shape.caFile.safeParse(raw.bitbucket?.caFile).data },
    pandev: { caFile: pandev.shape.caFile.safeParse(raw.pandev?.caFile).data },
    bridge: { db: bridge.shape.db.safeParse(raw.bridge?.db).data },
  };
}

/** Problems with the CA files and the state database's folder, each naming where to fix it. */
export function fileProblems(files: NamedFiles, where: (path: string) => string): string[] {
  const problems: string[] = [];
  for (const [key, file] of [['bitbucket.caFile', files.bitbucket.caFile], ['pandev.caFile', files.pandev.caFile]] as const) {
    if (file === undefined) continue;
    const problem = caProblem(file);
    if (problem) problems.push(`${where(key)}=${file}: ${problem}`);
  }
  if (files.bridge.db === undefined) return problems;
  const db = dbProblem(path.resolve(files.bridge.db));
  if (db) problems.push(`${where('bridge.db')}=${files.bridge.db}: ${db}`);
  return problems;
}

function caProblem(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return `cannot be read (${code(error)}); give the path of a PEM file with the CA certificate`;
  }
  return text.includes('-----BEGIN CERTIFICATE-----') ? undefined : 'holds no PEM certificate (-----BEGIN CERTIFICATE-----); give the CA certificate in PEM form';
}

/** The database file is created (with its folders) at start: the nearest existing folder must let us. */
function dbProblem(file: string): string | undefined {
  const existing = stat(file);
  if (existing?.isDirectory()) return 'is a folder; give a file path, e.g. /var/lib/pandev-bridge/state.db';
  if (existing && !writable(file)) return 'is not writable by this user; fix its owner or mode (0600)';
  // WAL mode writes -wal and -shm files beside the database: a writable file in a read-only folder
  // would pass here and fail at the first write with SQLite's bare 'attempt to write a readonly database'.
  if (existing) return folderProblem(path.dirname(file), "SQLite keeps its -wal and -shm files beside the state file, so give the bridge's user the folder (mode 0700)");
  let folder = path.dirname(file);
  for (let found = stat(folder); !found; found = stat(folder)) {
    if (lstat(folder)?.isSymbolicLink()) return `${folder} is a symbolic link to something missing (an unmounted volume?); mount what it points to, or point BRIDGE_DB at a file elsewhere`;
    const parent = path.dirname(folder);
    if (parent === folder) return 'has no existing folder above it';
    folder = parent;
  }
  if (!stat(folder)!.isDirectory()) return `${folder} is a file, not a folder; point it at a file inside a folder`;
  return folderProblem(folder, 'create the state folder for it (mode 0700)');
}

/**
 * Whether this user can add files to `folder`, found by adding one and removing it: access(2) says yes
 * to root in /proc, where mkdir then answers ENOENT (and Node's recursive mkdir spins on it for ever,
 * state/state-folder.ts), and to a folder this user may write but not enter. Nothing is left behind.
 */
function folderProblem(folder: string, grant: string): string | undefined {
  const probe = path.join(folder, `.pandev-bridge-check-${randomBytes(6).toString('hex')}`);
  try {
    closeSync(openSync(probe, 'wx', 0o600));
  } catch (error) {
    const reason = code(error);
    if (reason === 'EACCES' || reason === 'EPERM') return `the folder ${folder} is not writable by this user; ${grant}`;
    if (reason === 'EROFS') return `the folder ${folder} is on a read-only filesystem; point it at a file on a writable volume, e.g. /var/lib/pandev-bridge/state.db`;
    if (reason === 'ENOENT') return `the folder ${folder} takes no new files or folders (a special filesystem, such as /proc or /sys); point it at a file in a folder of its own, e.g. /var/lib/pandev-bridge/state.db`;
    return `writing in the folder ${folder} failed (${reason}); point it at a file in a folder this user can write, e.g. /var/lib/pandev-bridge/state.db`;
  }
  unlinkSync(probe);
  return undefined;
}

/**
 * Says (never with the content) when a secret file can be read by others than the bridge. A group that
 * can read it is fine when it is the bridge's own group: Kubernetes mounts secrets readable by the pod's
 * fsGroup (deploy/kubernetes uses 0440).
 */
export function secretFileWarning(file: string, where: string): string | undefined {
  const info = stat(file);
  if (!info) return undefined;
  const others = (info.mode & 0o004) !== 0;
  const foreignGroup = (info.mode & 0o040) !== 0 && info.gid !== process.getgid?.();
  if (!others && !foreignGroup) return undefined;
  const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
  return `${where}=${file} is readable by ${others ? 'every user' : 'its group'} (mode ${mode}): chmod 600 it (or 0440 with the bridge's own group)`;
}

function stat(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function lstat(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch {
    return undefined;
  }
}

function writable(file: string): boolean {
  try {
    accessSync(file, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function code(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}
