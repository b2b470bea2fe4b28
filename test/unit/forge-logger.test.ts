import { forgeLogger } from '../../src/forge/adapters/logger';

// The Forge app's log lines mask whatever looks like a credential, as the bridge's do, at any depth.

it('masks credential-like keys in the logged object, a cookie among them', () => {
  const lines: string[] = [];
  const spy = jest.spyOn(console, 'warn').mockImplementation((line: string) => void lines.push(line));
  try {
    forgeLogger.warn({ request: { headers: { Cookie: 'session=abc', Authorization: 'Bearer t0k', accept: 'application/json' } }, signingSecret: 's3c', repository: 'payments' }, 'PanDev answered 500');
  } finally {
    spy.mockRestore();
  }
  expect(JSON.parse(lines[0]!)).toEqual({
    level: 'warn',
    msg: 'PanDev answered 500',
    request: { headers: { Cookie: '[redacted]', Authorization: '[redacted]', accept: 'application/json' } },
    signingSecret: '[redacted]',
    repository: 'payments',
  });
});
