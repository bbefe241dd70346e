/** Whether a number's sign bit is set (true for -0 and negative NaNs, as C sees them). */
function signBit(value: number): boolean {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return (view.getUint8(0) & 0x80) !== 0;
}

/**
 * C's printf("%.Nf") for a number, so that our output is byte-identical to
 * darknet's. toFixed is exact except at exact ties, where glibc rounds half to
 * even and toFixed rounds half up; and it drops the sign of -0.
 */
export function formatFixed(value: number, digits: number): string {
  const sign = signBit(value) ? '-' : '';
  if (Number.isNaN(value)) return `${sign}nan`;
  if (!Number.isFinite(value)) return `${sign}inf`;
  const magnitude = Math.abs(value);
  const scaled = magnitude * 10 ** digits;
  // Only dyadic values can tie exactly: scaled is then exactly k + 0.5.
  if (digits <= 6 && scaled < 2 ** 52 && Number.isInteger(scaled * 2) && !Number.isInteger(scaled)) {
    const down = Math.floor(scaled);
    const even = down % 2 === 0 ? down : down + 1;
    return sign + (even / 10 ** digits).toFixed(digits);
  }
  return sign + magnitude.toFixed(digits);
}

/** printf("%W.Nf"): right-aligned in W columns. */
export function formatFixedWidth(value: number, width: number, digits: number): string {
  return formatFixed(value, digits).padStart(width, ' ');
}

/** `predictions[index]*100` as C computes it: a float times 100 in float arithmetic. */
export function percentOf(probability: number): number {
  return Math.fround(Math.fround(probability) * 100);
}
