/* eslint-disable @typescript-eslint/no-explicit-any -- admin API answers are typed by the caller */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { ForgeEvent } from '../src/sandbox/cloud-sim';
import type { Delivery } from '../src/sandbox/pandev-sink';

// The benchmark's view of the peers process: its addresses, and the simulator's and receiver's admin
// HTTP APIs (the same ones `pandev-bitbucket sim cloud` and `sink` serve).

export interface Peers {
  simulator: { url: string; workspaceUuid: string; appToken: string; users: Array<{ accountId: string; token: string }>; repositories: string[] };
  pandev: { url: string; token: string; signingSecret: string };
  act(name: string, args: Record<string, unknown>): Promise<{ events: ForgeEvent[] } & Record<string, unknown>>;
  simulatorRequests(): Promise<number>;
  resetSimulatorStats(): Promise<void>;
  deliveries(): Promise<Delivery[]>;
  clearDeliveries(): Promise<void>;
  stop(): void;
}

export async function startPeers(options: { repositories?: number; seed?: string; pullRequestsPerRepository?: number } = {}): Promise<Peers> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'peers.ts'), JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench peers exited with ${code}`)));
  });
  const info = JSON.parse(first) as Pick<Peers, 'simulator' | 'pandev'>;
  const json = async <T = any>(url: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(url, init);
    if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`);
    return (response.status === 204 ? undefined : await response.json()) as T;
  };
  return {
    ...info,
    act: (name, args) => json(`${info.simulator.url}/_sim/actions/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(args) }),
    simulatorRequests: async () => ((await json(`${info.simulator.url}/_sim/stats`)) as { total: number }).total,
    resetSimulatorStats: async () => void (await json(`${info.simulator.url}/_sim/stats/reset`, { method: 'POST' })),
    deliveries: () => json(`${info.pandev.url}/_sink/deliveries`),
    clearDeliveries: async () => void (await json(`${info.pandev.url}/_sink/deliveries`, { method: 'DELETE' })),
    stop: () => void child.kill(),
  };
}
