/** Percentiles of a set of latencies, for the wake-up benches. */

/** p50/p90/p99/max/mean in ms of latencies in ns (a negative one, clock noise, counts as 0). */
export interface LatencySummary {
  readonly samples: number
  readonly p50Ms: number
  readonly p90Ms: number
  readonly p99Ms: number
  readonly maxMs: number
  readonly meanMs: number
}

export function summariseLatencies(latenciesNs: readonly bigint[]): LatencySummary {
  const ms = latenciesNs.map((ns) => Math.max(0, Number(ns) / 1e6)).sort((a, b) => a - b)
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!
  return {
    samples: ms.length,
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    maxMs: ms[ms.length - 1]!,
    meanMs: ms.reduce((a, b) => a + b, 0) / ms.length,
  }
}
