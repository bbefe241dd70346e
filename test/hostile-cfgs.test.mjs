// Hostile cfgs: small cfgs of darknet's own section types with unusual but
// parseable values, one per bound of the cfg rules' table
// (binding/ops/cfg_rules.c), each on both sides of it. Every one runs in a
// child process: loaded without weights and, when it loads, predicted on
// dog.jpg with both engines; the child must end normally with either a result
// or a DarknetError naming the file, section, line and problem, and then
// classify dog.jpg with Tiny Darknet exactly as a clean process does.
// test/fixtures/hostile-cfgs/ holds more (also the cfg fuzzer's seeds): each
// must give a result or a DarknetError the same way.
import assert from 'node:assert/strict';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { runInChild } from './support/child.mjs';
import { distIndex as index, dogJpg, fixturesDir, tempDir, tinyCfg } from './support/paths.mjs';
import { tinyWeights } from './support/weights.mjs';

const dir = tempDir('darknet-napi-hostile-');
after(() => rmSync(dir, { recursive: true, force: true }));
const fixtures = join(fixturesDir, 'hostile-cfgs');

/** A [net] of w x h x c, then the layers' lines. */
const cfg = (layers, { w = 16, h = 16, c = 3, net = '' } = {}) =>
  `[net]\nwidth=${w}\nheight=${h}\nchannels=${c}\n${net}${layers}`;
// The [net] above is 4 lines (5 with one `net` line): the first layer's header is line 5.

/** What darknet's classify gives for dog.jpg with Tiny Darknet, in this (clean) process. */
let expectedTiny;
before(async () => {
  const { loadNetwork } = await import(index);
  const tiny = await loadNetwork(tinyCfg, tinyWeights);
  try {
    expectedTiny = await tiny.classify(dogJpg, { top: 5 });
  } finally {
    await tiny.close();
  }
});

/** Loads and predicts `file` in a child, then classifies with Tiny Darknet there. */
function runChild(file) {
  const source = `import { loadNetwork, DarknetError } from ${JSON.stringify(index)};
    const report = {};
    try {
      for (const engine of ['fast', 'darknet']) {
        const network = await loadNetwork(${JSON.stringify(file)}, undefined, { engine });
        try {
          const output = await network.predict(${JSON.stringify(dogJpg)});
          report[engine] = { length: output.length, finite: output.every(Number.isFinite) };
          if (network.task === 'detect') {
            // darknet's box extraction and NMS too, at a low threshold
            // (each load has its own random initial weights: nothing to compare across engines)
            const { detections, heads } = await network.detectWithHeads(${JSON.stringify(dogJpg)}, { thresh: 0.1 });
            report[engine].detections = detections.length;
            report[engine].finite = report[engine].finite && heads.every((h) => h.output.every(Number.isFinite));
          }
        } finally { await network.close(); }
      }
      report.ok = true;
    } catch (error) {
      Object.assign(report, { ok: false, darknet: error instanceof DarknetError, code: error.code, message: error.message });
    }
    const tiny = await loadNetwork(${JSON.stringify(tinyCfg)}, ${JSON.stringify(tinyWeights)});
    report.tiny = await tiny.classify(${JSON.stringify(dogJpg)}, { top: 5 });
    await tiny.close();
    console.log(JSON.stringify(report));`;
  const report = runInChild(source, { cwd: dir, timeout: 120_000 });
  assert.deepEqual(report.tiny, expectedTiny, 'another network in the same process is still right');
  return report;
}

function check(name, text, expected) {
  test(`${name}: ${expected.ok ? 'runs' : `refused (${expected.message})`}`, () => {
    const file = join(dir, `${name}.cfg`);
    writeFileSync(file, text);
    const report = runChild(file);
    if (expected.ok === 'loads') {
      assert.equal(report.ok, false, 'the prediction is refused');
      assert.equal(report.code, 'ERR_INVALID_INPUT');
      assert.match(report.message, expected.predict);
    } else if (expected.ok) {
      assert.equal(report.ok, true, `expected a result, got ${report.code}: ${report.message}`);
      for (const engine of ['fast', 'darknet']) {
        assert.ok(report[engine].length > 0, `${engine}: an output`);
        if (expected.outputs) assert.equal(report[engine].length, expected.outputs, `${engine}: outputs`);
        assert.equal(report[engine].finite, true, `${engine}: finite outputs`);
      }
    } else {
      assert.equal(report.ok, false, 'this cfg must be refused');
      assert.equal(report.darknet, true, `a DarknetError, got ${report.message}`);
      assert.equal(report.code, expected.code ?? 'ERR_INVALID_CFG');
      assert.ok(report.message.includes(file), `the message names the file: ${report.message}`);
      assert.match(report.message, expected.message);
    }
  });
}

const ok = (outputs) => ({ ok: true, outputs });
const refused = (message, code) => ({ ok: false, message, code });

// ---- the issue's four ----
check('net-4-channels', cfg('[convolutional]\nfilters=6\ngroups=3\nsize=3\npad=1\n', { c: 4 }),
  refused(/line 4: \[net\] channels=4 is out of range \(1\.\.3\)/));
check('conv-groups-not-dividing-channels', cfg('[convolutional]\nfilters=4\nsize=1\n[convolutional]\nfilters=6\ngroups=3\nsize=3\npad=1\n'),
  refused(/line 8: \[convolutional\] \(layer 1\) groups=3 does not divide its 4 input channels/));
check('conv-groups-dividing', cfg('[convolutional]\nfilters=4\nsize=1\n[convolutional]\nfilters=6\ngroups=2\nsize=3\npad=1\n'), ok(16 * 16 * 6));
check('conv-groups-not-dividing-filters', cfg('[convolutional]\nfilters=4\nsize=1\n[convolutional]\nfilters=5\ngroups=2\nsize=3\npad=1\n'),
  refused(/line 8: \[convolutional\] \(layer 1\) groups=2 does not divide filters=5/));
check('crop-larger-than-input', cfg('[crop]\ncrop_width=32\ncrop_height=32\n'),
  refused(/line 5: \[crop\] \(layer 0\) crop_width=32 crop_height=32 is larger than its 16x16 input/));
check('crop-wider-than-input', cfg('[crop]\ncrop_width=17\ncrop_height=16\n'), refused(/line 5: \[crop\] \(layer 0\) crop_width=17 crop_height=16 is larger/));
check('crop-as-large-as-input', cfg('[crop]\ncrop_width=16\ncrop_height=16\n'), ok(16 * 16 * 3));
check('local-64x64', cfg('[local]\nfilters=8\nsize=3\nstride=1\npad=1\n', { w: 64, h: 64 }), ok(64 * 64 * 8));
check('local-pad-1-size-1', cfg('[local]\nfilters=2\nsize=1\nstride=1\npad=1\n'), ok(16 * 16 * 2));
// found by the cfg fuzzer: make_local_layer initializes weights for an empty output's array
check('local-kernel-past-input', cfg('[local]\nfilters=2\nsize=5\nstride=1\n', { w: 4, h: 4 }),
  refused(/\[local\] size=5 stride=1 pad=0 computes a 0x0 output from its 4x4x3 input/));
check('local-kernel-as-input', cfg('[local]\nfilters=2\nsize=4\nstride=1\n', { w: 4, h: 4 }), ok(2));
check('local-pad-2', cfg('[local]\nfilters=2\nsize=3\npad=2\n'), refused(/line 8: \[local\] pad=2 is out of range \(0\.\.1\)/));
check('yolo-anchors-past-2num', cfg('[convolutional]\nfilters=7\nsize=1\n[yolo]\nmask=0\nnum=1\nclasses=2\nanchors=1,1,2,2\n'),
  refused(/line 12: \[yolo\] anchors= has 4 values, more than 2\*num=2/));
check('yolo-anchors-2num', cfg('[convolutional]\nfilters=7\nsize=1\n[yolo]\nmask=0\nnum=1\nclasses=2\nanchors=1,1\n'), ok(16 * 16 * 7));
check('region-anchors-past-2num', cfg('[convolutional]\nfilters=7\nsize=1\n[region]\nnum=1\nclasses=2\ncoords=4\nanchors=1,1,2,2\n'),
  refused(/line 12: \[region\] anchors= has 4 values, more than 2\*num=2/));
check('region-anchors-2num', cfg('[convolutional]\nfilters=7\nsize=1\n[region]\nnum=1\nclasses=2\ncoords=4\nanchors=1,1\n'), ok(16 * 16 * 7));

// ---- detectors (binding/ops/cfg_rules.c; darknet's parse_yolo, parse_region, make_network_boxes) ----
check('yolo-classes-0', cfg('[convolutional]\nfilters=5\nsize=1\n[yolo]\nnum=1\nclasses=0\n'), refused(/line 10: \[yolo\] classes=0 is out of range \(1\.\.65536\)/));
check('yolo-classes-absurd', cfg('[convolutional]\nfilters=5\nsize=1\n[yolo]\nnum=1\nclasses=100000\n'),
  refused(/line 10: \[yolo\] classes=100000 is out of range \(1\.\.65536\)/));
check('region-classes-0', cfg('[convolutional]\nfilters=5\nsize=1\n[region]\nnum=1\nclasses=0\n'), refused(/line 10: \[region\] classes=0 is out of range/));
check('region-num-0', cfg('[convolutional]\nfilters=7\nsize=1\n[region]\nnum=0\nclasses=2\n'), refused(/line 9: \[region\] num=0 is out of range \(1\.\./));
check('yolo-filters-mismatch', cfg('[convolutional]\nfilters=8\nsize=1\n[yolo]\nmask=0\nnum=1\nclasses=2\n'),
  refused(/line 8: \[yolo\] classes=2 with 1 mask= values needs \(classes\+5\)\*1 = 7 filters in the \[convolutional\] before it \(line 5\), which has filters=8/));
check('yolo-filters-mismatch-no-mask', cfg('[convolutional]\nfilters=7\nsize=1\n[yolo]\nnum=2\nclasses=2\n'),
  refused(/line 8: \[yolo\] classes=2 with 2 anchors \(num=, no mask=\) needs \(classes\+5\)\*2 = 14 filters/));
check('yolo-filters-default-classes', cfg('[convolutional]\nfilters=25\nsize=1\n[yolo]\nmask=0\nnum=1\n'), ok(16 * 16 * 25));
check('yolo-after-route-mismatch', cfg('[convolutional]\nfilters=8\nsize=1\n[route]\nlayers=-1\n[yolo]\nmask=0\nnum=1\nclasses=2\n'),
  refused(/l\.outputs == params\.inputs \(parser\.c:\d+, parse_yolo\)/));
check('region-filters-mismatch', cfg('[convolutional]\nfilters=6\nsize=1\n[region]\nnum=1\nclasses=2\ncoords=4\n'),
  refused(/line 8: \[region\] coords=4 classes=2 num=1 needs \(coords\+1\+classes\)\*num = 7 filters in the \[convolutional\] before it \(line 5\), which has filters=6/));
check('region-filters-match-num-2', cfg('[convolutional]\nfilters=14\nsize=1\n[region]\nnum=2\nclasses=2\ncoords=4\nanchors=1,1,2,2\n'), ok(16 * 16 * 14));
check('detection-inputs-mismatch', cfg('[connected]\noutput=27\n[detection]\nclasses=2\ncoords=4\nnum=1\nside=2\n'),
  refused(/side\*side\*\(\(1 \+ l\.coords\)\*l\.n \+ l\.classes\) == inputs/));
check('heads-classes-differ', cfg('[convolutional]\nfilters=7\nsize=1\n[yolo]\nmask=0\nnum=2\nclasses=2\n[route]\nlayers=-2\n[convolutional]\nfilters=8\nsize=1\n[yolo]\nmask=1\nnum=2\nclasses=3\n'),
  refused(/line 8: \[yolo\] \(layer 1\) has classes=2, and the last head \(layer 4\) classes=3: every head of a detector must have the same classes/));
check('heads-more-classes-first', cfg('[convolutional]\nfilters=8\nsize=1\n[yolo]\nmask=0\nnum=2\nclasses=3\n[route]\nlayers=-2\n[convolutional]\nfilters=7\nsize=1\n[yolo]\nmask=1\nnum=2\nclasses=2\n'),
  refused(/line 8: \[yolo\] \(layer 1\) has classes=3, and the last head \(layer 4\) classes=2/));
check('head-not-last', cfg('[convolutional]\nfilters=7\nsize=1\n[yolo]\nmask=0\nnum=1\nclasses=2\n[convolutional]\nfilters=4\nsize=1\n'),
  refused(/line 8: \[yolo\] \(layer 1\) is a detection head, and the last layer \(2\) is not one/));
check('two-heads-same-classes', cfg('[convolutional]\nfilters=7\nsize=1\n[yolo]\nmask=0\nnum=2\nclasses=2\n[route]\nlayers=-2\n[convolutional]\nfilters=7\nsize=1\n[yolo]\nmask=1\nnum=2\nclasses=2\n'), ok(16 * 16 * 7));

// ---- [net] ----
check('net-width-1', cfg('[connected]\noutput=2\n', { w: 1 }), refused(/line 2: \[net\] width=1 is out of range \(2\.\./));
check('net-height-1', cfg('[connected]\noutput=2\n', { h: 1 }), refused(/line 3: \[net\] height=1 is out of range \(2\.\./));
// dog.jpg (768x576) letterboxed into 2x2 is 2x1, which darknet's resize_image
// cannot make (it divides by height-1): that prediction is an ERR_INVALID_INPUT.
check('net-width-2', cfg('[connected]\noutput=2\n', { w: 2, h: 2 }), { ok: 'loads', predict: /letterboxed into the network's 2x2 is 2x1/ });
check('net-width-3', cfg('[connected]\noutput=2\n', { w: 3, h: 3 }), ok(2));
check('net-1-channel', cfg('[connected]\noutput=2\n', { c: 1 }), ok(2));
check('net-inputs-not-whc', cfg('[connected]\noutput=2\n', { net: 'inputs=100\n' }),
  refused(/\[net\] inputs=100 does not match width\*height\*channels \(16x16x3/));
check('net-inputs-whc', cfg('[connected]\noutput=2\n', { net: 'inputs=768\n' }), ok(2));
check('rnn-time-steps-2', cfg('[rnn]\noutput=4\n', { net: 'time_steps=2\n' }),
  refused(/line 6: \[rnn\] \(layer 0\) time_steps=2: inference runs one image at a time/));
check('rnn-time-steps-1', cfg('[rnn]\noutput=4\n', { net: 'time_steps=1\n' }), ok(4));

// ---- shapes past the input ----
check('conv-kernel-past-input', cfg('[convolutional]\nfilters=2\nsize=17\n'),
  refused(/line 5: \[convolutional\] \(layer 0\) computes an output of \d+ values \(0x0x2\) from its 16x16x3 input/));
check('conv-kernel-as-input', cfg('[convolutional]\nfilters=2\nsize=16\n'), ok(2));
check('conv-kernel-far-past-input', cfg('[convolutional]\nfilters=2\nsize=30\n'),
  refused(/line 5: \[convolutional\] \(layer 0\) computes an output of \d+ values \(-13x-13x2\)/));
check('conv-stride-past-input', cfg('[convolutional]\nfilters=2\nsize=3\nstride=40\n'), ok(2));
check('conv-negative-padding', cfg('[convolutional]\nfilters=2\nsize=3\npadding=-1\n'), refused(/line 8: \[convolutional\] padding=-1 is out of range \(0\.\./));
check('conv-padding-0', cfg('[convolutional]\nfilters=2\nsize=3\npadding=0\n'), ok(14 * 14 * 2));
check('conv-padding-too-large', cfg('[convolutional]\nfilters=2\nsize=3\npadding=1048577\n'), refused(/padding=1048577 is out of range \(0\.\.1048576\)/));
// found by the cfg fuzzer: darknet multiplies a 1x1 convolution's input as it is, out_w*out_h per channel
check('conv-1x1-padded', cfg('[conv]\nfilters=1\npadding=2\n', { w: 9, h: 9 }),
  refused(/line 5: \[convolutional\] \(layer 0\) size=1 with padding=2: darknet reads its 9x9 input as 13x13/));
check('conv-1x1-strided', cfg('[conv]\nfilters=1\nstride=2\n', { w: 9, h: 9 }), ok(25));
check('conv-batch-normalize-2', cfg('[convolutional]\nfilters=2\nsize=1\nbatch_normalize=2\n'), refused(/line 8: \[convolutional\] batch_normalize=2 is out of range \(0\.\.1\)/));
check('conv-batch-normalize-1', cfg('[convolutional]\nfilters=2\nsize=1\nbatch_normalize=1\n'), ok(16 * 16 * 2));
check('conv-binary-2', cfg('[convolutional]\nfilters=2\nsize=1\nbinary=2\n'), refused(/binary=2 is out of range \(0\.\.1\)/));
check('conv-xnor-1', cfg('[convolutional]\nfilters=2\nsize=1\nxnor=1\nbinary=1\n'), ok(16 * 16 * 2));
check('conv-numload-past-filters', cfg('[convolutional]\nfilters=4\nsize=1\nnumload=5\n'), refused(/line 5: \[convolutional\] \(layer 0\) numload=5 is outside 0\.\.filters=4/));
check('conv-numload-filters', cfg('[convolutional]\nfilters=4\nsize=1\nnumload=4\n'), ok(16 * 16 * 4));
check('deconv-negative-padding', cfg('[deconvolutional]\nfilters=2\nsize=2\nstride=2\npadding=-1\n'), refused(/line 9: \[deconvolutional\] padding=-1 is out of range/));
check('deconv', cfg('[deconvolutional]\nfilters=2\nsize=2\nstride=2\n'), ok(32 * 32 * 2));
check('maxpool-past-input', cfg('[maxpool]\nsize=17\nstride=1\npadding=0\n'), refused(/line 5: \[maxpool\] \(layer 0\) computes an output of 0 values \(0x0x3\)/));
check('maxpool-as-input', cfg('[maxpool]\nsize=16\nstride=1\npadding=0\n'), ok(3));
check('maxpool-negative-padding', cfg('[maxpool]\nsize=2\nstride=2\npadding=-1\n'), refused(/line 8: \[maxpool\] padding=-1 is out of range/));
check('maxpool-stride-past-input', cfg('[maxpool]\nsize=2\nstride=64\n'), ok(3));
check('upsample-stride-0', cfg('[upsample]\nstride=0\n'), refused(/line 6: stride=0 is not a positive integer/));
check('upsample-stride-3', cfg('[upsample]\nstride=3\n'), ok(48 * 48 * 3));

// ---- reorg ----
check('reorg-stride-not-dividing-size', cfg('[convolutional]\nfilters=4\nsize=1\n[reorg]\nstride=2\n', { w: 9, h: 9 }),
  refused(/line 8: \[reorg\] \(layer 1\) stride=2 does not divide its 9x9 input/));
check('reorg-stride-dividing-size', cfg('[convolutional]\nfilters=4\nsize=1\n[reorg]\nstride=2\n'), ok(16 * 16 * 4));
check('reorg-channels-not-multiple', cfg('[convolutional]\nfilters=6\nsize=1\n[reorg]\nstride=2\nreverse=1\n'),
  refused(/line 8: \[reorg\] \(layer 1\) stride=2: its 6 input channels are not a multiple of stride\*stride/));
check('reorg-reverse', cfg('[convolutional]\nfilters=8\nsize=1\n[reorg]\nstride=2\nreverse=1\n'), ok(16 * 16 * 8));
check('reorg-negative-extra', cfg('[convolutional]\nfilters=4\nsize=1\n[reorg]\nextra=-1\n'), refused(/line 9: \[reorg\] extra=-1 is out of range \(0\.\./));
check('reorg-extra', cfg('[convolutional]\nfilters=4\nsize=1\n[reorg]\nextra=3\n'), ok(16 * 16 * 4 + 3));
// found by the cfg fuzzer: stride*stride wraps around int (then darknet divides the channels by it)
check('reorg-stride-squared-past-int', cfg('[convolutional]\nfilters=4\nsize=1\n[reorg]\nstride=65536\nreverse=1\n'),
  refused(/line 9: \[reorg\] stride=65536 is out of range \(1\.\.46340\)/));
// found by the cfg fuzzer: forward_reorg_layer's flatten copies inputs+extra floats
check('reorg-flatten-extra', cfg('[convolutional]\nfilters=4\nsize=1\n[reorg]\nflatten=1\nextra=3\n'),
  refused(/line 8: \[reorg\] \(layer 1\) flatten=1 with extra=3 reads 3 floats past its input/));
check('reorg-flatten', cfg('[convolutional]\nfilters=4\nsize=1\n[reorg]\nflatten=1\n'), ok(16 * 16 * 4));
check('reorg-reverse-2', cfg('[reorg]\nstride=1\nreverse=2\n'), refused(/line 7: \[reorg\] reverse=2 is out of range \(0\.\.1\)/));

// resize: 'min' resizes the network to the image (dog.jpg: 16x16 becomes 21x16),
// and the rules hold at that size too
test("reorg-resized-past-its-stride: resize 'min' refused with the rule's message", () => {
  const file = join(dir, 'reorg-resized.cfg');
  writeFileSync(file, cfg('[convolutional]\nfilters=4\nsize=1\n[reorg]\nstride=2\n'));
  const source = `import { loadNetwork } from ${JSON.stringify(index)};
    const network = await loadNetwork(${JSON.stringify(file)});
    const report = {};
    try { await network.predict(${JSON.stringify(dogJpg)}, { resize: 'min' }); report.ok = true; }
    catch (error) { Object.assign(report, { ok: false, code: error.code, message: error.message }); }
    report.letterbox = (await network.predict(${JSON.stringify(dogJpg)})).length;
    await network.close();
    console.log(JSON.stringify(report));`;
  const report = runInChild(source, { cwd: dir, timeout: 120_000 });
  assert.equal(report.ok, false);
  assert.equal(report.code, 'ERR_DARKNET');
  assert.match(report.message, /the resized network: \[reorg\] \(layer 1\) stride=2 does not divide its 21x16 input/);
  assert.equal(report.letterbox, 16 * 16 * 4, 'the network is back at its own size');
});

// ---- the other layer types ----
check('lrn-window-past-channels', cfg('[normalization]\nsize=8\n'), refused(/line 5: \[normalization\] \(layer 0\) size=8 is a window wider than its 3 channels \(at most 7\)/));
check('lrn-window-at-channels', cfg('[normalization]\nsize=7\n'), ok(16 * 16 * 3));
check('connected-output-0', cfg('[connected]\noutput=0\n'), refused(/line 6: \[connected\] output=0 is out of range \(1\.\./));
check('connected-output-1', cfg('[connected]\noutput=1\n'), ok(1));
check('rnn-output-0', cfg('[rnn]\noutput=0\n'), refused(/line 6: \[rnn\] output=0 is out of range/));
check('gru-lstm', cfg('[gru]\noutput=4\n[lstm]\noutput=3\n'), ok(3));
check('crnn', cfg('[crnn]\noutput_filters=2\nhidden_filters=2\n'), ok(16 * 16 * 2));
check('crnn-hidden-0', cfg('[crnn]\noutput_filters=2\nhidden_filters=0\n'), refused(/line 7: \[crnn\] hidden_filters=0 is out of range/));
check('batchnorm-after-softmax', cfg('[softmax]\n[batchnorm]\n'), refused(/line 6: \[batchnorm\] \(layer 1\) computes an output of 0 values/));
check('batchnorm-after-connected', cfg('[connected]\noutput=4\n[batchnorm]\n'), ok(4));
check('route-without-layers', cfg('[convolutional]\nfilters=2\nsize=1\n[route]\n'), refused(/line 8: \[route\] has no layers=/));
check('route-mismatch-then-upsample', cfg('[convolutional]\nfilters=4\nsize=1\n[maxpool]\nsize=2\nstride=2\n[route]\nlayers=-1,-2\n[upsample]\n'),
  refused(/line 13: \[upsample\] \(layer 3\) computes an output of 0 values/));
// found by the cfg fuzzer: a non-number reads as 0, and the values after it were left unchecked
check('route-non-number-then-past', cfg('[convolutional]\nfilters=2\nsize=1\n[route]\nlayers=-q,-3\n'),
  refused(/line 9: \[route\] layers= value -3 refers to no earlier layer \(this is layer 1\)/));
check('route-non-number-first-layer', cfg('[route]\nlayers=x\n'), refused(/line 6: \[route\] layers= value 0 refers to no earlier layer \(this is layer 0\)/));
check('route-non-number', cfg('[convolutional]\nfilters=2\nsize=1\n[route]\nlayers=x,-1\n'), ok(16 * 16 * 4));
check('route', cfg('[convolutional]\nfilters=4\nsize=1\n[route]\nlayers=-1\n'), ok(16 * 16 * 4));
check('shortcut-from-no-image', cfg('[convolutional]\nfilters=4\nsize=1\n[reorg]\nextra=2\n[connected]\noutput=8\n[shortcut]\nfrom=1\n'),
  refused(/line 12: \[shortcut\] \(layer 3\) from=1 names layer 1, whose output is not an image/));
check('shortcut-into-no-image', cfg('[convolutional]\nfilters=4\nsize=1\n[reorg]\nextra=2\n[shortcut]\nfrom=0\n'),
  refused(/line 10: \[shortcut\] \(layer 2\) computes an output of 0 values \(0x0x0\) from its 16x16x4 input/));
check('shortcut-scales-apart', cfg('[convolutional]\nfilters=4\nsize=1\n[crop]\ncrop_width=16\ncrop_height=8\n[shortcut]\nfrom=0\n'),
  refused(/line 11: \[shortcut\] \(layer 2\) from=0: layer 0's 16x16 output and its 16x8 input do not scale alike/));
check('shortcut-downsampled', cfg('[convolutional]\nfilters=4\nsize=1\n[maxpool]\nsize=2\nstride=2\n[shortcut]\nfrom=0\n'), ok(8 * 8 * 4));
check('detection-coords-3', cfg('[connected]\noutput=24\n[detection]\nclasses=2\ncoords=3\nnum=1\nside=2\n'), refused(/line 9: \[detection\] coords=3 is out of range \(4\.\./));
check('detection-coords-4', cfg('[connected]\noutput=28\n[detection]\nclasses=2\ncoords=4\nnum=1\nside=2\n'), ok(28));
check('region-coords-3', cfg('[convolutional]\nfilters=6\nsize=1\n[region]\nnum=1\nclasses=2\ncoords=3\n'), refused(/line 11: \[region\] coords=3 is out of range \(4\.\./));
check('region-background-2', cfg('[convolutional]\nfilters=7\nsize=1\n[region]\nnum=1\nclasses=2\nbackground=2\n'), refused(/line 11: \[region\] background=2 is out of range \(0\.\.1\)/));
check('region-background-1', cfg('[convolutional]\nfilters=7\nsize=1\n[region]\nnum=1\nclasses=2\nbackground=1\nsoftmax=1\n'), ok(16 * 16 * 7));
check('yolo-mask-past-num', cfg('[convolutional]\nfilters=7\nsize=1\n[yolo]\nmask=1\nnum=1\nclasses=2\n'), refused(/line 9: \[yolo\] mask= value 1 is not an anchor index \(num=1\)/));
check('yolo-mask-long-bad-last', cfg(`[convolutional]\nfilters=${301 * 7}\nsize=1\n[yolo]\nmask=${'0,'.repeat(300)}1\nnum=1\nclasses=2\n`),
  refused(/line 9: \[yolo\] mask= value 1 is not an anchor index \(num=1\)/));
check('yolo-negative-mask', cfg('[convolutional]\nfilters=7\nsize=1\n[yolo]\nmask=-1\nnum=1\nclasses=2\n'), refused(/line 9: \[yolo\] mask= value -1 is not an anchor index/));
check('yolo-classes-negative', cfg('[convolutional]\nfilters=7\nsize=1\n[yolo]\nnum=1\nclasses=-1\n'), refused(/line 10: \[yolo\] classes=-1 is out of range \(1\.\./));
check('yolo-num-0', cfg('[convolutional]\nfilters=7\nsize=1\n[yolo]\nnum=0\nclasses=2\n'), refused(/line 9: \[yolo\] num=0 is out of range \(1\.\./));
check('iseg', cfg('[convolutional]\nfilters=4\nsize=1\n[iseg]\nclasses=2\nids=2\n'),
  refused(/line 8: \[iseg\] cannot run in inference: forward_iseg_layer reads training labels/));
check('softmax-tree-smaller', cfg('[connected]\noutput=3\n[softmax]\ntree=two.tree\n'), refused(/line 7: \[softmax\] \(layer 1\) its tree= file has 2 entries for 3 inputs/));
check('softmax-tree-matching', cfg('[connected]\noutput=2\n[softmax]\ntree=two.tree\n'), ok(2));
// found by the cfg fuzzer: with no layer but [cost], darknet reads layer -1 as the output
check('cost-only', cfg('[cost]\n[cost]\n'), refused(/: every layer is \[cost\]: the network computes nothing/));
check('cost-after-connected', cfg('[connected]\noutput=3\n[cost]\n'), ok(3));
check('misc-layers', cfg('[upsample]\nstride=2\n[avgpool]\n[l2norm]\n[logistic]\n[activation]\nactivation=relu\n[dropout]\n[cost]\n'), ok(3));

// A two-class tree (darknet's read_tree: "name parent" per line) for the softmax cases.
writeFileSync(join(dir, 'two.tree'), 'a -1\nb -1\n');

for (const name of readdirSync(fixtures).sort()) {
  test(`fixtures/hostile-cfgs/${name}: a result or a DarknetError, and the process lives on`, () => {
    const report = runChild(join(fixtures, name));
    if (!report.ok) {
      assert.equal(report.darknet, true, `a DarknetError, got ${report.message}`);
      assert.match(report.code, /^ERR_/);
    }
  });
}
