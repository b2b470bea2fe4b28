import { readFileSync } from 'node:fs';
import { sign, verify } from '../../src/core/deliver/sign';
import { fixtureOrSkip } from '../helpers/shared';

// The two published vectors (fixtures/README.md): signatures over the exact bytes of real payloads.
const vectors = [
  {
    edition: 'cloud',
    file: 'jenkinsci-bitbucket-branch-source-plugin/src/test/resources/com/cloudbees/jenkins/plugins/bitbucket/impl/webhook/cloud/signed_payload.json',
    secret: 'Gkvl$k$wyNpQAF42',
    signature: 'sha256=f205c729821c6954aff2afe72b965c34015b4baf96ea8ddc2cc44999c014a035',
  },
  {
    edition: 'datacenter',
    file: 'drone-go-scm/scm/driver/stash/testdata/webhooks/push.json',
    secret: '71295b197fa25f4356d2fb9965df3f2379d903d7',
    signature: 'sha256=c90565fa018f3039414a7929c9187a147f1ac463076961c4cf411e3c67c541f8',
  },
];

describe('X-Hub-Signature', () => {
  it.each(vectors)('reproduces the $edition vector over the raw bytes', ({ file, secret, signature }) => {
    const path = fixtureOrSkip(file);
    if (!path) return;
    const raw = readFileSync(path);
    expect(sign(secret, raw)).toBe(signature);
    expect(verify(secret, raw, signature)).toBe(true);
    expect(verify(secret, raw, signature.replace(/.$/, (c) => (c === '0' ? '1' : '0')))).toBe(false);
    // One byte more (a trailing newline a re-serialiser might add) and the signature no longer holds.
    expect(verify(secret, Buffer.concat([raw, Buffer.from('\n')]), signature)).toBe(false);
  });

  it('rejects a missing or differently sized signature without throwing', () => {
    expect(verify('s', 'body', undefined)).toBe(false);
    expect(verify('s', 'body', 'sha256=abc')).toBe(false);
  });
});
