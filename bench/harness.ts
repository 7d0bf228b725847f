// Benchmarks compare against a baseline measured in the same run, interleaved in rounds, and report the
// median of the rounds: a shared 2-core machine is noisy, ratios of neighbours are not.
export type Row = Record<string, string | number>;

export interface Measured {
  opsPerSec: number;
  msPerOp: number;
}

async function timeOnce(fn: () => Promise<unknown>, iterations: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < iterations; i++) await fn();
  return (performance.now() - start) / iterations;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Runs `subject` and `baseline` alternately for `rounds` rounds of `iterations` each, after a warm-up. */
export async function compare(
  subject: () => Promise<unknown>,
  baseline: () => Promise<unknown>,
  { iterations = 200, rounds = 7, warmup = 50, beforeRound }: { iterations?: number; rounds?: number; warmup?: number; beforeRound?: () => Promise<void> } = {},
): Promise<{ subject: Measured; baseline: Measured; ratio: number }> {
  await timeOnce(subject, warmup);
  await timeOnce(baseline, warmup);
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    await beforeRound?.();
    b.push(await timeOnce(baseline, iterations));
    a.push(await timeOnce(subject, iterations));
  }
  const ms = median(a);
  const base = median(b);
  return {
    subject: { msPerOp: ms, opsPerSec: 1000 / ms },
    baseline: { msPerOp: base, opsPerSec: 1000 / base },
    ratio: ms / base,
  };
}

export function fmt(n: number, digits = 2): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(digits);
}

export function printTable(title: string, rows: Row[]) {
  if (!rows.length) return;
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => (v === undefined ? "" : String(v));
  console.log(`\n### ${title}\n`);
  console.log(`| ${cols.join(" | ")} |`);
  console.log(`| ${cols.map(() => "---").join(" | ")} |`);
  for (const r of rows) console.log(`| ${cols.map((c) => cell(r[c])).join(" | ")} |`);
}
