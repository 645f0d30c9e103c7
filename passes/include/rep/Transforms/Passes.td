//===- Passes.td - rep transformation passes ---------------*- tablegen -*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef REP_TRANSFORMS_PASSES_TD
#define REP_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def RaiseDecomposedOps : Pass<"rep-raise-decomposed-ops", "func::FuncOp"> {
  let summary = "Recognise exported GELU and LayerNorm chains as single ops";
  let description = [{
    PyTorch 1.13 has no ONNX Gelu, and exports LayerNormalization only at
    opset 17, so both arrive as chains of elementwise ops. This pass turns
    each chain back into one op, whose location fuses the locations of the
    ops it replaced. Chains that differ in any constant (not sqrt(2), 0.5,
    1 or 2) or in the reduced axes are left alone.

    GELU (`x * (1 + erf(x / sqrt(2))) * 0.5`):

    ```mlir
    %d = rep.div %x, %sqrt2 : ...
    %e = rep.erf %d : ...
    %a = rep.add %e, %one : ...
    %m = rep.mul %x, %a : ...
    %y = rep.mul %m, %half : ...
    ```
    becomes
    ```mlir
    %y = rep.gelu %x : tensor<2x16x7x7xf32>
    ```

    LayerNorm over the trailing dims (ReduceMean, Sub, Pow, ReduceMean,
    Add, Sqrt, Div, Mul, Add) becomes
    ```mlir
    %y = rep.layer_norm %x, %gamma, %beta {axis = 2 : i64, epsilon = 1.0e-05 : f32} : ...
    ```
  }];
  let dependentDialects = ["::mlir::rep::RepDialect"];
}

#endif // REP_TRANSFORMS_PASSES_TD
