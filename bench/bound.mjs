// The least arithmetic any engine that gives darknet's bits must do, and how
// long it must take on this machine: the lower bound `npm run bench` sets
// beside each ratio against onnxruntime.
//
// darknet's x86 build has no FMA: each product w*x is rounded, then added to
// the running sum and rounded again, in its k order. No x86 instruction
// rounds twice, and every product is of a distinct (weight, input) pair, so
// each multiply-accumulate is a multiply and an add, two floating-point
// operations a lane. The count here is generous to such an engine: it skips
// the taps that fall on the zero padding (w * 0 adds nothing to a sum that is
// never -0) and the first add of each output (0 + p), and counts nothing for
// the layers that are not convolutions or connected layers.

/** Output positions along one axis, and the kernel taps that land inside the input summed over them. */
function axis(inSize, outSize, size, stride, pad) {
  let taps = 0;
  let covered = 0;
  for (let o = 0; o < outSize; ++o) {
    let valid = 0;
    for (let k = 0; k < size; ++k) {
      const at = o * stride - pad + k;
      if (at >= 0 && at < inSize) ++valid;
    }
    taps += valid;
    if (valid > 0) ++covered;
  }
  return { taps, covered };
}

/**
 * The rounded multiplies and adds a network's convolutional and connected
 * layers need at the least (see above), from Network#layerParameters()' layers.
 */
export function leastRoundedOps(layers) {
  let ops = 0;
  for (const l of layers) {
    if (l.type === 'convolutional') {
      const [w, h, c] = l.input;
      const [outW, outH] = l.output;
      const x = axis(w, outW, l.size, l.stride, l.pad);
      const y = axis(h, outH, l.size, l.stride, l.pad);
      const channels = c / (l.groups || 1);
      // Each output: channels * taps products and one add fewer than that.
      ops += l.filters * (2 * channels * x.taps * y.taps - x.covered * y.covered);
    } else if (l.type === 'connected') {
      ops += l.outputs * (2 * l.inputs - 1);
    }
  }
  return ops;
}

/** Milliseconds those ops take at the least, `threads` cores each issuing `gops` billion rounded operations a second. */
export function leastMs(ops, gops, threads) {
  return ops / (gops * 1e9 * threads) * 1e3;
}
