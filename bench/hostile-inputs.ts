// Worst-case loco.toml texts, one per limit of generator/config/limits.ts (and one past the file
// size). Shared by test/generator/hostile-input.test.ts, the API's hostile-request test and
// bench/hostile-input.ts, so the inputs that are asserted on are the ones that are timed.

import { CONFIG_LIMITS } from '../generator/config/limits.ts';

export interface HostileInput {
  name: string;
  text: string;
}

const META = '[Metadata]\nName = "api"\n';

export function hostileConfigs(): HostileInput[] {
  const L = CONFIG_LIMITS;
  return [
    // The reported crash: 20,000 parts cost 411 MB and 2.1 s in the locator, 100,000 killed the API.
    { name: 'a dotted key of 100,000 parts', text: 'X' + '.a'.repeat(100_000) + ' = 1\n' },
    { name: 'a table header of 100,000 parts', text: '[X' + '.a'.repeat(100_000) + ']\nk = 1\n' },
    { name: `${L.keys + 1} keys`, text: META + '[Env.Variables]\n' + Array.from({ length: L.keys + 1 }, (_, n) => `V${n}=1`).join('\n') + '\n' },
    { name: `${L.tables + 1} tables`, text: META + Array.from({ length: L.tables + 1 }, (_, n) => `[T${n}]`).join('\n') + '\n' },
    { name: `${L.tables + 1} array-of-tables entries`, text: META + '[[X]]\n'.repeat(L.tables + 1) },
    { name: 'a string longer than the limit', text: `${META}[Env.Variables]\nA = "${'x'.repeat(L.stringLength + 1)}"\n` },
    { name: 'a key longer than the limit', text: `${META}${'K'.repeat(L.keyLength + 1)} = 1\n` },
    // Two UTF-8 bytes a character: past the byte limit while under the API's character limit.
    { name: 'more bytes than the file limit', text: META + '# ' + 'é'.repeat(L.fileBytes / 2) + '\n' },
    { name: `a key nested ${L.keyDepth + 1} levels deep`, text: META + 'Env' + '.A'.repeat(L.keyDepth) + ' = 1\n' },
  ];
}

/** Env.File texts that stalled or would stall a regex parser, and one past the size limit. */
export function hostileEnvFiles(): HostileInput[] {
  return [
    { name: '60 kB of spaces on one line', text: 'A=' + ' '.repeat(60_000) + 'x\n' },
    { name: '30,000 \\n escapes in one double-quoted value', text: 'A="' + '\\n'.repeat(30_000) + '"\n' },
    { name: '200 kB on one line (past the limit)', text: 'A=' + ' '.repeat(200_000) + 'x\n' },
  ];
}
