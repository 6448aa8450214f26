// Child process for the concurrency test: applies changes for the app indexes it is given,
// all at once, to the shared data directory. Prints one JSON line of results.

import { createGitopsStore } from '../../../api/gitops/index.ts';
import { appFiles, deploy } from '../helpers.ts';

const [dataDir, slug, ...indexes] = process.argv.slice(2);
const store = createGitopsStore({ dataDir });
const results = await Promise.all(
  indexes.map(async (i) => {
    const change = deploy(slug, `app-${i}`, 'dev', appFiles('dev', `img:${i}`));
    change.trailers['Loco-Deployment'] = `dpl_${i}`;
    // Every worker also rewrites one shared file, so changes overlap on a path too.
    change.files.set('apps/shared/last-writer.txt', `${i}\n`);
    change.scope.push('apps/shared/last-writer.txt');
    const result = await store.applyChange(change);
    return { i, ...result };
  }),
);
process.stdout.write(JSON.stringify(results) + '\n');
