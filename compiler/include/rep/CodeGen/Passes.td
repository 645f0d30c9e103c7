//===- Passes.td - the back ends' own passes ---------------*- tablegen -*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The passes of the CPU back end that need its schedule builder (which
// lives with the back end, not in passes/). The pipelines that run them
// are registered as rep-cpu-codegen and rep-cuda-codegen.
//
//===----------------------------------------------------------------------===//

#ifndef REP_CODEGEN_PASSES
#define REP_CODEGEN_PASSES

include "mlir/Pass/PassBase.td"

def ApplyKernelSchedules : Pass<"rep-apply-kernel-schedules", "ModuleOp"> {
  let summary = "Tile, fuse and vectorize each linalg kernel with a transform "
                "script built for the target CPU";
  let description = [{
    Builds one transform-dialect schedule per kernel (convs and pools,
    matmuls with their epilogues, row reductions, elementwise ops) from
    the target's vector width and register count (`cpu`: an LLVM CPU name,
    empty for the host), and applies them with the transform interpreter:
    threads over `parallel-chunks` work items (`scf.forall`), cache tiles,
    a register block vectorized into `vector.contract`s. Each kernel's ops
    sit in a private function of their own while its script runs (the
    remarks fuse_into_containing_op prints then number one kernel, not the
    model), and are moved back afterwards. The scripts are applied in
    about 32 batches, each tried on a copy of the module; when one fails,
    each of its kernels is tried on its own, and a kernel whose schedule
    fails is left to rep-lower-to-loops (plain loops, exact), with a note.

    ```mlir
    %0 = linalg.matmul ins(%a, %w : tensor<64x256xf32>, tensor<256x512xf32>)
                       outs(%fill : tensor<64x512xf32>) -> tensor<64x512xf32>
    ```
    becomes, on an AVX-512 host (register block 8 x 32, 2 chunks)
    ```mlir
    %0 = scf.forall (%i, %j) in (1, 2) shared_outs(%o = %fill) -> ... {
      %r = scf.for %k = %c0 to %c256 step %c1 iter_args(...) {
        %acc = vector.contract ... : vector<8x1xf32>, vector<1x32xf32>
                                     into vector<8x32xf32>
        ...
      }
      ...
    }
    ```
  }];
  let options = [
    Option<"cpu", "cpu", "std::string", /*default=*/"\"\"",
           "Target CPU (an LLVM CPU name; empty: the host)">,
    Option<"parallelChunks", "parallel-chunks", "int", /*default=*/"8",
           "Work items the outer loops are split into">,
  ];
  let dependentDialects = [
    "::mlir::transform::TransformDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect", "::mlir::arith::ArithDialect",
    "::mlir::affine::AffineDialect", "::mlir::memref::MemRefDialect",
    "::mlir::bufferization::BufferizationDialect"
  ];
}

def LowerVectors : Pass<"rep-lower-vectors", "ModuleOp"> {
  let summary = "Lower vector contractions, transfers and shapes to what "
                "LLVM's x86 back end selects well";
  let description = [{
    After bufferization: `vector.contract`s become outer products (FMAs
    of a broadcast row against a register), transfers become plain loads
    and stores where in bounds, and multi-dimensional vectors are
    unrolled to one-dimensional ones.

    ```mlir
    %c = vector.contract {...} %a, %b, %acc
           : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
    ```
    becomes
    ```mlir
    %c = vector.outerproduct %a0, %b0, %acc {kind = #vector.kind<add>}
           : vector<8xf32>, vector<32xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::transform::TransformDialect", "::mlir::vector::VectorDialect",
    "::mlir::scf::SCFDialect", "::mlir::memref::MemRefDialect",
    "::mlir::arith::ArithDialect"
  ];
}

def AllowGpuContraction : Pass<"rep-allow-gpu-contraction", "gpu::GPUModuleOp"> {
  let summary = "Let the GPU kernels fuse a * b + c into one rounding";
  let description = [{
    Sets the `contract` fast-math flag on every arithmetic op of the
    kernels, so that NVPTX emits `fma.rn.f32` for a multiply feeding an
    add: PyTorch's kernels fuse the same way, and it halves the
    instruction count of every reduction. No other fast-math flag.

    ```mlir
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %p, %c : f32
    ```
    becomes
    ```mlir
    %p = arith.mulf %a, %b fastmath<contract> : f32
    %s = arith.addf %p, %c fastmath<contract> : f32
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def DeclareDynamicSharedMemory
    : Pass<"rep-declare-dynamic-shared-memory", "ModuleOp"> {
  let summary = "Make the kernels' dynamic shared memory an external "
                "declaration, as nvcc emits it";
  let description = [{
    MLIR 19 lowers `gpu.dynamic_shared_memory` to an internal zero-length
    global, which NVPTX prints as a 1-byte static shared variable that the
    kernels index past. A declaration instead is PTX's dynamic shared
    memory, `.extern .shared .align 16 .b8 NAME[]`, what nvcc emits for
    `extern __shared__`: the launch's bytes and nothing else. Runs after
    the kernels reach the NVVM dialect.

    ```mlir
    llvm.mlir.global internal @__dynamic_shmem__0() {addr_space = 3 : i32,
        alignment = 16 : i64} : !llvm.array<0 x i8>
    ```
    becomes
    ```mlir
    llvm.mlir.global external @__dynamic_shmem__0() {addr_space = 3 : i32,
        alignment = 16 : i64} : !llvm.array<0 x i8>
    ```
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // REP_CODEGEN_PASSES
