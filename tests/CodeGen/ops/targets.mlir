// Register blocks follow the target's vector registers (--cpu=): 16-float
// zmm with 16 accumulators on AVX-512, 8-float ymm with 8 on AVX2, 4-float
// xmm with 8 on SSE. Each build runs here and matches the interpreter.
// RUN: %python -c "import numpy as np; np.save('%t.x.npy', np.random.RandomState(5).randn(24, 64).astype(np.float32))"
// RUN: repc %s --no-fold --run --input=%t.x.npy --output=%t.ref.npy
// RUN: repc %s --no-fold --cpu=x86-64-v4 -o %t.v4.so --rep-print-scheduled 2>&1 | FileCheck %s --check-prefix=AVX512
// RUN: repc %s --no-fold --cpu=x86-64-v3 -o %t.v3.so --rep-print-scheduled 2>&1 | FileCheck %s --check-prefix=AVX2
// RUN: repc %s --no-fold --cpu=x86-64-v2 -o %t.v2.so --rep-print-scheduled 2>&1 | FileCheck %s --check-prefix=SSE
// RUN: rep-run %t.v3.so --input=%t.x.npy --output=%t.v3.npy --threads=2
// RUN: %compare %t.v3.npy %t.ref.npy --tolerance=1e-5 | FileCheck %s
// RUN: rep-run %t.v2.so --input=%t.x.npy --output=%t.v2.npy --threads=2
// RUN: %compare %t.v2.npy %t.ref.npy --tolerance=1e-5 | FileCheck %s
// CHECK: OK
// The weights outweigh the 24 rows, so threads take 16-column slabs; each
// slab is 8 rows x 1 zmm, 4 rows x 2 ymm or 2 rows x 4 xmm.
// AVX512: tile_using_forall %{{.*}} num_threads [0, 3]
// AVX512: tile_using_for %{{.*}} tile_sizes [8, 0]
// AVX2: tile_using_forall %{{.*}} num_threads [0, 3]
// AVX2: tile_using_for %{{.*}} tile_sizes [4, 0]
// SSE: tile_using_forall %{{.*}} num_threads [0, 3]
// SSE: tile_using_for %{{.*}} tile_sizes [2, 0]
func.func @main(%x: tensor<24x64xf32>) -> tensor<24x48xf32> {
  %w = rep.constant dense<0.01> : tensor<48x64xf32>
  %b = rep.constant dense<0.5> : tensor<48xf32>
  %y = rep.fc %x, %w, %b : (tensor<24x64xf32>, tensor<48x64xf32>, tensor<48xf32>) -> tensor<24x48xf32>
  %r = rep.relu %y : tensor<24x48xf32>
  return %r : tensor<24x48xf32>
}
