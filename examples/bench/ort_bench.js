// Times an ONNX model in ONNX Runtime (onnxruntime-node) on one .npy input:
//   node ort_bench.js MODEL.onnx IN.npy REPEAT WARMUP THREADS
// Last line: {"median_ms": .., "min_ms": .., "repeat": ..}
'use strict';
const path = require('path');
const ort = require('onnxruntime-node');
const {readNpy} = require(
    path.join(__dirname, '..', '..', 'tests', 'tools', 'ort_run.js'));

async function main() {
  const [model, input, repeat, warmup, threads] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads), interOpNumThreads: 1,
    graphOptimizationLevel: 'all', executionMode: 'sequential'});
  const feeds = {[session.inputNames[0]]: readNpy(input)};
  for (let i = 0; i < Number(warmup); ++i)
    await session.run(feeds);
  const times = [];
  for (let i = 0; i < Number(repeat); ++i) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const n = times.length;
  const median = n % 2 ? times[(n - 1) / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
  console.log(JSON.stringify({median_ms: median, min_ms: times[0], repeat: n}));
}
main().catch(e => { console.error('ort_bench: ' + e.message); process.exit(1); });
