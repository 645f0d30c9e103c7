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

//===----------------------------------------------------------------------===//
// Re-parameterization: rep -> rep, exact (passes/lib/Reparameterize)
//===----------------------------------------------------------------------===//

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

def FoldConstants : Pass<"rep-fold-constants", "func::FuncOp"> {
  let summary = "Evaluate every op whose operands are all constants";
  let description = [{
    Weight-only sub-graphs (a BN value computed from its statistics, an
    identity tensor added to a kernel, a transposed weight) are computed once
    with the reference interpreter's semantics and replaced by a constant.

    ```mlir
    %w = rep.add %k, %id : (tensor<8x8x1x1xf32>, tensor<8x8x1x1xf32>) -> tensor<8x8x1x1xf32>
    %y = rep.conv2d %x, %w ...
    ```
    becomes
    ```mlir
    %w = rep.constant dense_resource<folded_conv> : tensor<8x8x1x1xf32>
    %y = rep.conv2d %x, %w ...
    ```
  }];
  let dependentDialects = ["::mlir::rep::RepDialect"];
}

def NormalizeLinear : Pass<"rep-normalize-linear", "func::FuncOp"> {
  let summary = "Rewrite linear and affine ops into the forms the folds use";
  let description = [{
    - `batch_norm` with constant statistics becomes `channel_affine`
      (scale `t = gamma / sqrt(var + eps)` with the node's own epsilon,
      shift `beta - mean * t`);
    - `mul`/`add`/`sub`/`div` by a constant that varies along one axis
      becomes `channel_affine` on that axis (ResMLP's Affine, layer-scale,
      biases of exported MatMul+Add); two affines on one axis combine, and
      so does a uniform one (a scalar scale or shift) with an affine on any
      axis; the identity affine (addcmul's `* 1`) vanishes;
    - `matmul` by a constant 2-D matrix becomes `fc`;
    - a zero `pad` of the spatial dims feeding a conv moves into its pads;
    - an `avg_pool` on a linear branch that is exactly a conv (padding
      counted, or no padding) becomes a depthwise conv with `1/(kh*kw)`;
      one whose single unpadded window covers the map, and which feeds no
      add or affine (a squeeze-excitation's pool), becomes
      `global_avg_pool` instead: a reduction, not a conv with a weight per
      tap.

    ```mlir
    %y = rep.batch_norm %x, %g, %b, %m, %v {epsilon = 1.0e-05 : f32} : ...
    ```
    becomes
    ```mlir
    %y = rep.channel_affine %x, %t, %s {axis = 1 : i64} : ...
    ```
  }];
  let dependentDialects = ["::mlir::rep::RepDialect"];
}

def SimplifyViews : Pass<"rep-simplify-views", "func::FuncOp"> {
  let summary = "Compose and cancel reshape, flatten and transpose chains";
  let description = [{
    `reshape(reshape(x))` is one reshape, a reshape to the input's own
    shape is the input, `transpose(transpose(x))` composes its
    permutations (and vanishes when they cancel), `flatten` is a reshape.

    ```mlir
    %a = rep.reshape %x {shape = array<i64: 32, 2, 7, 7>} : (tensor<32x98x1x1xf32>) -> tensor<32x2x7x7xf32>
    %b = rep.reshape %a {shape = array<i64: 8, 2, 2, 2, 7, 7>} : ...
    ```
    becomes
    ```mlir
    %b = rep.reshape %x {shape = array<i64: 8, 2, 2, 2, 7, 7>} : ...
    ```
  }];
  let dependentDialects = ["::mlir::rep::RepDialect"];
}

def FoldBatchNorm : Pass<"rep-fold-batch-norm", "func::FuncOp"> {
  let summary = "Fold per-channel affines (BN, Affine, layer-scale) into conv and fc";
  let description = [{
    A `channel_affine` (what `rep-normalize-linear` makes of BN, ResMLP's
    Affine and layer-scale) folds
    - backward into the conv (axis 1) or fc (last axis) that produces it:
      `W' = diag(s) W`, `b' = s * b + t`;
    - forward into every conv (axis 1) or fc (last axis) it feeds:
      `W' = W diag(s)`, `b' = b + W t`, when every use reaches one through
      views (reshape, transpose, flatten, slice), global average pooling or
      a mean over other axes. A conv with zero padding takes it only when
      the shift is zero: at the border the shift would be missing.
    - through a chain of single-use views above it, one view at a time,
      when the chain reads a conv or fc and the channel mapping allows it
      (an unfold-to-conv's `[N, L, C]` view; RepMLPNet's `fc3` BN behind a Reshape:
      BN over S channels of `(N', S, h, w)` is an affine over the `S*h*w`
      channels of `(N', S*h*w, 1, 1)`, each value repeated `h*w` times).
    - A `layer_norm` over the last axis ends in the affine `* g + b` per
      channel: when that affine can go forward as above, the norm keeps
      unit scale and zero bias and the affine folds into the fc:
      `fc(LN(x) g + b) = LN(x) (W diag(g))^T + (W b + c)` (the channel
      MLPs of MLP-Mixer, gMLP and ConvMLP, the head behind a token mean).
      Before a token-mixing fc it stays in the norm: there it could only
      move behind the fc as an affine plus a constant map.
    - A scalar scale after a matmul of two activations (attention's
      `q k^T * d^-0.5`) moves onto the operand a projection computes and
      into the projection's rows that operand's slice reads, when other
      readers of the projection (k, v, a conv branch on v) take other
      rows.
    - A scalar scale `s` that reaches a conv or fc through single-use views,
      matmuls of two activations and adds folds into it: views and matmuls
      are linear, and an add carries `s` when its other side takes `1/s`,
      `s u + w = s (u + w / s)` (a constant is divided; a conv, fc or
      affine only the add reads gets a `1/s` that folds into it).
      Container's mixing coefficients:

    ```mlir
    %m = rep.matmul %attn, %v : ...
    %s = rep.channel_affine %m, %sigma, %zero {axis = 1 : i64} : ...
    %d = rep.conv2d %x, %dw, %db {groups = 2 : i64, ...} : ...
    %a = rep.add %s, %d : ...
    %y = rep.conv2d %a, %pw, %pb : ...
    ```
    becomes
    ```mlir
    %m = rep.matmul %attn, %v : ...
    %d = rep.conv2d %x, %dw', %db' {groups = 2 : i64, ...} : ...   // dw / sigma
    %a = rep.add %m, %d : ...
    %y = rep.conv2d %a, %pw', %pb : ...   // pw * sigma
    ```

    Per channel:

    ```mlir
    %c = rep.conv2d %x, %w {...} : ...
    %y = rep.channel_affine %c, %s, %t {axis = 1 : i64} : ...
    ```
    becomes
    ```mlir
    %y = rep.conv2d %x, %w2, %b2 {...} : ...   // loc(fused<"fold-batch-norm">["conv", "bn"])
    ```
  }];
  let dependentDialects = ["::mlir::rep::RepDialect"];
}

def MergeParallelBranches
    : Pass<"rep-merge-parallel-branches", "func::FuncOp"> {
  let summary = "Sum parallel conv, fc, identity and affine branches into one";
  let description = [{
    The leaves of a tree of `add`s and `sub`s (a subtrahend is a leaf with
    sign -1: FastViT's `mixer(x) - norm(x)`) that read the same input are
    merged: a conv used only by the tree, the input itself (identity: a
    kernel with 1 at the centre of each channel's own group; also a conv
    output the block reads elsewhere) and a per-channel affine of the
    input. fc leaves of one input merge the same way into one fc (the
    signed sum of the matrices; an affine on the features is a diagonal,
    the input itself the identity matrix): RepViT's two heads. Kernels
    are zero-padded to the union of their windows, which is exact when the
    strides agree, the dilations agree (1x1 branches take any), the
    results have one shape and the paddings align (`p_b = p - offset`):
    RepVGG's 3x3 + 1x1 + identity, MobileOne's k branches, ACNet's 1xk and
    kx1, DBB's average pool. Groups merge to the coarser grouping. A merge
    that would raise FLOPs or params (a depthwise 3x3 plus a dense 1x1) is
    left alone unless `force` is set.

    ```mlir
    %a = rep.conv2d %x, %w3, %b3 {pads = array<i64: 1, 1, 1, 1>, ...} : ...
    %b = rep.conv2d %x, %w1, %b1 {pads = array<i64: 0, 0, 0, 0>, ...} : ...
    %s = rep.add %a, %b : ...
    %y = rep.add %s, %x : ...
    ```
    becomes
    ```mlir
    %y = rep.conv2d %x, %w, %b {pads = array<i64: 1, 1, 1, 1>, ...} : ...
    ```
  }];
  let options = [
    Option<"force", "force", "bool", /*default=*/"false",
           "Merge even when the merged conv costs more FLOPs or params">,
  ];
  let dependentDialects = ["::mlir::rep::RepDialect"];
}

def MergeSequential : Pass<"rep-merge-sequential", "func::FuncOp"> {
  let summary = "Compose a 1x1 conv with the conv that reads it";
  let description = [{
    `conv_kxk(conv_1x1(x))` is one kxk conv with `K[e,c] = sum_d
    K2[e,d] K1[d,c]` (per group). The bias of the 1x1 conv reaches the
    kxk conv's zero-padded border as zero, so it is carried as the exact
    per-position map `conv_kxk(b1)`: a per-channel bias when that map is
    uniform (no padding, or DBB's BN-and-pad border), else an `add` of a
    constant map after the merged conv. A zero pad and an added constant
    between the two convs (DBB's BN-and-pad border) are part of that map;
    everything constant is evaluated once, so the map is uniform to the
    rounding of its terms when it is uniform in exact arithmetic. A merge
    that raises FLOPs (a dense 1x1 before a depthwise kxk) needs `force`,
    unless a sibling conv of the same input and a kernel at least as big
    absorbs the result.

    ```mlir
    %a = rep.conv2d %x, %w1, %b1 {pads = array<i64: 0, 0, 0, 0>, ...} : ...
    %y = rep.conv2d %a, %w2, %b2 {pads = array<i64: 1, 1, 1, 1>, ...} : ...
    ```
    becomes
    ```mlir
    %c = rep.conv2d %x, %w, %b2 {pads = array<i64: 1, 1, 1, 1>, ...} : ...
    %y = rep.add %c, %map : ...   // only when the map is not uniform
    ```

    When the second conv is 1x1 (stride 1, unpadded) a reshape that keeps
    N and C may sit between the two: it only regroups positions, which a
    1x1 conv maps one by one, so the pair composes on the first conv's grid
    and the reshape moves after it (EANet's `conv1 -> view -> Conv1d`):
    ```mlir
    %a = rep.conv2d %x, %w1, %b1 : (tensor<2x16x4x4xf32>, ...) -> tensor<2x16x4x4xf32>
    %r = rep.reshape %a {shape = array<i64: 2, 16, 1, 16>} : ...
    %y = rep.conv2d %r, %w2 : (tensor<2x16x1x16xf32>, tensor<8x16x1x1xf32>) -> tensor<2x8x1x16xf32>
    ```
    becomes
    ```mlir
    %c = rep.conv2d %x, %w, %b : (tensor<2x16x4x4xf32>, tensor<8x16x1x1xf32>, ...) -> tensor<2x8x4x4xf32>
    %y = rep.reshape %c {shape = array<i64: 2, 8, 1, 16>} : ...
    ```
  }];
  let options = [
    Option<"force", "force", "bool", /*default=*/"false",
           "Merge even when the merged conv costs more FLOPs or params">,
  ];
  let dependentDialects = ["::mlir::rep::RepDialect"];
}

def InjectLocality : Pass<"rep-inject-locality", "func::FuncOp"> {
  let summary = "Fold conv branches on a partition view into the FC reading it (RepMLP)";
  let description = [{
    A conv on a partition view `(N', S, h, w)` is a linear map of the
    `S*h*w` values of each row, block-diagonal over its groups, because the
    zero padding falls on the partition border. When its result is added to
    the result of the FC (a 1x1 conv on `(N', S*h*w, 1, 1)`) that reads a
    view of the same tensor, the conv becomes part of the FC matrix: the
    conv branch disappears. Groups must nest; a merge that would raise
    params needs `force`.

    ```mlir
    %v1 = rep.reshape %t {shape = array<i64: 32, 98, 1, 1>} : ...
    %f = rep.conv2d %v1, %w3 {groups = 2 : i64, ...} : (tensor<32x98x1x1xf32>, tensor<98x49x1x1xf32>) -> ...
    %v2 = rep.reshape %t {shape = array<i64: 32, 2, 7, 7>} : ...
    %c = rep.conv2d %v2, %k {groups = 2 : i64, pads = array<i64: 1, 1, 1, 1>, ...} : ...
    %y = rep.add (reshape %f), (reshape %c) : ...
    ```
    becomes
    ```mlir
    %f = rep.conv2d %v1, %w, %b {groups = 2 : i64, ...} : ...
    %y = rep.reshape %f {...} : ...
    ```
  }];
  let options = [
    Option<"force", "force", "bool", /*default=*/"false",
           "Inject even when it raises the FC's params">,
  ];
  let dependentDialects = ["::mlir::rep::RepDialect"];
}

def FoldUnfoldIntoConv : Pass<"rep-fold-unfold-into-conv", "func::FuncOp"> {
  let summary = "Patches gathered from one map are a conv: under an fc (RaftMLP's cross-scale embedding), or one-hot";
  let description = [{
    `nn.Unfold` exports as slices, pads and concats (the Gather chains the
    importer unrolls); an fc over its patches, `[N, L, F]` with `F` the
    patch features, computes a conv when every feature reads one fixed
    offset `(c, dy, dx)` from each output position of an `oh x ow` grid
    with strides `(sy, sx)`, and a zero exactly where that offset leaves
    the map (zero padding). The pass traces the gather by running it on
    the source's element indices, finds the grid, checks every element,
    and places each fc column at its tap of one `kh x kw` kernel spanning
    all taps; columns on the same tap add. Several unfolds concatenated
    (RaftMLP: 4x4/s4 and 8x8/s4 pad 2) become one kernel with the smaller
    windows inside the larger, as ACNet's merge. Refused when the conv
    would cost more FLOPs than the fc (unless `force`) and for 1x1 patches
    (the fc is already that conv).

    ```mlir
    %p = rep.pad %x {pads = array<i64: 0, 0, 2, 2, 0, 0, 2, 2>, ...}
    %r0 = rep.slice %p {starts = array<i64: 0, 0, 0, 0>, sizes = array<i64: 2, 3, 1, 44>, ...}
    ...
    %u = rep.concat %a, %b {axis = 2 : i64} : (...) -> tensor<2x100x240xf32>
    %y = rep.fc %u, %w, %bias : (tensor<2x100x240xf32>, tensor<16x240xf32>, ...) -> tensor<2x100x16xf32>
    ```
    becomes
    ```mlir
    %c = rep.conv2d %x, %k, %bias {pads = array<i64: 2, 2, 2, 2>, strides = array<i64: 4, 4>, ...}
         : (tensor<2x3x40x40xf32>, tensor<16x3x8x8xf32>, ...) -> tensor<2x16x10x10xf32>
    %r = rep.reshape %c {shape = array<i64: 2, 16, 100>}
    %y = rep.transpose %r {perm = array<i64: 0, 2, 1>} : (...) -> tensor<2x100x16xf32>
    ```

    Patches no fc reads (a LayerNorm over each patch first: T2T-ViT's and
    EAMLP's tokens-to-token stem) become a conv with one-hot kernels, one
    group per input channel when the features are channel-major blocks as
    nn.Unfold writes them (`c * k * k + tap`): exact, and `k * k` MACs an
    element where the gather was hundreds of small slices to compile.

    ```mlir
    %u = rep.concat %s0, %s1, ... {axis = 2 : i64} : (...) -> tensor<2x20x27xf32>
    %n = rep.layer_norm %u, ...
    ```
    becomes
    ```mlir
    %c = rep.conv2d %x, %onehot {groups = 3 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
         : (tensor<2x3x7x9xf32>, tensor<27x1x3x3xf32>) -> tensor<2x27x4x5xf32>
    %r = rep.reshape %c {shape = array<i64: 2, 27, 20>}
    %u = rep.transpose %r {perm = array<i64: 0, 2, 1>} : (...) -> tensor<2x20x27xf32>
    %n = rep.layer_norm %u, ...
    ```
  }];
  let options = [
    Option<"force", "force", "bool", /*default=*/"false",
           "Fold even when the conv costs more FLOPs than the fc">,
  ];
  let dependentDialects = ["::mlir::rep::RepDialect"];
}

//===----------------------------------------------------------------------===//
// Lowering: rep -> linalg on tensors -> buffers in one planned workspace
// (passes/lib/Lowering; both back ends)
//===----------------------------------------------------------------------===//

def SplitGroupedConvs : Pass<"rep-split-grouped-convs", "func::FuncOp"> {
  let summary = "Split a grouped conv into one dense conv per group (CPU)";
  let description = [{
    A conv with 2 to `max-groups` groups that is neither depthwise nor a
    stride-1 pointwise conv (both have kernels of their own) becomes a
    dense conv per group on a slice of the input channels, the outputs
    concatenated: each group then runs the dense convs' register-blocked
    schedule instead of the generic 8-loop nest grouped convs lower to,
    which ran RepVGG-B1g2 28x slower than ONNX Runtime. Exact: every
    output sums the same products in the same order.

    ```mlir
    %y = rep.conv2d %x, %w, %b {groups = 2 : i64, pads = array<i64: 1, 1, 1, 1>, ...}
         : (tensor<1x8x9x9xf32>, tensor<6x4x3x3xf32>, tensor<6xf32>) -> tensor<1x6x9x9xf32>
    ```
    becomes
    ```mlir
    %x0 = rep.slice %x {starts = array<i64: 0, 0, 0, 0>, sizes = array<i64: 1, 4, 9, 9>, ...}
    %y0 = rep.conv2d %x0, %w0, %b0 {groups = 1 : i64, ...} : (...) -> tensor<1x3x9x9xf32>
    %x1 = rep.slice %x {starts = array<i64: 0, 4, 0, 0>, ...}
    %y1 = rep.conv2d %x1, %w1, %b1 {groups = 1 : i64, ...} : (...) -> tensor<1x3x9x9xf32>
    %y = rep.concat %y0, %y1 {axis = 1 : i64} : (...) -> tensor<1x6x9x9xf32>
    ```
  }];
  let options = [
    Option<"maxGroups", "max-groups", "int64_t", /*default=*/"16",
           "Split convs with at most this many groups">,
  ];
  let dependentDialects = ["::mlir::rep::RepDialect"];
}

def LowerToLinalg : Pass<"rep-lower-to-linalg", "ModuleOp"> {
  let summary = "Lower rep ops to linalg on tensors, choosing layouts";
  let description = [{
    Gives every value a physical layout (a permutation of its logical ONNX
    dims) and lowers each op to linalg, tensor and arith on tensors. Convs
    and pools run channels-last with HWCF weights (repacked at compile time)
    and their bias as the accumulator's initial value; elementwise ops run
    in their full-size operand's layout and read the others through
    broadcasting maps; a transpose only relabels dims; an fc multiplies
    along the physical dim that holds its reduced dim. A `linalg.transpose`
    copy is made only where an op needs another layout: at the function
    boundary, before a reshape, before a conv whose input is not
    channels-last.

    ```mlir
    %y = rep.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, groups = 1 : i64,
           pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
         : (tensor<1x3x8x8xf32>, tensor<4x3x1x1xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
    %r = rep.relu %y : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    return %r : tensor<1x4x8x8xf32>
    ```
    becomes
    ```mlir
    %t = linalg.transpose ins(%x : tensor<1x3x8x8xf32>) outs(%e0 : tensor<1x8x8x3xf32>) permutation = [0, 2, 3, 1]
    %i = linalg.broadcast ins(%bias : tensor<4xf32>) outs(%e1 : tensor<1x8x8x4xf32>) dimensions = [0, 1, 2]
    %c = linalg.conv_2d_nhwc_hwcf ins(%t, %hwcf : ...) outs(%i : tensor<1x8x8x4xf32>)
    %r = linalg.generic {...} ins(%c : tensor<1x8x8x4xf32>) { arith.maximumf }
    %o = linalg.transpose ins(%r : tensor<1x8x8x4xf32>) outs(%e2 : tensor<1x4x8x8xf32>) permutation = [0, 3, 1, 2]
    return %o : tensor<1x4x8x8xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"
  ];
}

def FuseElementwise : Pass<"rep-fuse-elementwise", "func::FuncOp"> {
  let summary = "Fuse elementwise chains into one op; put a pointwise conv's epilogue on its matmul's shape";
  let description = [{
    Producer-consumer fusion of elementwise `linalg.generic`s whose producer
    has one use (bias, GELU, batch norm, residual add become one loop nest),
    without upstream's folding of reshapes into named ops, which would turn
    a matmul into a generic no kernel schedule recognises.

    An elementwise op that reads a pointwise conv's `linalg.matmul` through
    the `expand_shape` back to `[N, H, W, C]` is rewritten on the matmul's
    `[N*H*W, C]`, so that the schedules can fuse it into the matmul's tiles;
    its other operands must be of the full shape (collapsed, a view) or per
    channel (reshaped to `[C]`).

    ```mlir
    %m = linalg.matmul ins(%x, %w : tensor<24x14xf32>, tensor<14x32xf32>) outs(%b : tensor<24x32xf32>) -> tensor<24x32xf32>
    %e = tensor.expand_shape %m [[0, 1, 2], [3]] output_shape [2, 4, 3, 32] : tensor<24x32xf32> into tensor<2x4x3x32xf32>
    %r = linalg.generic {indexing_maps = [(d0, d1, d2, d3) -> (d0, d1, d2, d3), (d0, d1, d2, d3) -> (d3, 0, 0), ...]}
           ins(%e, %scale : tensor<2x4x3x32xf32>, tensor<32x1x1xf32>) outs(%o : tensor<2x4x3x32xf32>) { mulf }
    ```
    becomes
    ```mlir
    %s = tensor.collapse_shape %scale [[0, 1, 2]] : tensor<32x1x1xf32> into tensor<32xf32>
    %f = linalg.generic {indexing_maps = [(d0, d1) -> (d0, d1), (d0, d1) -> (d1), ...]}
           ins(%m, %s : tensor<24x32xf32>, tensor<32xf32>) outs(%o2 : tensor<24x32xf32>) { mulf }
    %r = tensor.expand_shape %f [[0, 1, 2], [3]] output_shape [2, 4, 3, 32] : tensor<24x32xf32> into tensor<2x4x3x32xf32>
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def FusePadIntoProducers : Pass<"rep-fuse-pad-into-producers", "func::FuncOp"> {
  let summary = "Let the ops that compute a padded tensor write into its interior";
  let description = [{
    A conv's zero padding is a `tensor.pad` of the previous layer's output,
    which bufferizes to a new buffer, a fill and a copy of the whole
    activation. When the padded value is computed by a chain of
    destination-style ops (a conv accumulating on a bias broadcast, then a
    ReLU), the chain can write straight into the interior of the filled
    padded buffer instead: the pad becomes a fill and an `insert_slice` that
    bufferizes in place, and no copy is made.

    ```mlir
    %e = tensor.empty() : tensor<1x8x8x4xf32>
    %r = linalg.generic {...} ins(%c : tensor<1x8x8x4xf32>) outs(%e : tensor<1x8x8x4xf32>) { arith.maximumf }
    %p = tensor.pad %r low[0, 1, 1, 0] high[0, 1, 1, 0] { tensor.yield %zero : f32 }
    ```
    becomes
    ```mlir
    %e = bufferization.alloc_tensor() : tensor<1x10x10x4xf32>
    %f = ... four linalg.fill of the border slabs of %e, each through
         extract_slice / insert_slice ...
    %s = tensor.extract_slice %f[0, 1, 1, 0] [1, 8, 8, 4] [1, 1, 1, 1]
    %r = linalg.generic {...} ins(%c : tensor<1x8x8x4xf32>) outs(%s : tensor<1x8x8x4xf32>) { arith.maximumf }
    %p = tensor.insert_slice %r into %f[0, 1, 1, 0] [1, 8, 8, 4] [1, 1, 1, 1]
    ```
    Only the border is filled, slab by slab (the interior is written by the
    chain anyway; RepVGG's padded buffers are 90% interior). Each padded
    tensor starts from a `bufferization.alloc_tensor`: CSE
    would merge equal `tensor.empty` ops and with them the fills of
    same-shaped padded tensors, which bufferization then separates again
    with whole-buffer copies.

    A pad whose source has other users (ConvMixer's residual), or is not
    computed by such a chain (a function argument, a reshape), gets the
    same fill and a `linalg.copy` into the interior: the copy the pad would
    bufferize to, but as an op the kernel schedules split over the threads
    and vectorize. Pads marked `nofold`, with a non-constant padding value
    or dynamic shapes stay.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def RematerializeFills : Pass<"rep-rematerialize-fills", "func::FuncOp"> {
  let summary = "Give each op that writes over a filled empty tensor its own fill";
  let description = [{
    Before bufferization: CSE merges equal fills, such as the zero inits
    of a LayerNorm's two sums, and one-shot bufferization then fills one
    buffer and copies it into each sum's own (on the GPU, a kernel for the
    fill, and the sums load their start from it). Where a fill of a
    `tensor.empty` has several users, this pass gives each op that takes it
    as its destination its own `tensor.empty` and `linalg.fill`, right
    before it; the fill stays for the ops that only read it, if any. Each
    fill then bufferizes in place into the buffer its writer reduces into,
    right before it, which `rep-map-reductions-to-gpu` and
    `rep-tile-contractions-for-gpu` fuse as the start value.

    ```mlir
    %e = tensor.empty() : tensor<784xf32>
    %z = linalg.fill ins(%cst : f32) outs(%e : tensor<784xf32>) -> tensor<784xf32>
    %sum = linalg.generic ... outs(%z : tensor<784xf32>)
    %var = linalg.generic ... ins(%x, %sum ...) outs(%z : tensor<784xf32>)
    ```
    becomes
    ```mlir
    %e1 = tensor.empty() : tensor<784xf32>
    %z1 = linalg.fill ins(%cst : f32) outs(%e1 : tensor<784xf32>) -> tensor<784xf32>
    %sum = linalg.generic ... outs(%z1 : tensor<784xf32>)
    %e2 = tensor.empty() : tensor<784xf32>
    %z2 = linalg.fill ins(%cst : f32) outs(%e2 : tensor<784xf32>) -> tensor<784xf32>
    %var = linalg.generic ... ins(%x, %sum ...) outs(%z2 : tensor<784xf32>)
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def PlanMemory : Pass<"rep-plan-memory", "ModuleOp"> {
  let summary = "Place every static buffer of a function in one workspace, reusing memory";
  let description = [{
    After bufferization, a model's activations are `memref.alloc`s in its
    function's entry block. This pass computes when each one is live (from
    its allocation to the last top-level op that uses it or a view of it),
    packs them into one byte buffer with first-fit placement by decreasing
    size, so that buffers whose lifetimes do not overlap share memory, and
    replaces each allocation with a `memref.view` of a new trailing function
    argument. The caller passes that workspace (`rep.workspace_size` bytes,
    64-byte aligned) and can keep it across runs: no allocation, and no page
    faults, per inference.

    First, an allocation inside a nest of sequential loops (`scf.for`; a
    fused kernel's accumulator tile) moves out of the nest: its contents
    never outlive an iteration, so one buffer serves them all. It stops at
    a parallel loop, whose iterations each need their own, or reaches the
    function body and is planned with the others.

    Allocations left inside parallel loops, with dynamic sizes or layouts,
    and any buffer that a view lets escape through `func.return` are left
    alone; so are functions that are called (their callers would need the
    argument).

    ```mlir
    func.func @f(%arg0: memref<64xf32>, %arg1: memref<64xf32>) {
      %a = memref.alloc() : memref<64xf32>
      linalg.copy ins(%arg0 : memref<64xf32>) outs(%a : memref<64xf32>)
      %b = memref.alloc() : memref<64xf32>
      linalg.copy ins(%a : memref<64xf32>) outs(%b : memref<64xf32>)
      %c = memref.alloc() : memref<64xf32>
      linalg.copy ins(%b : memref<64xf32>) outs(%c : memref<64xf32>)
      linalg.copy ins(%c : memref<64xf32>) outs(%arg1 : memref<64xf32>)
      return
    }
    ```
    becomes (`%c` reuses `%a`'s bytes)
    ```mlir
    func.func @f(%arg0: memref<64xf32>, %arg1: memref<64xf32>,
                 %ws: memref<512xi8> {rep.workspace})
        attributes {rep.workspace_size = 512 : i64} {
      %a = memref.view %ws[%c0][] : memref<512xi8> to memref<64xf32>
      %b = memref.view %ws[%c256][] : memref<512xi8> to memref<64xf32>
      %c = memref.view %ws[%c0][] : memref<512xi8> to memref<64xf32>
      ...
    }
    ```
  }];
  let options = [
    Option<"liveThroughEpilogues", "live-through-epilogues", "bool",
           /*default=*/"false",
           "Keep a reduction's operands live until the next linalg.generic "
           "(up to kMaxOpsBeforeEpilogue ops on), which "
           "rep-tile-contractions-for-gpu may fuse "
           "into it as an epilogue that must not overwrite them, and on "
           "to a linalg.copy of that generic's output (through reshapes) "
           "after it, which it fuses too">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def ExternalizeWeights : Pass<"rep-externalize-weights", "ModuleOp"> {
  let summary = "Move constant buffers out of the code into one weights blob "
                "the caller passes in";
  let description = [{
    For `repc --weights=FILE`: after bufferization, every constant
    `memref.global` a model reads (its weights, folded at compile time) is
    packed into one byte blob, each at a 64-byte aligned offset behind a
    64-byte header, and each `memref.get_global` becomes a `memref.view` of a
    new trailing function argument (`rep.weights`) that points at the blob.
    The globals are erased, so the code carries no weights; the blob is left
    on the module as `rep.weights` (the back end writes it to FILE and drops
    the attribute) with its 64-bit fingerprint, `rep.weights_fingerprint`,
    which the header and the model descriptor both carry so that a weights
    file from another build is refused rather than used.

    Header: bytes 0-7 `REPCWTS1`, 8-15 the fingerprint (xxh3 of everything
    after the header), 16-23 the blob's size in bytes, little-endian.

    Globals whose elements are not whole bytes, with a layout, or read by a
    function that is called (its callers would need the argument) stay in
    the code.

    ```mlir
    memref.global "private" constant @w : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
    func.func @f(%out: memref<4xf32>) {
      %w = memref.get_global @w : memref<4xf32>
      ...
    }
    ```
    becomes
    ```mlir
    module attributes {rep.weights = dense<...> : tensor<128xi8>,
                       rep.weights_fingerprint = ... : i64} {
      func.func @f(%out: memref<4xf32>, %blob: memref<128xi8> {rep.weights}) {
        %c64 = arith.constant 64 : index
        %w = memref.view %blob[%c64][] : memref<128xi8> to memref<4xf32>
        ...
      }
    }
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def CopyToLinalg : Pass<"rep-copy-to-linalg", "ModuleOp"> {
  let summary = "Rewrite memref.copy as linalg.copy, loops in the model itself";
  let description = [{
    A `memref.copy` of strided views lowers to a call into MLIR's runner
    utilities library (`memrefCopy`), which a compiled model does not link;
    a `linalg.copy` becomes loops. Copies and fills on buffers become
    sequential `scf.for` loops right away, which LLVM vectorizes (into
    `memset` for fills). As parallel loops, a whole-buffer copy between
    kernels would become one collapsed OpenMP loop whose index arithmetic
    costs more than the copy, and a tile copy inside a kernel (a tile
    written into a padded buffer) a nested OpenMP region forked once per
    tile.

    ```mlir
    memref.copy %a, %b : memref<4x8xf32, strided<[16, 1]>> to memref<4x8xf32>
    ```
    becomes
    ```mlir
    linalg.copy ins(%a : memref<4x8xf32, strided<[16, 1]>>) outs(%b : memref<4x8xf32>)
    ```

    With `loops=false` (the GPU pipeline) every copy stays a `linalg.copy`,
    which becomes a parallel loop and then a kernel.
  }];
  let options = [
    Option<"loops", "loops", "bool", /*default=*/"true",
           "Turn copies and fills into sequential loops">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

//===----------------------------------------------------------------------===//
// The CPU back end (passes/lib/CPU; its schedules and pipeline passes are in
// compiler/include/rep/CodeGen/Passes.td)
//===----------------------------------------------------------------------===//

def WinogradConv : Pass<"rep-winograd-conv", "func::FuncOp"> {
  let summary = "Compute stride-1 3x3 convs as Winograd F(2x2, 3x3)";
  let description = [{
    On the CPU path, before the kernel schedules: a
    `linalg.conv_2d_nhwc_hwcf` with a constant 3x3 filter, stride and
    dilation 1, even output height and width and at least `min-channels`
    input and output channels becomes three kernels over 2x2 output tiles:

    1. the input transform `V = B^T d B` of every 4x4 input tile into
       `[16, N, tH, tW, C]`, one `linalg.generic` over (k, n, th, tw, c)
       that reads 16 stride-2 views of the input, computes the 16 sums
       (adds and subtracts only) and picks element k (the CPU schedule
       keeps k whole in the vector, so the pick folds away);
    2. a `linalg.batch_matmul` of V, as `[16, tiles, C]`, with the filter
       transformed at compile time, `U = G g G^T` (`[16, C, F]`, computed
       in double);
    3. the output transform `Y = A^T M A` plus the conv's accumulator (a
       bias vector, a scalar fill, or any tensor), one generic over
       (i, j, n, th, tw, f) into `[N, tH, 2, tW, 2, F]`, which is the NHWC
       result as it lies in memory.

    That is 16 multiplies per tile and channel pair instead of 36, 2.25x
    fewer. B and A hold only 0 and +-1 and G only 0, +-1/2 and 1, so the
    transforms only add, subtract and halve: no constant that rounds, and
    the result agrees with the direct conv to a few ulps.

    ```mlir
    %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>,
                                   strides = dense<1> : tensor<2xi64>}
        ins(%x, %w : tensor<1x30x30x64xf32>, tensor<3x3x64x64xf32>)
        outs(%b : tensor<1x28x28x64xf32>) -> tensor<1x28x28x64xf32>
    ```
    becomes
    ```mlir
    %d00 = tensor.extract_slice %x[0, 0, 0, 0] [1, 14, 14, 64] [1, 2, 2, 1]
    ...                                                  // 16 views
    %v = linalg.generic ... ins(%d00, ..., %d33 : ...)
        outs(%e : tensor<16x1x14x14x64xf32>)             // V = B^T d B
    %vc = tensor.collapse_shape %v [[0], [1, 2, 3], [4]]
    %m = linalg.batch_matmul ins(%vc, %u : tensor<16x196x64xf32>,
                                           tensor<16x64x64xf32>) ...
    %y6 = linalg.generic ... ins(%m0, ..., %m15, %bias ...)
        outs(%e6 : tensor<1x14x2x14x2x64xf32>)           // A^T M A + bias
    %y = tensor.collapse_shape %y6 [[0], [1, 2], [3, 4], [5]]
        : tensor<1x14x2x14x2x64xf32> into tensor<1x28x28x64xf32>
    ```
  }];
  let options = [
    Option<"minChannels", "min-channels", "int64_t", /*default=*/"48",
           "Fewest input and output channels for which the transforms pay">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def PackConstantSlabs : Pass<"rep-pack-constant-slabs", "func::FuncOp"> {
  let summary = "Store a constant read in column slabs slab by slab";
  let description = [{
    After the kernel schedules, on tensors: a constant whose every reader is
    a `tensor.extract_slice` of all its rows and `b` columns of its last
    dim, at a multiple of `b` (a thread's share of a conv's filters or an
    fc's outputs, or a cache tile of an fc's outputs, at a loop counter that
    starts at and steps by multiples of `b`), is stored as
    `[cols / b, rows..., b]`, and each slice takes one slab, rank-reduced to
    the type it had. A slab was `b` elements in every row of the whole
    constant, one row per page for RepVGG-A0's 1280-filter conv, which the
    hardware prefetchers do not follow; now it is one contiguous run (for
    ConvMixer-768/32's pointwise convs, 128-column tiles: 3-5% faster).
    Splats, rank-1 constants and constants with any other reader are left
    alone.

    ```mlir
    %w = arith.constant dense<...> : tensor<3x3x192x1280xf32>
    scf.forall (%i) in (40) ... {
      %o = affine.apply affine_map<(d0) -> (d0 * 32)>(%i)
      %s = tensor.extract_slice %w[0, 0, 0, %o] [3, 3, 192, 32] [1, 1, 1, 1]
          : tensor<3x3x192x1280xf32> to tensor<3x3x192x32xf32>
    ```
    becomes
    ```mlir
    %w = arith.constant dense<...> : tensor<40x3x3x192x32xf32>
    scf.forall (%i) in (40) ... {
      %j = affine.apply affine_map<(d0) -> (d0)>(%i)
      %s = tensor.extract_slice %w[%j, 0, 0, 0, 0] [1, 3, 3, 192, 32] [1, 1, 1, 1, 1]
          : tensor<40x3x3x192x32xf32> to tensor<3x3x192x32xf32>
    ```
  }];
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::tensor::TensorDialect"];
}

def LowerToLoops : Pass<"rep-lower-to-loops", "func::FuncOp"> {
  let summary = "Lower the linalg ops no kernel schedule claimed to loops, "
                "parallel over one outer dimension at most";
  let description = [{
    Upstream's `convert-linalg-to-parallel-loops` makes every parallel
    dimension an `scf.parallel`. On the CPU each becomes an OpenMP region:
    a nest of them is one collapsed loop whose index arithmetic costs more
    than the work (a fill of a 3-channel padded input), a parallel
    dimension inside a reduction loop forks once per iteration of it (a
    global pool: 49 forks), and an op left inside a kernel's tile loops
    forks once per tile. This pass gives an op at the top of a function one
    `scf.parallel`, its outermost loop, when that loop is parallel, runs
    more than once and only loops of one iteration enclose it; every other
    loop, every loop of an op already inside a parallel loop, and every
    loop of a nest under 16384 iterations (waking the team costs more), is
    a sequential `scf.for` that LLVM can vectorize.

    ```mlir
    linalg.generic {iterator_types = ["parallel", "reduction", "reduction", "parallel"]}
        ins(%x : memref<1x7x7x1280xf32>) outs(%y : memref<1x1x1x1280xf32>)
    ```
    becomes four `scf.for` loops (its outermost parallel loop runs once and
    a reduction encloses the other), and
    ```mlir
    linalg.fill ins(%zero : f32) outs(%p : memref<1x225x225x3xf32>)
    ```
    one `scf.parallel` over the 225 rows around two `scf.for` loops.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect"];
}

def ApproximateMath : Pass<"rep-approximate-math", "ModuleOp"> {
  let summary = "Rewrite erf, exp and tanh as polynomials the vectorizer keeps in registers";
  let description = [{
    A vectorized GELU would otherwise call libm's scalar `erff` once per
    lane. f32 erf becomes one rational function of the input clamped to
    [-4, 4], `x P(x^2) / Q(x^2)` (10 FMAs and a division, within 3.8e-7 of
    erf); exp, tanh and the rest take upstream's polynomial approximations
    (`populateMathPolynomialApproximationPatterns`), whose erf picks one of
    three rational pieces per lane with selects and costs twice as much.

    ```mlir
    %e = math.erf %x : vector<16xf32>
    ```
    becomes a sequence of `arith` ops on `vector<16xf32>` with no call.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def OutlineParallelRegions : Pass<"rep-outline-parallel-regions", "ModuleOp"> {
  let summary = "Move each OpenMP parallel region of a function into a function of its own";
  let description = [{
    The last step before the LLVM IR translation. The translation outlines
    every `omp.parallel` region itself (OpenMPIRBuilder), and for each it
    builds an analysis of the whole function around the region (LLVM 19's
    CodeExtractorAnalysisCache): with one model function holding every
    kernel, that is quadratic in the kernel count (HorNet-T's translation
    and O3 took 17.5 s, 8.1 s after this pass). Here each region that no
    other OpenMP op encloses moves into an internal `llvm.func` that holds
    just it, called where it was; the values it reads from around it
    become arguments, except constants and global addresses, which are
    cloned into the new function so that LLVM still sees constant trip
    counts. LLVM inlines the single-call functions back at O3, after the
    translation has outlined the region bodies, so the code is unchanged.
    A function with one region is left as it is.

    ```mlir
    llvm.func @model_impl(%a: !llvm.ptr) {
      %c = llvm.mlir.constant(64 : i64) : i64
      omp.parallel { ... %a ... %c ... omp.terminator }
      llvm.return
    }
    ```
    becomes
    ```mlir
    llvm.func @model_impl(%a: !llvm.ptr) {
      llvm.call @model_impl_parallel0(%a) : (!llvm.ptr) -> ()
      llvm.return
    }
    llvm.func internal @model_impl_parallel0(%a: !llvm.ptr) {
      %c = llvm.mlir.constant(64 : i64) : i64
      omp.parallel { ... %a ... %c ... omp.terminator }
      llvm.return
    }
    ```
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

//===----------------------------------------------------------------------===//
// The GPU back end (passes/lib/GPU)
//===----------------------------------------------------------------------===//

def TileContractionsForGpu
    : Pass<"rep-tile-contractions-for-gpu", "func::FuncOp"> {
  let summary = "Compute each conv and matmul as a tiled GPU kernel";
  let description = [{
    After bufferization, on the GPU path: a top-level linalg op whose body
    is `out + a * b` on static f32 buffers and that is a GEMM in disguise
    becomes one `gpu.launch`. The output's last dimension is the GEMM's
    columns and must index exactly one input, `b` (for a depthwise conv,
    whose channel indexes both, see below); the
    other parallel dimensions that only `a` reads are its rows (batch and
    pixels of an NHWC conv), those `b` reads too are independent GEMMs
    (groups), and the reductions are its depth (kh, kw, c: an implicit
    im2col, nothing materialized).

    Each block computes 128 rows by the widest tile of whole warps (16 to
    64 columns, a multiple of 8) that divides the columns; each thread
    holds 8 x 8 accumulators in registers for 64 columns, 8 x 4 for 32 to
    56, 4 x 4 under 32: half its rows and columns in each half of the
    block's, consecutive. The depth goes in rounds of 16 through two
    buffers in dynamic shared memory, each a 16-deep slice of `a` and of
    `b` (zeros past the edges; neighbouring threads load neighbouring
    addresses). The first slices are stored into buffer 0 before the
    loop, then a barrier; each round loads the next round's elements into
    registers, makes 16 unrolled rank-1 updates out of its buffer (the
    global loads' latency hides under them), stores the elements into the
    other buffer and meets one barrier, which both publishes them and
    keeps them from overwriting a buffer still being read. Each update reads a thread's
    rows and columns as vectors of 4 (or 2) words, through views of the slices whose elements
    are those vectors, so that the backend emits aligned vector loads
    (`ld.shared.v4.f32`): 4 loads per 64 FMAs. Every output starts from its value in `out` and adds its
    products in the depth's order, as the sequential loop does: the result
    is the same to the bit but for the fused multiply-adds, which the other
    kernels use too.

    With `multiprocessors=N`, a GEMM whose columns divide by 128 and whose
    128 x 128 tiles still make at least N blocks (batch 64: the wide tiles
    give every multiprocessor a block) takes them: 256 threads of 8 x 8,
    each round loading 256 slice elements for 16384 multiply-adds, where
    a 128 x 64 tile loads 192 for 8192.

    Blocks shrink where 128 rows would be mostly padding (32 rows when the
    rows fit in 32, 64 when in 64) and, with `multiprocessors=N`, to 64
    rows where 128-row tiles make fewer than N blocks; fewer rows per
    thread where the block would not be whole warps. If the blocks are
    still fewer than N, and their threads have at least 4096
    multiply-adds each to do (less takes about as long as the extra
    kernel's launch), the depth is split into chunks (multiples of 16,
    at least 32 deep) so that there are about N blocks: each stores its
    partial sums, from 0, into a `memref.alloc` of [splits, output shape]
    (which the launch table places past the workspace), and a second
    `gpu.launch`, a thread per output, adds them in depth order to the
    output's start value; the fused prologue and epilogue move into that
    kernel.

    The op right before that only fills `out` (a bias broadcast) gives the
    accumulators their start instead, and the elementwise op after it that
    reads `out` element by element (ReLU, GELU, an affine, a residual add)
    is applied to the accumulators and stored to its own output, besides
    `out`, if that output overlaps neither input of the kernel nor what
    the op reads, and if the ops in between (the zero borders of a padded
    buffer) touch none of its buffers. Both ops are erased.
    `rep-plan-memory{live-through-epilogues}` keeps the memory plan from
    placing that output over the kernel's inputs. A `linalg.copy` after
    the epilogue that reads its output through reshapes (ConvMixer's copy
    of a layer's output into the interior of the next conv's padded
    input, which the residual also reads unpadded) fuses the same way:
    the kernel stores each epilogue value there too, at the same row-major
    position, and the copy is erased.

    A depthwise conv (the output's last dimension indexes both inputs, its
    second-last, the columns, only the input) becomes a register-tiled
    kernel: one thread per channel and 4 to 8 consecutive columns (the
    most that divide them, else 4 and a guard), 256 threads a block, its
    taps (at most 128) unrolled in the sequential loop's order. Each
    weight is loaded once for all the thread's columns, and each input
    element that several (column, tap) pairs read, once: its indices,
    folded to affine expressions of the first column, are the key. The
    same prologue and epilogue fuse into it.

    ```mlir
    linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>,
                              strides = dense<2> : tensor<2xi64>}
        ins(%x, %w : memref<2x35x35x3xf32>, memref<3x3x3x16xf32>)
        outs(%y : memref<2x17x17x16xf32>)
    ```
    becomes
    ```mlir
    gpu.launch blocks(...) in (%gx = %c5, ...) threads(...) in (%tx = %c128, ...)
        dynamic_shared_memory_size %c18944_i32 {
      %smem = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
      %ta = memref.view %smem[%c0][] ... to memref<2x16x132xf32, #gpu.address_space<workgroup>>
      %tb = memref.view %smem[%c16896][] ... to memref<2x16x16xf32, #gpu.address_space<workgroup>>
      %va = memref.view %smem[%c0][] ... to memref<2x16x66xvector<2xf32>, #gpu.address_space<workgroup>>
      %vb = memref.view %smem[%c16896][] ... to memref<2x16x8xvector<2xf32>, #gpu.address_space<workgroup>>
      ... 16 accumulators loaded from %y (guarded past row 578)
      ... 16 + 2 elements: %x at the im2col position of (row, 0 + depth),
          %w at (0 + depth, column) -> %ta[0], %tb[0]
      gpu.barrier
      scf.for %k0 = %c0 to %c32 step %c16 iter_args(16 sums) {
        ... if %k0 + 16 < 32: the 18 elements at depth %k0 + 16
        16 x { 2 + 2 vector loads from %va[%k0 / 16 % 2], %vb[...]; 16 FMAs }
        ... the 18 elements -> %ta[(%k0 + 16) / 16 % 2], %tb[...]
        gpu.barrier
      }
      ... 16 guarded stores to %y
    }
    ```
  }];
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
  let options = [
    Option<"multiprocessors", "multiprocessors", "int64_t", /*default=*/"0",
           "The GPU's multiprocessors: a GEMM with at least as many "
           "128 x 128 tiles takes those; one with fewer 128 x 64 tiles "
           "takes 64-row tiles and splits its depth across blocks (0: "
           "neither)">,
  ];
}

def MapReductionsToGpu
    : Pass<"rep-map-reductions-to-gpu", "func::FuncOp"> {
  let summary = "Compute each reduction along memory as a cooperative GPU kernel";
  let description = [{
    After bufferization, on the GPU path: a top-level `linalg.generic` on
    static f32 buffers with reduction loops, whose body combines the
    output with one value by an add, a multiply, a max or a min, and that
    combines at least 32 elements an output, becomes one `gpu.launch`, if
    its inputs run along memory (their contiguous last dimension, unit
    stride) in one of two ways. `rep-map-parallel-loops-to-gpu` would give
    each output to one thread, which combines all its elements alone: a
    784 x 128 LayerNorm sum made 4 blocks whose neighbouring threads read
    a row apart, and RepMLPNet's global average pools over 56 x 56 pixels
    one block of 64 threads, each 3136 loads long.

    Rows (one reduced loop, which the inputs read along memory: a
    LayerNorm's mean and variance over channels): a warp takes a row, 8
    rows a block of 256 threads, and lane l combines elements l, l + 32,
    ... Columns (the output's last loop is the one the inputs read along
    memory: a global average pool over NHWC's h and w, a mean over
    tokens): a block takes 32 neighbouring outputs, a lane each, and 2 to
    32 warps (slices, a power of 2, about 16 elements a thread), and slice
    s combines the reduced elements s, s + slices, ... in the reduced
    loops' row-major order.

    Either way each thread starts from the combiner's neutral value (-0, 1,
    -inf or +inf) and keeps the elements' order; the block's partials meet
    in dynamic shared memory and are halved, a barrier after each halving
    (thread t takes the partial half the width away: lanes in a row's
    warp, slices in a column's block), but for the last, which the
    output's first thread does alone before it combines the output's
    start value with the total. The sum is reassociated, as every
    parallel reduction is. Threads past the last row or column load
    nothing but meet the barriers.

    The op right before that only fills the output (the zero fill that
    `rep-rematerialize-fills` gives each reduction) gives the start value
    instead, and an elementwise op after it (a mean's division) fuses, as
    in `rep-tile-contractions-for-gpu`.

    A row reduction's kernel also computes the chain of ops after it that
    read its output only at their row: further row reductions along the
    same loop into the same rows, and one elementwise op over the rows'
    elements, which ends the chain; a LayerNorm's mean, variance and
    normalization become one kernel where they were three. After each
    reduction the row's first lane stores the total to its buffer (other
    kernels may read it) and to the row's slot past the partials, and
    after a barrier every lane of the row reads it there, in registers
    for the links after. The elementwise op's lane l computes the row's
    elements l, l + 32, ..., the ones it read in the reductions, so it may
    update their input in place. The chain ends before an op whose output
    overlaps what the kernel reads or writes otherwise, and the kernel
    takes none if the ops in between, but for views, which move before
    it, and the links' zero fills, which become their start values, touch
    its buffers. Each value is computed as the separate kernels did.

    ```mlir
    linalg.fill ins(%zero : f32) outs(%sum : memref<784xf32>)
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                     affine_map<(d0, d1) -> (d0)>],
                    iterator_types = ["parallel", "reduction"]}
        ins(%x : memref<784x128xf32>) outs(%sum : memref<784xf32>) {
    ^bb0(%in: f32, %out: f32):
      %s = arith.addf %in, %out : f32
      linalg.yield %s : f32
    }
    ```
    becomes
    ```mlir
    gpu.launch blocks(...) in (%gx = %c98, ...) threads(...) in (%tx = %c256, ...)
        dynamic_shared_memory_size %c1024_i32 {
      %lane = arith.remui %tid, %c32
      %row = (%bid * 8 + %tid / 32)
      %p = scf.for %k = %lane to %c128 step %c32 iter_args(%acc = %cst_neg0) {
        %in = memref.load %x[%row, %k]
        %s = arith.addf %in, %acc : f32
        scf.yield %s
      }
      memref.store %p, %partials[%tid]
      gpu.barrier
      ... 4 x { if %lane < h: %partials[%tid] += %partials[%tid + h]; gpu.barrier }
      scf.if %lane == 0 {
        %total = %partials[%tid] + %partials[%tid + 1]
        memref.store (%total + %zero), %sum[%row]
      }
    }
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def MapParallelLoopsToGpu
    : Pass<"rep-map-parallel-loops-to-gpu", "func::FuncOp"> {
  let summary = "Map each kernel's parallel loop nest to GPU blocks and threads";
  let description = [{
    After bufferization, each kernel of a model is one top-level linalg op
    or `scf.parallel`. This pass first lowers each linalg op to loops with
    all its parallel dimensions in one outer `scf.parallel` and its
    reductions, in their order, as sequential loops inside (a pooling
    generic that iterates (n, h, w, c) with h and w reduced would otherwise
    leave c to each thread). Then it collapses the dimensions of each
    top-level parallel loop into one (row-major, so that
    neighbouring threads touch neighbouring elements of the innermost
    dimension), tiles that by `block-size` with an `scf.if` guard for the
    last tile, and maps the tile loop to blocks and the intra-tile loop to
    threads, for `convert-parallel-loops-to-gpu`. Parallel loops nested
    deeper run sequentially in each thread.

    Any other top-level op that writes memory (a reduction to a scalar, a
    store) is wrapped in a one-thread loop, so that no computation is left
    on the host.

    First, runs of `linalg.fill` with only pure ops (views) between them,
    such as the four border slabs of a padded buffer, become one loop over
    all their elements (element t goes to the first fill whose running
    total exceeds t, with that fill's value): one kernel instead of four
    per padded conv input. Order does not matter: each element has one
    value, and nothing between the fills touches memory.

    ```mlir
    scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c100) step (%c1, %c1) {
      memref.store %cst, %out[%i, %j] : memref<4x100xf32>
    }
    ```
    becomes a loop over 2 blocks (`#gpu.loop_dim_map<processor = block_x>`)
    around a loop over 256 threads (`thread_x`) whose body recovers `%i`
    and `%j` from the linear index and stores if it is below 400.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block (a multiple of 32)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::scf::SCFDialect"];
}

def OutlineGpuKernels : Pass<"rep-outline-gpu-kernels", "ModuleOp"> {
  let summary = "Outline every gpu.launch into one gpu.module, constants sunk";
  let description = [{
    Upstream's `gpu-kernel-outlining` puts each kernel in its own module
    and passes the host's constants as kernel arguments. A model wants one
    PTX module, loaded once, with kernels named for the model and no scalar
    arguments the runtime would have to marshal: this pass sinks scalar
    constants into each launch, outlines every `gpu.launch` of a function
    `@F` into `gpu.module @F_kernels` as `@F_k0`, `@F_k1`, ... in program
    order, and marks the module `gpu.container_module`.

    ```mlir
    gpu.launch blocks(...) in (%gx = %c2, ...) threads(...) in (%tx = %c256, ...) {
      ... %buf ... %cst ...
      gpu.terminator
    }
    ```
    becomes
    ```mlir
    gpu.launch_func @F_kernels::@F_k0 blocks in (%c2, %c1, %c1)
        threads in (%c256, %c1, %c1) args(%buf : memref<...>)
    ```
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

#endif // REP_TRANSFORMS_PASSES_TD
