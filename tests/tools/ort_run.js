// Runs an ONNX model in ONNX Runtime (onnxruntime-node) on one float32 .npy
// input and writes its first output as a float32 .npy file:
//   node ort_run.js MODEL.onnx IN.npy OUT.npy
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function readNpy(path) {
  const buf = fs.readFileSync(path);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
  if (!header.includes("'<f4'"))
    throw new Error(path + ': not float32');
  const shape = header.match(/'shape': \(([^)]*)\)/)[1]
      .split(',').map(s => s.trim()).filter(s => s).map(Number);
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset + start,
                                                 buf.byteOffset + buf.length));
  return new ort.Tensor('float32', data, shape);
}

function writeNpy(path, tensor) {
  let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
      tensor.dims.join(', ') + (tensor.dims.length === 1 ? ',' : '') + '), }';
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(pre, 0);
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  fs.writeFileSync(path, Buffer.concat([
    pre, Buffer.from(header, 'latin1'), Buffer.from(tensor.data.buffer)]));
}

module.exports = {readNpy};

if (require.main === module) (async () => {
  const [model, input, output] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model);
  const feeds = {[session.inputNames[0]]: readNpy(input)};
  const results = await session.run(feeds);
  writeNpy(output, results[session.outputNames[0]]);
})().catch(e => {
  console.error('ort_run: ' + e.message);
  process.exit(1);
});
