// A kernel whose schedule fails (forced here with a hidden option: in the
// field, a shape the transforms do not handle) runs as plain loops: repc
// still compiles, -v says which op fell back and where, the other kernels
// keep their schedules, and the result matches the reference interpreter
// on one and two threads. Kernel 0 is the conv with its ReLU epilogue,
// kernel 1 the fc with its bias broadcast.
// RUN: %python -c "import numpy as np; np.save('%t.x.npy', np.random.RandomState(7).randn(2, 8, 5, 7).astype(np.float32))"
// RUN: repc %s --no-fold --run --input=%t.x.npy --output=%t.ref.npy
// RUN: repc %s --no-fold -o %t.so -v --rep-schedule-fail-kernel=0 2>&1 | FileCheck %s --check-prefix=NOTE
// NOTE: note: schedule of linalg.conv_2d_nhwc_hwcf at loc("conv3x3") failed: it runs as plain loops
// NOTE-NOT: failed: it runs as plain loops
// RUN: rep-run %t.so --input=%t.x.npy --output=%t.1.npy --threads=1
// RUN: %compare %t.1.npy %t.ref.npy --tolerance=1e-5 | FileCheck %s
// RUN: rep-run %t.so --input=%t.x.npy --output=%t.2.npy --threads=2
// RUN: %compare %t.2.npy %t.ref.npy --tolerance=1e-5 | FileCheck %s
// The same with the fc's schedule failing instead.
// RUN: repc %s --no-fold -o %t.fc.so -v --rep-schedule-fail-kernel=1 2>&1 | FileCheck %s --check-prefix=NOTE-FC
// NOTE-FC: note: schedule of linalg.matmul at loc("head") failed: it runs as plain loops
// RUN: rep-run %t.fc.so --input=%t.x.npy --output=%t.fc.npy --threads=2
// RUN: %compare %t.fc.npy %t.ref.npy --tolerance=1e-5 | FileCheck %s
// No note when every schedule applies.
// RUN: repc %s --no-fold -o %t.ok.so -v 2>&1 | FileCheck %s --check-prefix=QUIET
// QUIET-NOT: plain loops
// QUIET: wrote
// CHECK: OK
func.func @main(%x: tensor<2x8x5x7xf32>) -> tensor<2x16xf32> {
  %w = rep.constant dense<0.0625> : tensor<16x8x3x3xf32>
  %b = rep.constant dense<[0.5, -0.5, 0.25, -0.25, 0.1, -0.1, 0.3, -0.3, 0.5, -0.5, 0.25, -0.25, 0.1, -0.1, 0.3, -0.3]> : tensor<16xf32>
  %c = rep.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<2x8x5x7xf32>, tensor<16x8x3x3xf32>, tensor<16xf32>) -> tensor<2x16x5x7xf32> loc("conv3x3")
  %r = rep.relu %c : tensor<2x16x5x7xf32>
  %p = rep.global_avg_pool %r : (tensor<2x16x5x7xf32>) -> tensor<2x16x1x1xf32>
  %f = rep.reshape %p {shape = array<i64: 2, 16>} : (tensor<2x16x1x1xf32>) -> tensor<2x16xf32>
  %wf = rep.constant dense<0.125> : tensor<16x16xf32>
  %bf = rep.constant dense<0.5> : tensor<16xf32>
  %y = rep.fc %f, %wf, %bf : (tensor<2x16xf32>, tensor<16x16xf32>, tensor<16xf32>) -> tensor<2x16xf32> loc("head")
  return %y : tensor<2x16xf32>
}
