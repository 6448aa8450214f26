// Child process for the crash-recovery test: commits to one app's overlay again and again,
// printing one line per commit, until it is killed (SIGKILL, wherever it happens to be).

import { createGitopsStore } from '../../../api/gitops/index.ts';
import { appFiles, deploy } from '../helpers.ts';

const [dataDir, slug] = process.argv.slice(2);
const store = createGitopsStore({ dataDir });
for (let n = 0; ; n++) {
  const change = deploy(slug, 'api', 'dev', appFiles('dev', `img:${n}`));
  change.trailers['Loco-Deployment'] = `dpl_child_${n}`;
  const result = await store.applyChange(change);
  process.stdout.write(`${result.status} ${n}\n`);
}
