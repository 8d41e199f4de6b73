/**
 * A small, fast, seedable random source (sfc32, 128 bits of state) and the draws the
 * simulators need. Math.random cannot be seeded, and the same seed must give the same
 * ticks on every machine and Node version, so nothing here depends on the platform.
 */

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal. */
  normal(): number;
  /** Integer in [min, max]. */
  int(min: number, max: number): number;
}

/** FNV-1a over UTF-16 code units: a stable 32-bit hash for deriving seeds from names. */
export function hash32(text: string, basis = 0x811c9dc5): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * A generator seeded from a number and any labels: `seeded(seed, 'NYA', '2021-06-01')`
 * gives every bar its own stream, so a bar's ticks do not depend on the rows before it.
 */
export function seeded(seed: number, ...labels: string[]): Random {
  let a = hash32(`a|${seed}|${labels.join('|')}`);
  let b = hash32(`b|${seed}|${labels.join('|')}`);
  let c = hash32(`c|${seed}|${labels.join('|')}`);
  let d = 1;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // Warm up: the first outputs of sfc32 from similar seeds are correlated.
  for (let i = 0; i < 12; i++) next();
  let spare: number | null = null;
  return {
    next,
    normal() {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      // Box-Muller; 1 - u keeps the logarithm finite.
      const u = 1 - next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    int(min, max) {
      return min + Math.floor(next() * (max - min + 1));
    },
  };
}
