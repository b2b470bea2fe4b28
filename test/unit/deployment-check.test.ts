import { deploymentCheckDue } from '../../src/core/reconcile/reconcile-repository';

// When the reconciliation reads a repository's deployments (a request of its own, with no cheaper
// proof of "nothing deployed").

const HOUR = 3_600_000;
const now = Date.parse('2026-11-26T12:00:00Z');

it('reads them on a repository\'s first pass and after every push', () => {
  expect(deploymentCheckDue({ now, pushed: false })).toBe(true);
  expect(deploymentCheckDue({ now, pushed: true, lastCheckAt: now - 60_000, lastActivityAt: now - 30 * 24 * HOUR })).toBe(true);
});

it('looks hourly for a day after news in the repository', () => {
  const active = { now, pushed: false, lastActivityAt: now - 23 * HOUR };
  expect(deploymentCheckDue({ ...active, lastCheckAt: now - 59 * 60_000 })).toBe(false);
  expect(deploymentCheckDue({ ...active, lastCheckAt: now - HOUR })).toBe(true);
});

it('looks daily in a repository quiet for longer, or never active', () => {
  for (const lastActivityAt of [now - 25 * HOUR, undefined]) {
    expect(deploymentCheckDue({ now, pushed: false, lastActivityAt, lastCheckAt: now - 23 * HOUR })).toBe(false);
    expect(deploymentCheckDue({ now, pushed: false, lastActivityAt, lastCheckAt: now - 24 * HOUR })).toBe(true);
  }
});

it('looks daily in a repository whose feed held no deployment at its last check, pushed to or not', () => {
  const never = { now, neverDeployed: true, lastActivityAt: now - HOUR };
  expect(deploymentCheckDue({ ...never, pushed: true, lastCheckAt: now - 23 * HOUR })).toBe(false);
  expect(deploymentCheckDue({ ...never, pushed: true, lastCheckAt: now - 24 * HOUR })).toBe(true);
  expect(deploymentCheckDue({ ...never, pushed: false })).toBe(true);
});
