// The Homebrew formula of the single executable: a template (homebrew-formula.rb) filled with
// the release's version, download URL and sha256. Pure: cli/build/sea.ts writes the file.

import { readFileSync } from 'node:fs';
import path from 'node:path';

const template = readFileSync(path.join(import.meta.dirname, 'homebrew-formula.rb'), 'utf8');

/** Where a release's files are downloaded from unless --base-url / LOCO_RELEASE_BASE_URL says otherwise. */
export const defaultBaseUrl = 'https://github.com/loco-deploy/loco/releases/download/v{version}';

export function releaseUrl(version: string, file: string, baseUrl = defaultBaseUrl): string {
  return `${baseUrl.replaceAll('{version}', version).replace(/\/+$/, '')}/${file}`;
}

export function homebrewFormula(release: { version: string; sha256: string; url: string }): string {
  if (!/^[0-9a-f]{64}$/.test(release.sha256)) throw new Error(`not a sha256: ${release.sha256}`);
  // Ruby string literals: the values must not close the string they sit in.
  for (const value of [release.version, release.url]) if (/["\\#]/.test(value)) throw new Error(`cannot put ${value} in the formula`);
  return template.replaceAll('{{version}}', release.version).replaceAll('{{sha256}}', release.sha256).replaceAll('{{url}}', release.url);
}
