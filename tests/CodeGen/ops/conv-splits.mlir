// How threads split a conv: by output rows when the filter stays in L2,
// by slabs of filters when it would not (1.2 MB here, on an input 1.5
// times its size: RepVGG-A0's stage-3 convs at batch 8). Which split runs
// is all this checks, compiled (not run) for an AVX-512 and an AVX2 target
// whatever the host; CodeGen/ops/convs.mlir and slabs.test check both
// splits' numbers.
// RUN: repc %s --no-fold --no-winograd --cpu=x86-64-v4 -o %t.v4.so --rep-print-scheduled 2>&1 | FileCheck %s --check-prefix=AVX512
// RUN: repc %s --no-fold --no-winograd --cpu=x86-64-v3 -o %t.v3.so --rep-print-scheduled 2>&1 | FileCheck %s --check-prefix=AVX2
// The 288 KB filter: 2 images x 40 rows, one row per work item.
// AVX512: tile_using_forall %{{.*}} num_threads [2, 40, 0, 0, 0, 0, 0]
// The 1.2 MB filter: four 64-filter slabs; on AVX2 eight of 32, the width of
// its register block).
// AVX512: tile_using_forall %{{.*}} num_threads [0, 0, 0, 4, 0, 0, 0]
// AVX2: tile_using_forall %{{.*}} num_threads [2, 40, 0, 0, 0, 0, 0]
// AVX2: tile_using_forall %{{.*}} num_threads [0, 0, 0, 8, 0, 0, 0]
func.func @main(%x: tensor<2x64x40x40xf32>) -> tensor<2x256x40x40xf32> {
  %w1 = rep.constant dense<0.01> : tensor<128x64x3x3xf32>
  %a = rep.conv2d %x, %w1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<2x64x40x40xf32>, tensor<128x64x3x3xf32>) -> tensor<2x128x40x40xf32>
  %w2 = rep.constant dense<0.01> : tensor<256x128x3x3xf32>
  %b = rep.conv2d %a, %w2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<2x128x40x40xf32>, tensor<256x128x3x3xf32>) -> tensor<2x256x40x40xf32>
  return %b : tensor<2x256x40x40xf32>
}
