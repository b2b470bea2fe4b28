import { forgeMocks, resetForgeMocks } from '../helpers/forge-mocks';
import { cloudEndpoints, requestTarget, type CloudEndpoint } from '../../src/core/enrich/cloud/endpoints';
import { forgeCloudTransport } from '../../src/forge/adapters/bitbucket-transport';

const params: Record<string, string | number> = {
  workspace: '{7c1a1b4e-0000-4000-8000-00000000000a}',
  repo_slug: '{7c1a1b4e-0000-4000-8000-00000000000b}',
  pull_request_id: 42,
  comment_id: 7,
  selected_user: '{7c1a1b4e-0000-4000-8000-00000000000c}',
  commit: 'a'.repeat(40),
  deployment_uuid: '{7c1a1b4e-0000-4000-8000-00000000000d}',
  spec: 'b'.repeat(40),
};

beforeEach(resetForgeMocks);

describe('Forge Bitbucket transport', () => {
  it.each(Object.keys(cloudEndpoints) as CloudEndpoint[])('sends %s to the same path the generic transport would', async (endpoint) => {
    const request = { endpoint, params, query: { fields: 'values.id,next', state: ['OPEN', 'MERGED'] } };
    const response = await forgeCloudTransport(request);
    expect(response.status).toBe(200);
    const sent = forgeMocks.bitbucketCalls[0]!.path;
    expect(decodeURIComponent(sent)).toBe(decodeURIComponent(requestTarget(request)));
    // Reads carry no init object: Forge's linter only checks calls whose method it can see.
    expect(forgeMocks.bitbucketCalls[0]!.init).toBeUndefined();
  });

  it('follows an absolute next link as a route on the product API', async () => {
    await forgeCloudTransport({ next: 'https://api.bitbucket.org/2.0/repositories/w/r/commits?page=abc&pagelen=100' });
    expect(forgeMocks.bitbucketCalls[0]!.path).toBe('/2.0/repositories/w/r/commits?page=abc&pagelen=100');
  });

  it('refuses a path value that would add segments', async () => {
    await expect(forgeCloudTransport({ endpoint: 'repository', params: { workspace: 'w', repo_slug: '../admin' } })).rejects.toThrow(/path manipulation/);
  });

  it('posts and edits the app\'s pull request comment with a visible method and a JSON body', async () => {
    const body = { content: { raw: 'figures' } };
    await forgeCloudTransport({ endpoint: 'pullRequestComments', params, method: 'POST', body });
    await forgeCloudTransport({ endpoint: 'pullRequestComment', params, method: 'PUT', body });
    const [post, put] = forgeMocks.bitbucketCalls;
    expect(decodeURIComponent(post!.path)).toBe(decodeURIComponent(requestTarget({ endpoint: 'pullRequestComments', params })));
    expect(post!.init).toMatchObject({ method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
    expect(decodeURIComponent(put!.path)).toBe(decodeURIComponent(requestTarget({ endpoint: 'pullRequestComment', params })));
    expect(put!.init).toMatchObject({ method: 'PUT', body: JSON.stringify(body) });
  });

  it('has no other write call wired and says so', async () => {
    await expect(forgeCloudTransport({ endpoint: 'pullRequest', params, method: 'PUT' })).rejects.toThrow(/no write call/);
  });
});
