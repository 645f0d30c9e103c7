// RUN: rep-opt %s -rep-outline-parallel-regions -split-input-file | FileCheck %s
// RUN: rep-opt %s -rep-outline-parallel-regions -split-input-file | mlir-translate --mlir-to-llvmir --split-input-file | FileCheck %s --check-prefix=IR
// Numerically: every compiled model with two or more parallel kernels runs
// through this pass (CodeGen/ops, CodeGen/Models compare their outputs).

// Two regions: each moves into its own internal function, called where it
// was. What a region reads from around it becomes an argument (the
// pointer, the loaded value), in the order the region first uses them; the constant and the
// global's address are cloned in, so LLVM keeps them constant. The
// function's other code stays, in order.
// CHECK-LABEL: llvm.func @model_impl(
// CHECK-SAME: %[[A:.*]]: !llvm.ptr, %[[N:.*]]: i64)
// CHECK: %[[V:.*]] = llvm.load %[[A]]
// CHECK-NEXT: llvm.call @model_impl_parallel0(%[[V]], %[[A]]) : (f32, !llvm.ptr) -> ()
// CHECK-NEXT: llvm.store
// CHECK-NEXT: llvm.call @model_impl_parallel1(%[[A]], %[[N]], %[[V]]) : (!llvm.ptr, i64, f32) -> ()
// CHECK-NEXT: llvm.return
// CHECK: llvm.func internal @model_impl_parallel0(%[[V0:.*]]: f32, %[[A0:.*]]: !llvm.ptr)
// CHECK-NEXT: llvm.mlir.addressof @weights
// CHECK-NEXT: llvm.mlir.constant(64 : i64)
// CHECK-NEXT: omp.parallel
// CHECK: llvm.store %[[V0]], %[[A0]]
// CHECK: omp.terminator
// CHECK: llvm.return
// CHECK: llvm.func internal @model_impl_parallel1(%{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: f32)
// CHECK-NOT: llvm.mlir
// CHECK: omp.parallel
// The translation still outlines each region for the OpenMP runtime.
// IR: define void @model_impl(
// IR: call void @model_impl_parallel0(
// IR: define internal void @model_impl_parallel0(
// IR: call void {{.*}}@__kmpc_fork_call(
// IR: define internal void @model_impl_parallel1(
// IR: call void {{.*}}@__kmpc_fork_call(
llvm.mlir.global internal constant @weights(dense<1.0> : tensor<4xf32>) : !llvm.array<4 x f32>
llvm.func @model_impl(%a: !llvm.ptr, %n: i64) {
  %c = llvm.mlir.constant(64 : i64) : i64
  %w = llvm.mlir.addressof @weights : !llvm.ptr
  %v = llvm.load %a : !llvm.ptr -> f32
  omp.parallel {
    %p = llvm.getelementptr %w[%c] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    %x = llvm.load %p : !llvm.ptr -> f32
    %y = llvm.fadd %x, %v : f32
    llvm.store %v, %a : f32, !llvm.ptr
    omp.terminator
  }
  llvm.store %v, %a : f32, !llvm.ptr
  omp.parallel {
    %q = llvm.getelementptr %a[%n] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    llvm.store %v, %q : f32, !llvm.ptr
    omp.terminator
  }
  llvm.return
}

// -----

// One region: the function already holds just it; nothing moves. A region
// nested in another is part of its parent's.
// CHECK-LABEL: llvm.func @one(
// CHECK-NOT: llvm.call
// CHECK: omp.parallel
// CHECK: omp.parallel
// CHECK-NOT: llvm.func
llvm.func @one(%a: !llvm.ptr) {
  omp.parallel {
    omp.parallel {
      omp.terminator
    }
    omp.terminator
  }
  llvm.return
}
