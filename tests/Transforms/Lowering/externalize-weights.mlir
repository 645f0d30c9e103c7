// RUN: rep-opt %s -rep-externalize-weights -split-input-file | FileCheck %s
// Numerically: CodeGen/packaging.test runs a model compiled with
// --weights=FILE through the runtime, the exe and a linked object.

// Two constants leave the code: each get_global becomes a view of the new
// trailing argument at a 64-byte aligned offset behind the 64-byte header
// (a splat is written out in full); the blob, starting with the magic
// REPCWTS1, and its fingerprint stay on the module for the back end.
// CHECK: module attributes {rep.weights = dense<"0x{{.*}}"> : tensor<192xi8>, rep.weights_fingerprint = {{-?[0-9]+}} : i64}
// CHECK-NOT: memref.global
// CHECK-LABEL: func @two
// CHECK-SAME: (%[[OUT:.*]]: memref<4xf32>, %[[W:.*]]: memref<192xi8> {rep.weights})
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: memref.view %[[W]][%[[C64]]][] : memref<192xi8> to memref<4xf32>
// CHECK: %[[C128:.*]] = arith.constant 128 : index
// CHECK: memref.view %[[W]][%[[C128]]][] : memref<192xi8> to memref<16xf32>
// CHECK-NOT: memref.get_global
memref.global "private" constant @a : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
memref.global "private" constant @b : memref<16xf32> = dense<0.5>
func.func @two(%out: memref<4xf32>) {
  %a = memref.get_global @a : memref<4xf32>
  %b = memref.get_global @b : memref<16xf32>
  %sub = memref.subview %b[0] [4] [1] : memref<16xf32> to memref<4xf32, strided<[1]>>
  linalg.add ins(%a, %sub : memref<4xf32>, memref<4xf32, strided<[1]>>) outs(%out : memref<4xf32>)
  return
}

// -----

// The header holds the magic, then the fingerprint, then the size (64 + 64
// bytes: one constant, padded to the alignment), little-endian.
// CHECK: module attributes {rep.weights = dense<"0x5245504357545331{{[0-9A-F]+}}8000000000000000{{0+}}0000803F0000004000004040{{0+}}">
// CHECK-LABEL: func @header
memref.global "private" constant @c : memref<3xf32> = dense<[1.0, 2.0, 3.0]>
func.func @header(%out: memref<3xf32>) {
  %c = memref.get_global @c : memref<3xf32>
  memref.copy %c, %out : memref<3xf32> to memref<3xf32>
  return
}

// -----

// A global read by a called function stays in the code (its callers would
// need the argument), and so does one of i1, whose elements are not whole
// bytes; the file is then only its header, and no function takes it.
// CHECK: module attributes {rep.weights = dense<[82, 69, 80, 67, 87, 84, 83, 49, {{(-?[0-9]+, )+}}64, 0, 0, 0, 0, 0, 0, 0, {{(0, )+}}0]> : tensor<64xi8>
// CHECK: memref.global "private" constant @called
// CHECK: memref.global "private" constant @bits
// CHECK-LABEL: func private @callee
// CHECK-SAME: (%{{.*}}: memref<2xf32>)
// CHECK: memref.get_global @called
// CHECK-LABEL: func @read_bits
// CHECK-SAME: (%{{.*}}: memref<2xi1>)
// CHECK: memref.get_global @bits
memref.global "private" constant @called : memref<2xf32> = dense<[1.0, 2.0]>
memref.global "private" constant @bits : memref<2xi1> = dense<[true, false]>
func.func private @callee(%out: memref<2xf32>) {
  %c = memref.get_global @called : memref<2xf32>
  memref.copy %c, %out : memref<2xf32> to memref<2xf32>
  return
}
func.func @caller(%out: memref<2xf32>) {
  call @callee(%out) : (memref<2xf32>) -> ()
  return
}
func.func @read_bits(%out: memref<2xi1>) {
  %c = memref.get_global @bits : memref<2xi1>
  memref.copy %c, %out : memref<2xi1> to memref<2xi1>
  return
}
