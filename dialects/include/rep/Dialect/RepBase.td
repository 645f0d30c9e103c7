//===- RepBase.td - rep dialect definition -----------------*- tablegen -*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef REP_DIALECT_REPBASE_TD
#define REP_DIALECT_REPBASE_TD

include "mlir/IR/OpBase.td"

def Rep_Dialect : Dialect {
  let name = "rep";
  let summary = "Tensor-level ops of re-parameterizable vision models";
  let description = [{
    The `rep` dialect holds what PyTorch exports for MLP/conv vision models:
    convolutions, batch norm, fully connected layers, elementwise math,
    normalizations, pooling and view ops, on ranked f32 tensors in the
    logical NCHW layout. Every op computes its result type from its operands
    and attributes, so the verifier and the importer share one set of shape
    rules. Weights are `rep.constant` ops holding dense resource blobs.
  }];
  let cppNamespace = "::mlir::rep";
  let hasConstantMaterializer = 1;
}

def Rep_Tensor : RankedTensorOf<[F32]>;

class Rep_Op<string mnemonic, list<Trait> traits = []>
    : Op<Rep_Dialect, mnemonic, traits>;

#endif // REP_DIALECT_REPBASE_TD
