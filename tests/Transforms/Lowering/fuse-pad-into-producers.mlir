// RUN: rep-opt %s -rep-fuse-pad-into-producers -split-input-file | FileCheck %s
// RUN: rep-opt %s -rep-fuse-pad-into-producers -split-input-file -debug -mlir-disable-threading -o /dev/null 2>&1 | FileCheck %s --check-prefix=WHY
// Numerically: CodeGen/ops/convs.mlir and pools.mlir compile padded convs
// and max pools (odd sizes, asymmetric pads, stride 2) through this pass and
// compare them with the reference interpreter.

#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// A ReLU whose init is not read writes into the interior of the padded
// tensor, whose border alone is filled: rows 0 and 6 whole, then columns
// 0-1 and 5 of the interior rows; the pad becomes an insert_slice of the
// same interior.
// CHECK-LABEL: func @relu_then_pad
// CHECK: %[[E:.*]] = bufferization.alloc_tensor() : tensor<1x7x6x4xf32>
// CHECK: %[[T:.*]] = tensor.extract_slice %[[E]][0, 0, 0, 0] [1, 1, 6, 4] [1, 1, 1, 1]
// CHECK: %[[TF:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[T]] : tensor<1x1x6x4xf32>)
// CHECK: %[[E1:.*]] = tensor.insert_slice %[[TF]] into %[[E]][0, 0, 0, 0] [1, 1, 6, 4] [1, 1, 1, 1]
// CHECK: tensor.extract_slice %[[E1]][0, 6, 0, 0] [1, 1, 6, 4] [1, 1, 1, 1]
// CHECK: %[[E2:.*]] = tensor.insert_slice %{{.*}} into %[[E1]][0, 6, 0, 0] [1, 1, 6, 4] [1, 1, 1, 1]
// CHECK: tensor.extract_slice %[[E2]][0, 1, 0, 0] [1, 5, 2, 4] [1, 1, 1, 1]
// CHECK: %[[E3:.*]] = tensor.insert_slice %{{.*}} into %[[E2]][0, 1, 0, 0] [1, 5, 2, 4] [1, 1, 1, 1]
// CHECK: tensor.extract_slice %[[E3]][0, 1, 5, 0] [1, 5, 1, 4] [1, 1, 1, 1]
// CHECK: %[[F:.*]] = tensor.insert_slice %{{.*}} into %[[E3]][0, 1, 5, 0] [1, 5, 1, 4] [1, 1, 1, 1]
// CHECK-NOT: linalg.fill
// CHECK: %[[S:.*]] = tensor.extract_slice %[[F]][0, 1, 2, 0] [1, 5, 3, 4] [1, 1, 1, 1]
// CHECK: %[[R:.*]] = linalg.generic {{.*}} outs(%[[S]] : tensor<1x5x3x4xf32>)
// CHECK: %[[P:.*]] = tensor.insert_slice %[[R]] into %[[F]][0, 1, 2, 0] [1, 5, 3, 4] [1, 1, 1, 1]
// CHECK-NOT: tensor.pad
// CHECK: return %[[P]]
func.func @relu_then_pad(%x: tensor<1x5x3x4xf32>) -> tensor<1x7x6x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x5x3x4xf32>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<1x5x3x4xf32>) outs(%e : tensor<1x5x3x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x5x3x4xf32>
  %p = tensor.pad %r low[0, 1, 2, 0] high[0, 1, 1, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x5x3x4xf32> to tensor<1x7x6x4xf32>
  return %p : tensor<1x7x6x4xf32>
}

// -----

// A conv accumulating on its bias broadcast: the chain is followed back
// through the conv's (read) init to the broadcast, which writes the
// interior; a max pool's -inf padding is filled the same way.
// CHECK-LABEL: func @conv_then_pool_pad
// CHECK-COUNT-4: linalg.fill ins(%{{.*}} : f32)
// CHECK: %[[F:.*]] = tensor.insert_slice %{{.*}}[0, 1, 4, 0] [1, 3, 1, 2] [1, 1, 1, 1]
// CHECK: %[[S:.*]] = tensor.extract_slice %[[F]][0, 1, 1, 0] [1, 3, 3, 2]
// CHECK: %[[B:.*]] = linalg.broadcast ins(%{{.*}} : tensor<2xf32>) outs(%[[S]] : tensor<1x3x3x2xf32>)
// CHECK: %[[C:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} outs(%[[B]] : tensor<1x3x3x2xf32>)
// CHECK: tensor.insert_slice %[[C]] into %[[F]]
func.func @conv_then_pool_pad(%x: tensor<1x3x3x2xf32>, %w: tensor<1x1x2x2xf32>, %bias: tensor<2xf32>) -> tensor<1x5x5x2xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<1x3x3x2xf32>
  %b = linalg.broadcast ins(%bias : tensor<2xf32>) outs(%e : tensor<1x3x3x2xf32>) dimensions = [0, 1, 2]
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x3x3x2xf32>, tensor<1x1x2x2xf32>) outs(%b : tensor<1x3x3x2xf32>) -> tensor<1x3x3x2xf32>
  %p = tensor.pad %c low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %ninf : f32
  } : tensor<1x3x3x2xf32> to tensor<1x5x5x2xf32>
  return %p : tensor<1x5x5x2xf32>
}

// -----

// Copied: the padded value is also returned (writing it into the padded
// buffer would not save the copy), and a function argument has no producer
// to write for it. A linalg.copy writes each interior, which the kernel
// schedules thread and vectorize; each padded tensor has a buffer of its
// own (alloc_tensor, which CSE does not merge as it would tensor.empty).
// CHECK-LABEL: func @copied
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x2x1xf32>)
// CHECK: %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x2x2x1xf32>)
// CHECK: bufferization.alloc_tensor() : tensor<1x4x4x1xf32>
// CHECK-COUNT-4: linalg.fill
// CHECK: %[[P1:.*]] = tensor.insert_slice %{{.*}}[0, 1, 3, 0] [1, 2, 1, 1] [1, 1, 1, 1]
// CHECK: %[[S1:.*]] = tensor.extract_slice %[[P1]][0, 1, 1, 0] [1, 2, 2, 1] [1, 1, 1, 1]
// CHECK: %[[C1:.*]] = linalg.copy ins(%[[F]] : tensor<1x2x2x1xf32>) outs(%[[S1]] : tensor<1x2x2x1xf32>)
// CHECK: %[[I1:.*]] = tensor.insert_slice %[[C1]] into %[[P1]][0, 1, 1, 0] [1, 2, 2, 1] [1, 1, 1, 1]
// CHECK: bufferization.alloc_tensor() : tensor<1x4x4x1xf32>
// CHECK-COUNT-4: linalg.fill
// CHECK: %[[P2:.*]] = tensor.insert_slice %{{.*}}[0, 1, 3, 0] [1, 2, 1, 1] [1, 1, 1, 1]
// CHECK: %[[S2:.*]] = tensor.extract_slice %[[P2]][0, 1, 1, 0] [1, 2, 2, 1] [1, 1, 1, 1]
// CHECK: %[[C2:.*]] = linalg.copy ins(%[[X]] : tensor<1x2x2x1xf32>) outs(%[[S2]] : tensor<1x2x2x1xf32>)
// CHECK: %[[I2:.*]] = tensor.insert_slice %[[C2]] into %[[P2]]
// CHECK-NOT: tensor.pad
// CHECK: return %[[F]], %[[I1]], %[[I2]]
func.func @copied(%x: tensor<1x2x2x1xf32>) -> (tensor<1x2x2x1xf32>, tensor<1x4x4x1xf32>, tensor<1x4x4x1xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x2x1xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x2x1xf32>) -> tensor<1x2x2x1xf32>
  %p = tensor.pad %f low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x2x2x1xf32> to tensor<1x4x4x1xf32>
  %q = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x2x2x1xf32> to tensor<1x4x4x1xf32>
  return %f, %p, %q : tensor<1x2x2x1xf32>, tensor<1x4x4x1xf32>, tensor<1x4x4x1xf32>
}

// -----

// A constant yielded from inside the pad's body is cloned out for the
// fill.
// CHECK-LABEL: func @constant_in_body
// CHECK: %[[C:.*]] = arith.constant 1.500000e+00 : f32
// CHECK: linalg.fill ins(%[[C]] : f32)
// CHECK-NOT: tensor.pad
func.func @constant_in_body(%x: tensor<1x2x2x1xf32>) -> tensor<1x4x4x1xf32> {
  %q = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    %c = arith.constant 1.5 : f32
    tensor.yield %c : f32
  } : tensor<1x2x2x1xf32> to tensor<1x4x4x1xf32>
  return %q : tensor<1x4x4x1xf32>
}

// -----

// Kept: a pad marked nofold, and one whose padding value depends on the
// position.
// CHECK-LABEL: func @kept
// CHECK: tensor.pad
// CHECK: tensor.pad
// WHY-DAG: rep-fuse-pad-into-producers: refused at ?: the pad is marked nofold
// WHY-DAG: rep-fuse-pad-into-producers: refused at ?: the padding value is not a constant
func.func @kept(%x: tensor<1x2x2x1xf32>) -> (tensor<1x4x4x1xf32>, tensor<1x4x4x1xf32>) {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x nofold low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x2x2x1xf32> to tensor<1x4x4x1xf32>
  %q = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    %v = arith.index_cast %j : index to i32
    %f = arith.sitofp %v : i32 to f32
    tensor.yield %f : f32
  } : tensor<1x2x2x1xf32> to tensor<1x4x4x1xf32>
  return %p, %q : tensor<1x4x4x1xf32>, tensor<1x4x4x1xf32>
}

// -----

// Kept: a pad of a tensor whose batch size is dynamic (the padded buffer
// would need its size at run time).
// CHECK-LABEL: func @dynamic
// CHECK: linalg.generic
// CHECK: tensor.pad
// WHY: rep-fuse-pad-into-producers: refused at ?: dynamic shapes
func.func @dynamic(%x: tensor<?x2x2x1xf32>) -> tensor<?x4x4x1xf32> {
  %zero = arith.constant 0.0 : f32
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<?x2x2x1xf32>) outs(%x : tensor<?x2x2x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<?x2x2x1xf32>
  %p = tensor.pad %r low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<?x2x2x1xf32> to tensor<?x4x4x1xf32>
  return %p : tensor<?x4x4x1xf32>
}
