// Prints a workspace's Argo CD manifests for a platform operator:
//   node argocd/render-cli.ts --slug acme--web --repo https://github.com/acme/acme--web.git [--namespace argocd] [--viewer-group acme:web]
// Output is one multi-document YAML stream, ready for `kubectl apply -f -` except the RBAC
// patch, which the README shows how to merge.

import { parseArgs } from 'node:util';
import { renderPlatformManifests } from './render.ts';

const { values } = parseArgs({
  options: {
    slug: { type: 'string' },
    repo: { type: 'string' },
    namespace: { type: 'string' },
    branch: { type: 'string' },
    'viewer-group': { type: 'string', multiple: true },
    'loco-account': { type: 'string' },
  },
});
if (!values.slug || !values.repo) {
  process.stderr.write('usage: node argocd/render-cli.ts --slug <org>--<workspace> --repo <git url> [--namespace argocd]\n');
  process.exit(2);
}
try {
  const out = renderPlatformManifests({
    slug: values.slug,
    repoUrl: values.repo,
    argocdNamespace: values.namespace,
    branch: values.branch,
    viewerGroups: values['viewer-group'],
    locoAccount: values['loco-account'],
  });
  process.stdout.write([...out.files.entries()].map(([name, text]) => `# ${name}\n${text}`).join('---\n'));
} catch (error) {
  const e = error as { message: string; hint?: string };
  process.stderr.write(`error: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`);
  process.exit(2);
}
