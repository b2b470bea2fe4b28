import { scenario } from './bridge';
async function main() {
  const t = Date.now();
  const small = await scenario({ projects: 2, repositoriesPerProject: 10, pullRequestsPerRepository: 100 });
  console.log('small', JSON.stringify(small), Date.now() - t);
  const t2 = Date.now();
  const r = await scenario({ projects: 2, repositoriesPerProject: 5, pullRequestsPerRepository: 1000 });
  console.log('10k', JSON.stringify(r), Date.now() - t2);
}
void main();
