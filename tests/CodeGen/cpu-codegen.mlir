// rep-opt runs the CPU back end that repc runs (buildCpuCodegenPipeline),
// from linalg on tensors to the LLVM and OpenMP dialects, so a back-end
// bug cuts down to a test like this one.
// RUN: repc %s --no-fold --emit=linalg -o %t.linalg.mlir
// RUN: rep-opt %t.linalg.mlir -rep-cpu-codegen="cpu=x86-64-v4" | FileCheck %s
// RUN: rep-opt %t.linalg.mlir -rep-cpu-codegen="cpu=x86-64-v3" | FileCheck %s --check-prefix=AVX2
// RUN: rep-opt %t.linalg.mlir -rep-cpu-codegen="schedules=false" | FileCheck %s --check-prefix=LOOPS
// RUN: rep-opt %t.linalg.mlir -rep-cpu-codegen="cpu=x86-64-v4 weights-file=w.bin" | FileCheck %s --check-prefix=WEIGHTS
// RUN: rep-opt %t.linalg.mlir -rep-apply-kernel-schedules="cpu=x86-64-v4" | FileCheck %s --check-prefix=SCHED

// The schedules run on each kernel moved into a function of its own (so
// that the remarks fuse_into_containing_op prints number one kernel, not
// the model), and the kernels come back: one function, vectorized, no
// call and no outlined function left.
// SCHED: func.func private @cpu_codegen_impl(
// SCHED-NOT: func.func
// SCHED-NOT: call
// SCHED: vector.contract
// SCHED-NOT: func.func
// SCHED-NOT: rep.outlined_kernel

// With the schedules: the model function (`repc --emit=linalg` named it
// SYM_impl) in the LLVM dialect, its kernel an OpenMP region whose
// register block is 8 rows of 16-float FMAs on AVX-512 (as
// CodeGen/ops/targets.mlir schedules it through repc), no linalg or memref
// op left.
// CHECK-LABEL: llvm.func @cpu_codegen_impl(
// CHECK: omp.parallel
// CHECK-COUNT-8: llvm.intr.fmuladd({{.*}}vector<16xf32>
// CHECK-NOT: llvm.intr.fmuladd
// CHECK-NOT: {{linalg\.|memref\.}}

// On AVX2 the same pipeline picks 4 rows (of two 8-float registers).
// AVX2-LABEL: llvm.func @cpu_codegen_impl(
// AVX2-COUNT-4: llvm.intr.fmuladd({{.*}}vector<16xf32>
// AVX2-NOT: llvm.intr.fmuladd

// Without schedules every op is a plain scalar loop nest.
// LOOPS-LABEL: llvm.func @cpu_codegen_impl(
// LOOPS-NOT: vector<

// With a weights file the constants leave the code: the module carries
// the file (the REPCWTS1 magic leads its header) for repc to write, and
// no constant global is left.
// WEIGHTS: module attributes {rep.weights = dense<"0x5245504357545331
// WEIGHTS-SAME: rep.weights_fingerprint
// WEIGHTS-NOT: llvm.mlir.global {{.*}}dense<
func.func @main(%x: tensor<24x64xf32>) -> tensor<24x48xf32> {
  %w = rep.constant dense<0.01> : tensor<48x64xf32>
  %b = rep.constant dense<0.5> : tensor<48xf32>
  %y = rep.fc %x, %w, %b : (tensor<24x64xf32>, tensor<48x64xf32>, tensor<48xf32>) -> tensor<24x48xf32>
  %r = rep.relu %y : tensor<24x48xf32>
  return %r : tensor<24x48xf32>
}
