// Reductions along the contiguous innermost dim (layer norm's mean and
// variance) are vectorized row by row, split over the threads when large:
// odd row counts, one and two threads, a 64-lane row and a 192-lane row
// (three slices), and a 48-lane row that no vector slice divides (plain
// loops), all against the interpreter.
// RUN: %python -c "import numpy as np; r = np.random.RandomState(7); [np.save('%t.%%s.npy' %% n, (3 * r.randn(*s) + 5).astype(np.float32)) for n, s in (('x', (3, 91, 192)), ('y', (91, 64)), ('z', (91, 48)))]"
// RUN: repc %s --no-fold --run --input=%t.x.npy --input=%t.y.npy --input=%t.z.npy --output=%t.ref0.npy --output=%t.ref1.npy --output=%t.ref2.npy
// RUN: repc %s --no-fold --cpu=x86-64-v4 -o %t.v4.so --rep-print-scheduled 2>&1 | FileCheck %s --check-prefix=SCHED
// RUN: repc %s --no-fold --cpu=x86-64-v3 -o %t.v3.so --rep-print-scheduled 2>&1 | FileCheck %s --check-prefix=AVX2
// RUN: repc %s --no-fold -o %t.so
// RUN: rep-run %t.so --input=%t.x.npy --input=%t.y.npy --input=%t.z.npy --output=%t.a0.npy --output=%t.a1.npy --output=%t.a2.npy --threads=1
// RUN: %compare %t.a0.npy %t.ref0.npy --tolerance=1e-5 | FileCheck %s
// RUN: %compare %t.a1.npy %t.ref1.npy --tolerance=1e-5 | FileCheck %s
// RUN: %compare %t.a2.npy %t.ref2.npy --tolerance=1e-5 | FileCheck %s
// RUN: rep-run %t.so --input=%t.x.npy --input=%t.y.npy --input=%t.z.npy --output=%t.b0.npy --output=%t.b1.npy --output=%t.b2.npy --threads=2
// RUN: %compare %t.b0.npy %t.ref0.npy --tolerance=1e-5 | FileCheck %s
// RUN: %compare %t.b1.npy %t.ref1.npy --tolerance=1e-5 | FileCheck %s
// RUN: %compare %t.b2.npy %t.ref2.npy --tolerance=1e-5 | FileCheck %s
// CHECK: OK
// The 192-lane norm's rows (3 x 91, collapsed) go to the threads in 7
// chunks, one row per step; each of the four reductions of the 192- and
// 64-lane norms sums slices of 64 lanes into a vector; the 48-lane norm
// keeps plain loops.
// SCHED: tile_using_forall %{{.*}} num_threads [7, 0]
// SCHED-NEXT: tile_using_for %{{.*}} tile_sizes [1, 0]
// SCHED-NEXT: tile_reduction_using_for %{{.*}} by tile_sizes = [0, 64]
// SCHED-COUNT-3: tile_reduction_using_for %{{.*}} by tile_sizes = [0, 64]
// SCHED-NOT: tile_reduction_using_for
// On AVX2 the slices are 32 lanes (four ymm).
// AVX2: tile_using_forall %{{.*}} num_threads [7, 0]
// AVX2-NEXT: tile_using_for %{{.*}} tile_sizes [1, 0]
// AVX2-NEXT: tile_reduction_using_for %{{.*}} by tile_sizes = [0, 32]
// AVX2-COUNT-3: tile_reduction_using_for %{{.*}} by tile_sizes = [0, 32]
// AVX2-NOT: tile_reduction_using_for
func.func @main(%x: tensor<3x91x192xf32>, %y: tensor<91x64xf32>, %z: tensor<91x48xf32>) -> (tensor<3x91x192xf32>, tensor<91x64xf32>, tensor<91x48xf32>) {
  %g = rep.constant dense<1.5> : tensor<192xf32>
  %b = rep.constant dense<-0.25> : tensor<192xf32>
  %n = rep.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 1.0e-05 : f32} : (tensor<3x91x192xf32>, tensor<192xf32>, tensor<192xf32>) -> tensor<3x91x192xf32>
  %g2 = rep.constant dense<0.5> : tensor<64xf32>
  %b2 = rep.constant dense<1.0> : tensor<64xf32>
  %n2 = rep.layer_norm %y, %g2, %b2 {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<91x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<91x64xf32>
  %g3 = rep.constant dense<2.0> : tensor<48xf32>
  %b3 = rep.constant dense<0.0> : tensor<48xf32>
  %n3 = rep.layer_norm %z, %g3, %b3 {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<91x48xf32>, tensor<48xf32>, tensor<48xf32>) -> tensor<91x48xf32>
  return %n, %n2, %n3 : tensor<3x91x192xf32>, tensor<91x64xf32>, tensor<91x48xf32>
}
