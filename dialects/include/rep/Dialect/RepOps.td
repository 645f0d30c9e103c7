//===- RepOps.td - rep dialect ops -------------------------*- tablegen -*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef REP_DIALECT_REPOPS_TD
#define REP_DIALECT_REPOPS_TD

include "rep/Dialect/RepBase.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// Every rep op is pure and infers its single result type.
class Rep_TypedOp<string mnemonic, list<Trait> traits = []>
    : Rep_Op<mnemonic, !listconcat(traits, [Pure, InferTypeOpAdaptor])>;

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def Rep_ConstantOp : Rep_TypedOp<"constant", [ConstantLike]> {
  let summary = "A constant tensor (weights live in dense resource blobs)";
  let description = [{
    ```mlir
    %w = rep.constant dense_resource<conv1.weight> : tensor<8x3x3x3xf32>
    %s = rep.constant dense<1.41421354> : tensor<f32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Rep_Tensor:$output);
  let assemblyFormat = "$value attr-dict";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Linear ops
//===----------------------------------------------------------------------===//

def Rep_Conv2dOp : Rep_TypedOp<"conv2d"> {
  let summary = "2-D convolution (NCHW input, OIHW weight)";
  let description = [{
    `pads` is `[top, left, bottom, right]`; zero padding. The weight has
    `in_channels / groups` input channels.

    ```mlir
    %y = rep.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, groups = 1 : i64,
           pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
         : (tensor<2x3x9x9xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<2x8x5x5xf32>
    ```
  }];
  let arguments = (ins Rep_Tensor:$input, Rep_Tensor:$weight,
                   Optional<Rep_Tensor>:$bias,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations,
                   ConfinedAttr<I64Attr, [IntPositive]>:$groups);
  let results = (outs Rep_Tensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Rep_BatchNormOp : Rep_TypedOp<"batch_norm"> {
  let summary = "Inference batch normalization over dimension 1";
  let description = [{
    `y = (x - mean) / sqrt(var + epsilon) * scale + bias`, per channel of
    dimension 1, with running statistics (never batch statistics).
  }];
  let arguments = (ins Rep_Tensor:$input, Rep_Tensor:$scale, Rep_Tensor:$bias,
                   Rep_Tensor:$mean, Rep_Tensor:$var, F32Attr:$epsilon);
  let results = (outs Rep_Tensor:$output);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias `,` $mean `,` $var attr-dict `:`
    functional-type(operands, results)
  }];
}

def Rep_FcOp : Rep_TypedOp<"fc"> {
  let summary = "Fully connected layer over the last dimension";
  let description = [{
    `y[..., m] = sum_k x[..., k] * weight[m, k] + bias[m]` (PyTorch's
    `nn.Linear` layout).
  }];
  let arguments = (ins Rep_Tensor:$input, Rep_Tensor:$weight,
                   Optional<Rep_Tensor>:$bias);
  let results = (outs Rep_Tensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Rep_MatmulOp : Rep_TypedOp<"matmul"> {
  let summary = "Batched matrix product with numpy broadcasting (rank >= 2)";
  let arguments = (ins Rep_Tensor:$lhs, Rep_Tensor:$rhs);
  let results = (outs Rep_Tensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def Rep_ChannelAffineOp : Rep_TypedOp<"channel_affine"> {
  let summary = "Per-channel `x * scale + shift` along one axis";
  let arguments = (ins Rep_Tensor:$input, Rep_Tensor:$scale, Rep_Tensor:$shift,
                   ConfinedAttr<I64Attr, [IntNonNegative]>:$axis);
  let results = (outs Rep_Tensor:$output);
  let assemblyFormat = [{
    $input `,` $scale `,` $shift attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

class Rep_BinaryOp<string mnemonic, string formula>
    : Rep_TypedOp<mnemonic> {
  let summary = "Elementwise " # formula # " with numpy broadcasting";
  let arguments = (ins Rep_Tensor:$lhs, Rep_Tensor:$rhs);
  let results = (outs Rep_Tensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def Rep_AddOp : Rep_BinaryOp<"add", "lhs + rhs">;
def Rep_SubOp : Rep_BinaryOp<"sub", "lhs - rhs">;
def Rep_MulOp : Rep_BinaryOp<"mul", "lhs * rhs">;
def Rep_DivOp : Rep_BinaryOp<"div", "lhs / rhs">;
def Rep_PowOp : Rep_BinaryOp<"pow", "pow(lhs, rhs)">;
def Rep_MaximumOp : Rep_BinaryOp<"maximum", "max(lhs, rhs) (NaN if either is)">;
def Rep_MinimumOp : Rep_BinaryOp<"minimum", "min(lhs, rhs) (NaN if either is)">;

class Rep_UnaryOp<string mnemonic, string formula>
    : Rep_Op<mnemonic, [Pure, SameOperandsAndResultType, InferTypeOpInterface]> {
  let summary = "Elementwise " # formula;
  let arguments = (ins Rep_Tensor:$input);
  let results = (outs Rep_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Rep_ReluOp : Rep_UnaryOp<"relu", "max(x, 0)">;
def Rep_GeluOp : Rep_UnaryOp<"gelu", "x * (1 + erf(x / sqrt(2))) / 2 (exact GELU)">;
def Rep_SigmoidOp : Rep_UnaryOp<"sigmoid", "1 / (1 + exp(-x))">;
def Rep_ErfOp : Rep_UnaryOp<"erf", "erf(x) (until recognised as part of a GELU)">;
def Rep_SqrtOp : Rep_UnaryOp<"sqrt", "sqrt(x)">;
def Rep_TanhOp : Rep_UnaryOp<"tanh", "tanh(x)">;
def Rep_ExpOp : Rep_UnaryOp<"exp", "exp(x)">;
def Rep_LogOp : Rep_UnaryOp<"log", "log(x) (natural)">;
def Rep_AbsOp : Rep_UnaryOp<"abs", "|x|">;

//===----------------------------------------------------------------------===//
// Normalization and reductions
//===----------------------------------------------------------------------===//

def Rep_LayerNormOp : Rep_TypedOp<"layer_norm"> {
  let summary = "Layer normalization over dimensions [axis, rank)";
  let description = [{
    `y = (x - mean) / sqrt(var + epsilon) * scale + bias` where mean and the
    biased variance are taken over the trailing dimensions from `axis`;
    `scale` and `bias` have the shape of those dimensions.
  }];
  let arguments = (ins Rep_Tensor:$input, Rep_Tensor:$scale, Rep_Tensor:$bias,
                   ConfinedAttr<I64Attr, [IntNonNegative]>:$axis,
                   F32Attr:$epsilon);
  let results = (outs Rep_Tensor:$output);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias attr-dict `:` functional-type(operands, results)
  }];
}

class Rep_ReduceOp<string mnemonic, string what>
    : Rep_TypedOp<mnemonic> {
  let summary = what # " over the given axes";
  let arguments = (ins Rep_Tensor:$input, DenseI64ArrayAttr:$axes,
                   BoolAttr:$keepdims);
  let results = (outs Rep_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
}

def Rep_ReduceMeanOp : Rep_ReduceOp<"reduce_mean", "Mean">;
def Rep_ReduceSumOp : Rep_ReduceOp<"reduce_sum", "Sum">;
def Rep_ReduceMaxOp : Rep_ReduceOp<"reduce_max", "Maximum (NaN if any is)">;

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

def Rep_MaxPoolOp : Rep_TypedOp<"max_pool"> {
  let summary = "2-D max pooling (NCHW); padding never wins";
  let arguments = (ins Rep_Tensor:$input, DenseI64ArrayAttr:$kernel,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   BoolAttr:$ceil_mode);
  let results = (outs Rep_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
}

def Rep_AvgPoolOp : Rep_TypedOp<"avg_pool"> {
  let summary = "2-D average pooling (NCHW)";
  let description = [{
    With `count_include_pad` the divisor is the kernel area clipped to the
    padded input; without it, the number of real input elements in the
    window.
  }];
  let arguments = (ins Rep_Tensor:$input, DenseI64ArrayAttr:$kernel,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   BoolAttr:$ceil_mode, BoolAttr:$count_include_pad);
  let results = (outs Rep_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
}

def Rep_GlobalAvgPoolOp : Rep_TypedOp<"global_avg_pool"> {
  let summary = "Mean over every dimension after the first two (keeps rank)";
  let arguments = (ins Rep_Tensor:$input);
  let results = (outs Rep_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Views and data movement
//===----------------------------------------------------------------------===//

def Rep_ReshapeOp : Rep_TypedOp<"reshape"> {
  let summary = "Row-major reshape to a static shape";
  let arguments = (ins Rep_Tensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs Rep_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
}

def Rep_TransposeOp : Rep_TypedOp<"transpose"> {
  let summary = "Permutes dimensions: output dim i is input dim perm[i]";
  let arguments = (ins Rep_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Rep_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
}

def Rep_FlattenOp : Rep_TypedOp<"flatten"> {
  let summary = "Reshapes to 2-D: dims [0, axis) and [axis, rank)";
  let arguments = (ins Rep_Tensor:$input,
                   ConfinedAttr<I64Attr, [IntNonNegative]>:$axis);
  let results = (outs Rep_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
}

def Rep_ConcatOp : Rep_TypedOp<"concat"> {
  let summary = "Concatenation along one axis";
  let arguments = (ins Variadic<Rep_Tensor>:$inputs,
                   ConfinedAttr<I64Attr, [IntNonNegative]>:$axis);
  let results = (outs Rep_Tensor:$output);
  let assemblyFormat = [{
    $inputs attr-dict `:` functional-type(operands, results)
  }];
}

def Rep_SliceOp : Rep_TypedOp<"slice"> {
  let summary = "Strided slice with one start, size and step per dimension";
  let description = [{
    Output dim `i` has `sizes[i]` elements read at
    `starts[i] + j * steps[i]`; steps are positive and every read is in
    bounds.
  }];
  let arguments = (ins Rep_Tensor:$input, DenseI64ArrayAttr:$starts,
                   DenseI64ArrayAttr:$sizes, DenseI64ArrayAttr:$steps);
  let results = (outs Rep_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
}

def Rep_PadOp : Rep_TypedOp<"pad"> {
  let summary = "Constant padding; `pads` = all begins, then all ends";
  let arguments = (ins Rep_Tensor:$input, DenseI64ArrayAttr:$pads,
                   F32Attr:$value);
  let results = (outs Rep_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
}

#endif // REP_DIALECT_REPOPS_TD
