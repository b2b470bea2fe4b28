import { explainPing } from '../../src/core/admin/check-texts';

// The answers to Check connection's test delivery that the end-to-end tests do not provoke, each
// turned into its own advice.

const url = 'https://pandev.example.com/v1/bitbucket/webhook/repository';
const base = 'https://pandev.example.com';

describe('explainPing', () => {
  it('passes on 2xx', () => {
    expect(explainPing({ kind: 'delivered', status: 202 }, url, base, 10_000)).toMatchObject({ key: 'pandev', status: 'pass', title: 'PanDev answered 202' });
  });

  it('says to try later when PanDev is up but failing', () => {
    expect(explainPing({ kind: 'retry', status: 503, reason: 'PanDev answered 503' }, url, base, 10_000)).toMatchObject({ status: 'fail', title: 'PanDev answered 503', detail: expect.stringMatching(/Try again in a few minutes/) });
  });

  it('explains a web page where the ingest API should answer', () => {
    expect(explainPing({ kind: 'disabled', cause: 'web-page', status: 200, reason: 'page' }, url, base, 10_000)).toMatchObject({ status: 'fail', title: "PanDev's URL answered 200 with a web page", detail: expect.stringMatching(/web app or a sign-in page/) });
  });

  it('explains 410 and redirects', () => {
    expect(explainPing({ kind: 'disabled', cause: 'gone', status: 410, reason: 'gone' }, url, base, 10_000)).toMatchObject({ title: 'PanDev answered 410 Gone', detail: expect.stringMatching(/paused until a check passes/) });
    expect(explainPing({ kind: 'permanent', status: 301, reason: 'moved' }, url, base, 10_000)).toMatchObject({ title: 'PanDev answered a redirect (301)', detail: expect.stringMatching(/final https URL/) });
  });

  it('tells a bare host that answers 404 apart from a URL with an extra path', () => {
    expect(explainPing({ kind: 'permanent', status: 404, reason: 'no' }, url, base, 10_000)).toMatchObject({ detail: expect.stringMatching(/^https:\/\/pandev\.example\.com has no Bitbucket ingest at \/v1\/bitbucket\/webhook\/repository/) });
  });

  it('says an unreachable host is not reachable from Atlassian\'s cloud, with the cause', () => {
    const item = explainPing({ kind: 'retry', reason: 'PanDev could not be reached: getaddrinfo ENOTFOUND pandev.example.com' }, url, base, 10_000);
    expect(item).toMatchObject({ title: 'PanDev could not be reached', detail: expect.stringMatching(/not reachable from Atlassian's cloud at https:\/\/pandev\.example\.com \(getaddrinfo ENOTFOUND/) });
  });

  it('passes on any other refusal with PanDev\'s own words', () => {
    const item = explainPing({ kind: 'permanent', status: 400, reason: 'PanDev rejected the delivery (400): bad ping: PanDev could not take this body; keep this dead letter and report it', answer: 'bad ping' }, url, base, 10_000);
    expect(item).toMatchObject({ title: 'PanDev rejected the test delivery (400)', detail: expect.stringMatching(/^PanDev said: bad ping\. /) });
    expect(item.detail).not.toMatch(/dead letter/);
  });
});
