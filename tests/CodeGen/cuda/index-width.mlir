// Kernels compute indices in 32 bits while every buffer they touch has
// fewer than 2^31 elements, and in 64 bits past that, where 32 would wrap.
// REQUIRES: cuda-toolkit
// RUN: split-file %s %t
// RUN: repc %t/small.mlir --target=cuda --emit=ptx -o - | FileCheck %s --check-prefix=SMALL
// RUN: repc %t/big.mlir --target=cuda --emit=ptx -o - | FileCheck %s --check-prefix=BIG

// 2^24 elements: the guard for the last block compares 32-bit indices.
// SMALL: setp.gt.u32 {{.*}}, 16777215;
//--- small.mlir
func.func @main(%x: tensor<1x1x4096x4096xf32>) -> tensor<1x1x4096x4096xf32> {
  %y = rep.relu %x : tensor<1x1x4096x4096xf32>
  return %y : tensor<1x1x4096x4096xf32>
}

// 46341^2 = 2^31 + 4633 elements: 64-bit.
// BIG: cvt.u64.u32 {{.*}}
// BIG: setp.gt.u64 {{.*}}, 2147488280;
//--- big.mlir
func.func @main(%x: tensor<1x1x46341x46341xf32>) -> tensor<1x1x46341x46341xf32> {
  %y = rep.relu %x : tensor<1x1x46341x46341xf32>
  return %y : tensor<1x1x46341x46341xf32>
}
