// RUN: rep-opt %s -rep-copy-to-linalg | FileCheck %s
// Numerically: every compiled model whose bufferization copies (pads of
// values with other users, views) runs these copies; CodeGen/Models and
// CodeGen/ops compare their outputs.

// A copy between strided views becomes a linalg.copy (loops in the model)
// instead of a call into MLIR's runner utilities.
// CHECK-LABEL: func @strided
// CHECK-NOT: memref.copy
// CHECK: linalg.copy ins(%{{.*}} : memref<4x8xf32, strided<[16, 1]>>) outs(%{{.*}} : memref<4x8xf32>)
func.func @strided(%a: memref<4x8xf32, strided<[16, 1]>>, %b: memref<4x8xf32>) {
  memref.copy %a, %b : memref<4x8xf32, strided<[16, 1]>> to memref<4x8xf32>
  return
}
