// Shared by the benchmarks (a throw-away PostgreSQL database comes from test/api/helpers.ts
// createTestDatabase, on LOCO_TEST_POSTGRES_URL's server, as the tests use).

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))];
}
