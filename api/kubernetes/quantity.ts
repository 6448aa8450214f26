// Kubernetes resource quantities ('500m', '2', '1.5Gi', '1e3', '128974848') as plain numbers,
// and back into short text for messages. Written here rather than taken from
// @kubernetes/client-node: its quantityToScalar is not exported from the package, throws on
// valid quantities with a fraction and a suffix ('1.5Gi', '2.5k') and mixes number and bigint.
// Precision: bytes above 2^53 lose their last digits, which no comparison here notices.

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

// The grammar of k8s.io/apimachinery resource.Quantity: a signed decimal number, then a binary
// SI suffix, a decimal SI suffix or a decimal exponent. "1E" is exa, "1E3" an exponent.
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([KMGTPE]i)|[eE]([+-]?\d+)|([numkMGTPE]?))$/;

/** The quantity in base units (cores, bytes, a count); undefined when it is not a quantity. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = QUANTITY.exec(value.trim());
  if (!m) return undefined;
  const number = Number(m[1]);
  if (m[2] !== undefined) return number * BINARY[m[2]];
  if (m[3] !== undefined) return number * 10 ** Number(m[3]);
  return number * DECIMAL[m[4] ?? ''];
}

const trim = (n: number, digits: number): string => String(Number(n.toFixed(digits)));

/** Cores as people write them: '250m' below one core, else '2' or '1.5'. */
export function formatCpu(cores: number): string {
  if (cores > 0 && cores < 1) return `${Math.round(cores * 1000)}m`;
  return trim(cores, 2);
}

/** Bytes in the largest binary unit that keeps a number of at least 1: '512Mi', '15.5Gi'. */
export function formatMemory(bytes: number): string {
  for (const unit of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki']) {
    if (bytes >= BINARY[unit]) return `${trim(bytes / BINARY[unit], 1)}${unit}`;
  }
  return trim(bytes, 0);
}

/** A quota or node resource in its own unit: cpu as cores, memory as bytes, anything else a count. */
export function formatResource(resource: string, amount: number): string {
  if (resource.endsWith('cpu')) return formatCpu(amount);
  if (resource.endsWith('memory') || resource.endsWith('storage')) return formatMemory(amount);
  return trim(amount, 2);
}
