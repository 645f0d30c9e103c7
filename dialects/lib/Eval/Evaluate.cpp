//===- Evaluate.cpp - the semantics of each rep op ------------------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Eval/Evaluate.h"
#include "rep/Dialect/RepDialect.h"

#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Parallel.h"
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::rep;

namespace {

Tensor make(ArrayRef<int64_t> shape) {
  Tensor t;
  t.shape.assign(shape.begin(), shape.end());
  t.data.assign(t.numel(), 0.0f);
  return t;
}

Tensor shapedLike(Value v) {
  return make(cast<RankedTensorType>(v.getType()).getShape());
}

/// Offset into `t` of the element a broadcast result index reads.
int64_t broadcastOffset(const Tensor &t, ArrayRef<int64_t> outIdx) {
  int64_t off = 0, stride = 1;
  size_t lead = outIdx.size() - t.shape.size();
  for (int64_t d = (int64_t)t.shape.size() - 1; d >= 0; --d) {
    if (t.shape[d] != 1)
      off += outIdx[lead + d] * stride;
    stride *= t.shape[d];
  }
  return off;
}

Tensor binary(const Tensor &a, const Tensor &b, Value result,
              double (*f)(double, double)) {
  Tensor out = shapedLike(result);
  forEachIndex(out.shape, [&](int64_t i, ArrayRef<int64_t> idx) {
    out.data[i] = f(a.data[broadcastOffset(a, idx)],
                    b.data[broadcastOffset(b, idx)]);
  });
  return out;
}

Tensor unary(const Tensor &a, double (*f)(double)) {
  Tensor out = a;
  for (float &x : out.data)
    x = f(x);
  return out;
}

} // namespace

/// acc[j * stride + i] += x[i] * w[j] for i < len, j < count <= 4: the
/// inner loop of every conv, fc and matmul here. The products are exact in
/// double, so a fused multiply-add rounds the same as the two operations:
/// the AVX2 clone of this loop gives the same bits.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
static void accumulateRows(const float *x, const double *w, int64_t count,
                           double *acc, int64_t stride, int64_t len) {
  if (count == 4) {
    double *a0 = acc, *a1 = acc + stride, *a2 = acc + 2 * stride,
           *a3 = acc + 3 * stride;
    for (int64_t i = 0; i < len; ++i) {
      double xv = x[i];
      a0[i] += xv * w[0];
      a1[i] += xv * w[1];
      a2[i] += xv * w[2];
      a3[i] += xv * w[3];
    }
    return;
  }
  for (int64_t j = 0; j < count; ++j)
    for (int64_t i = 0; i < len; ++i)
      acc[j * stride + i] += (double)x[i] * w[j];
}

/// Each output sums bias, then ic, ky, kx ascending, in double, as the
/// loop-per-output definition does (a float x float product is exact in
/// double, so the result is bit for bit that of the naive loop nest). The
/// loops are ordered for speed only: a task is one image and up to
/// `kBlock` output channels of a group, and one output row of each is
/// accumulated at a time with the output column innermost (contiguous and
/// vectorizable). Tasks run on all cores. ConvMixer-768/32's --verify (six
/// runs of 41 GFLOP) took 952 s with one output at a time on one core.
Tensor mlir::rep::conv2dReference(const Tensor &x, const Tensor &w,
                                  const Tensor *b, ArrayRef<int64_t> s,
                                  ArrayRef<int64_t> p, ArrayRef<int64_t> d,
                                  int64_t g) {
  int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
  int64_t o = w.shape[0], cg = w.shape[1], kh = w.shape[2], kw = w.shape[3];
  int64_t oh = windowOutputSize(h, kh, s[0], p[0], p[2], d[0], false);
  int64_t ow = windowOutputSize(wd, kw, s[1], p[1], p[3], d[1], false);
  Tensor y = make({n, o, oh, ow});
  int64_t og = o / g;
  constexpr int64_t kBlock = 4;
  int64_t blocksPerGroup = (og + kBlock - 1) / kBlock;
  // The first and one past the last output column whose input column
  // `ox * s - p + kx * d` lies inside the row.
  auto columns = [&](int64_t kx) {
    int64_t off = kx * d[1] - p[1];
    int64_t lo = off >= 0 ? 0 : (-off + s[1] - 1) / s[1];
    int64_t hi = wd - off <= 0 ? 0 : (wd - off + s[1] - 1) / s[1];
    return std::pair<int64_t, int64_t>(lo, std::min(hi, ow));
  };
  bool pointwise = kh == 1 && kw == 1 && s[0] == 1 && s[1] == 1 &&
                   llvm::all_of(p, [](int64_t v) { return v == 0; });
  llvm::parallelFor(0, n * g * blocksPerGroup, [&](size_t task) {
    int64_t in = task / (g * blocksPerGroup);
    int64_t group = task / blocksPerGroup % g;
    int64_t oc0 = group * og + task % blocksPerGroup * kBlock;
    int64_t count = std::min(kBlock, (group + 1) * og - oc0);
    if (pointwise) {
      // A 1x1 conv is a matmul over the whole map: one pass over it per
      // input channel updates all the block's outputs.
      int64_t hw = h * wd;
      std::vector<double> acc(kBlock * hw);
      for (int64_t j = 0; j < count; ++j)
        std::fill_n(&acc[j * hw], hw, b ? (double)b->data[oc0 + j] : 0.0);
      for (int64_t ic = 0; ic < cg; ++ic) {
        double wv[kBlock] = {};
        for (int64_t j = 0; j < count; ++j)
          wv[j] = w.data[(oc0 + j) * cg + ic];
        accumulateRows(&x.data[(in * c + group * cg + ic) * hw], wv, count,
                       acc.data(), hw, hw);
      }
      for (int64_t j = 0; j < count; ++j)
        std::copy_n(&acc[j * hw], hw,
                    &y.data[(in * o + oc0 + j) * oh * ow]);
      return;
    }
    std::vector<double> acc(kBlock * ow);
    for (int64_t oy = 0; oy < oh; ++oy) {
      for (int64_t j = 0; j < count; ++j)
        std::fill_n(&acc[j * ow], ow, b ? (double)b->data[oc0 + j] : 0.0);
      for (int64_t ic = 0; ic < cg; ++ic) {
        const float *plane = &x.data[(in * c + group * cg + ic) * h * wd];
        for (int64_t ky = 0; ky < kh; ++ky) {
          int64_t iy = oy * s[0] - p[0] + ky * d[0];
          if (iy < 0 || iy >= h)
            continue;
          const float *row = plane + iy * wd;
          for (int64_t kx = 0; kx < kw; ++kx) {
            auto [lo, hi] = columns(kx);
            int64_t off = kx * d[1] - p[1];
            double wv[kBlock] = {};
            for (int64_t j = 0; j < count; ++j)
              wv[j] = w.data[(((oc0 + j) * cg + ic) * kh + ky) * kw + kx];
            if (s[1] == 1 && hi > lo) {
              accumulateRows(row + lo + off, wv, count, &acc[lo], ow,
                             hi - lo);
              continue;
            }
            for (int64_t j = 0; j < count; ++j)
              for (int64_t ox = lo; ox < hi; ++ox)
                acc[j * ow + ox] += (double)row[ox * s[1] + off] * wv[j];
          }
        }
      }
      for (int64_t j = 0; j < count; ++j) {
        float *out = &y.data[((in * o + oc0 + j) * oh + oy) * ow];
        for (int64_t ox = 0; ox < ow; ++ox)
          out[ox] = acc[j * ow + ox];
      }
    }
  });
  return y;
}

namespace {

/// Applies f(channel, value) along dimension `axis`.
template <typename F>
Tensor perChannel(const Tensor &x, int64_t axis, F f) {
  Tensor y = x;
  int64_t inner = 1;
  for (size_t d = axis + 1; d < x.shape.size(); ++d)
    inner *= x.shape[d];
  int64_t c = x.shape[axis];
  for (int64_t i = 0; i < x.numel(); ++i)
    y.data[i] = f((i / inner) % c, (double)x.data[i]);
  return y;
}

/// Rows of `rows x k` times `w` [m, k] transposed, plus `b`: each output
/// sums its bias, then k ascending, in double (bit for bit the naive dot
/// product), with the output column innermost over a transposed copy of
/// `w`; blocks of rows run on all cores.
Tensor fc(const Tensor &x, const Tensor &w, const Tensor *b, Value result) {
  Tensor y = shapedLike(result);
  int64_t k = w.shape[1], m = w.shape[0], rows = x.numel() / k;
  std::vector<float> wt(k * m);
  for (int64_t j = 0; j < m; ++j)
    for (int64_t i = 0; i < k; ++i)
      wt[i * m + j] = w.data[j * k + i];
  constexpr int64_t kRows = 4;
  llvm::parallelFor(0, (rows + kRows - 1) / kRows, [&](size_t block) {
    int64_t r0 = block * kRows, count = std::min(kRows, rows - r0);
    std::vector<double> acc(kRows * m);
    for (int64_t r = 0; r < count; ++r)
      for (int64_t j = 0; j < m; ++j)
        acc[r * m + j] = b ? b->data[j] : 0.0;
    for (int64_t i = 0; i < k; ++i) {
      const float *wrow = &wt[i * m];
      for (int64_t r = 0; r < count; ++r) {
        double xv = x.data[(r0 + r) * k + i];
        accumulateRows(wrow, &xv, 1, &acc[r * m], m, m);
      }
    }
    for (int64_t i = 0; i < count * m; ++i)
      y.data[r0 * m + i] = acc[i];
  });
  return y;
}

/// Batched `a x b` with broadcast batch dims: each output sums k ascending
/// from zero in double, the output column innermost; rows run on all cores.
Tensor matmul(const Tensor &a, const Tensor &b, Value result) {
  Tensor y = shapedLike(result);
  size_t rank = y.shape.size();
  int64_t m = y.shape[rank - 2], n = y.shape[rank - 1],
          k = a.shape[a.shape.size() - 1];
  ArrayRef<int64_t> batch = ArrayRef<int64_t>(y.shape).drop_back(2);
  // Batch offsets via broadcasting over the leading dims only.
  Tensor aBatch, bBatch;
  aBatch.shape.assign(a.shape.begin(), a.shape.end() - 2);
  bBatch.shape.assign(b.shape.begin(), b.shape.end() - 2);
  SmallVector<std::pair<int64_t, int64_t>> offsets;
  forEachIndex(batch, [&](int64_t, ArrayRef<int64_t> idx) {
    offsets.push_back({broadcastOffset(aBatch, idx) * m * k,
                       broadcastOffset(bBatch, idx) * k * n});
  });
  llvm::parallelFor(0, offsets.size() * m, [&](size_t task) {
    int64_t bi = task / m, i = task % m;
    auto [ao, bo] = offsets[bi];
    std::vector<double> acc(n, 0.0);
    for (int64_t l = 0; l < k; ++l) {
      double av = a.data[ao + i * k + l];
      accumulateRows(&b.data[bo + l * n], &av, 1, acc.data(), n, n);
    }
    for (int64_t j = 0; j < n; ++j)
      y.data[(bi * m + i) * n + j] = acc[j];
  });
  return y;
}

/// Shared window walk for max and average pooling.
template <typename PoolOp>
Tensor pool(PoolOp op, const Tensor &x, bool isMax, bool countPad) {
  Tensor y = shapedLike(op.getOutput());
  int64_t h = x.shape[2], w = x.shape[3], oh = y.shape[2], ow = y.shape[3];
  auto k = op.getKernel(), s = op.getStrides(), p = op.getPads();
  for (int64_t nc = 0; nc < x.shape[0] * x.shape[1]; ++nc)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        int64_t y0 = oy * s[0] - p[0], x0 = ox * s[1] - p[1];
        // As PyTorch: the divisor counts padding, clipped to the padded input.
        int64_t y1 = std::min(y0 + k[0], h + p[2]);
        int64_t x1 = std::min(x0 + k[1], w + p[3]);
        int64_t padCount = (y1 - y0) * (x1 - x0);
        double acc = isMax ? -std::numeric_limits<double>::infinity() : 0.0;
        int64_t count = 0;
        for (int64_t iy = std::max<int64_t>(y0, 0); iy < std::min(y1, h); ++iy)
          for (int64_t ix = std::max<int64_t>(x0, 0); ix < std::min(x1, w);
               ++ix) {
            double v = x.data[(nc * h + iy) * w + ix];
            acc = isMax ? std::max(acc, v) : acc + v;
            ++count;
          }
        if (!isMax)
          acc /= countPad ? padCount : std::max<int64_t>(count, 1);
        y.data[(nc * oh + oy) * ow + ox] = acc;
      }
  return y;
}

enum class Reduce { Mean, Sum, Max };

Tensor reduce(Operation *op, ArrayRef<int64_t> axes, const Tensor &x,
              Reduce kind) {
  Tensor y = shapedLike(op->getResult(0));
  SmallVector<bool> reduced(x.shape.size(), false);
  for (int64_t a : axes)
    reduced[a] = true;
  // Map each input index to its output index (dropping or keeping axes).
  SmallVector<int64_t> keptShape;
  for (size_t d = 0; d < x.shape.size(); ++d)
    keptShape.push_back(reduced[d] ? 1 : x.shape[d]);
  auto keptStrides = computeStrides(keptShape);
  std::vector<double> acc(y.numel(), kind == Reduce::Max
                                         ? -std::numeric_limits<double>::infinity()
                                         : 0.0);
  forEachIndex(x.shape, [&](int64_t i, ArrayRef<int64_t> idx) {
    int64_t o = 0;
    for (size_t d = 0; d < idx.size(); ++d)
      o += reduced[d] ? 0 : idx[d] * keptStrides[d];
    if (kind != Reduce::Max)
      acc[o] += x.data[i];
    else if (std::isnan(x.data[i]) || std::isnan(acc[o]))
      acc[o] = std::nan("");
    else
      acc[o] = std::max<double>(acc[o], x.data[i]);
  });
  double count = kind != Reduce::Mean
                     ? 1.0
                     : (double)x.numel() / std::max<int64_t>(y.numel(), 1);
  for (int64_t i = 0; i < y.numel(); ++i)
    y.data[i] = acc[i] / count;
  return y;
}

Tensor layerNorm(LayerNormOp op, const Tensor &x, const Tensor &scale,
                 const Tensor &bias) {
  Tensor y = x;
  int64_t inner = scale.numel(), rows = x.numel() / std::max<int64_t>(inner, 1);
  double eps = op.getEpsilon().convertToDouble();
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = &x.data[r * inner];
    double mean = 0, var = 0;
    for (int64_t i = 0; i < inner; ++i)
      mean += row[i];
    mean /= inner;
    for (int64_t i = 0; i < inner; ++i)
      var += (row[i] - mean) * (row[i] - mean);
    var /= inner;
    double inv = 1.0 / std::sqrt(var + eps);
    for (int64_t i = 0; i < inner; ++i)
      y.data[r * inner + i] = (row[i] - mean) * inv * scale.data[i] + bias.data[i];
  }
  return y;
}

Tensor transpose(TransposeOp op, const Tensor &x) {
  Tensor y = shapedLike(op.getOutput());
  auto perm = op.getPerm();
  auto inStrides = computeStrides(x.shape);
  forEachIndex(y.shape, [&](int64_t i, ArrayRef<int64_t> idx) {
    int64_t off = 0;
    for (size_t d = 0; d < idx.size(); ++d)
      off += idx[d] * inStrides[perm[d]];
    y.data[i] = x.data[off];
  });
  return y;
}

Tensor slice(SliceOp op, const Tensor &x) {
  Tensor y = shapedLike(op.getOutput());
  auto starts = op.getStarts(), steps = op.getSteps();
  auto inStrides = computeStrides(x.shape);
  forEachIndex(y.shape, [&](int64_t i, ArrayRef<int64_t> idx) {
    int64_t off = 0;
    for (size_t d = 0; d < idx.size(); ++d)
      off += (starts[d] + idx[d] * steps[d]) * inStrides[d];
    y.data[i] = x.data[off];
  });
  return y;
}

Tensor pad(PadOp op, const Tensor &x) {
  Tensor y = shapedLike(op.getOutput());
  auto pads = op.getPads();
  float fill = op.getValue().convertToFloat();
  auto inStrides = computeStrides(x.shape);
  size_t rank = x.shape.size();
  forEachIndex(y.shape, [&](int64_t i, ArrayRef<int64_t> idx) {
    int64_t off = 0;
    for (size_t d = 0; d < rank; ++d) {
      int64_t j = idx[d] - pads[d];
      if (j < 0 || j >= x.shape[d]) {
        y.data[i] = fill;
        return;
      }
      off += j * inStrides[d];
    }
    y.data[i] = x.data[off];
  });
  return y;
}

Tensor concat(ConcatOp op, ArrayRef<const Tensor *> parts) {
  Tensor y = shapedLike(op.getOutput());
  int64_t axis = op.getAxis(), outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= y.shape[d];
  int64_t pos = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (const Tensor *p : parts) {
      int64_t chunk = p->numel() / std::max<int64_t>(outer, 1);
      std::copy_n(p->data.begin() + o * chunk, chunk, y.data.begin() + pos);
      pos += chunk;
    }
  return y;
}

Tensor constant(ConstantOp op) {
  Tensor t = shapedLike(op.getOutput());
  Attribute value = op.getValue();
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    auto values = dense.getValues<float>();
    std::copy(values.begin(), values.end(), t.data.begin());
  } else if (auto res = dyn_cast<DenseF32ResourceElementsAttr>(value)) {
    if (auto data = res.tryGetAsArrayRef())
      std::copy(data->begin(), data->end(), t.data.begin());
  }
  return t;
}

double relu(double x) { return x > 0 ? x : 0; }
double gelu(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double erfOf(double x) { return std::erf(x); }
double sqrtOf(double x) { return std::sqrt(x); }
/// max that propagates NaN, as arith.maximumf does.
double maxOf(double a, double b) {
  return std::isnan(a) || std::isnan(b) ? std::nan("") : std::max(a, b);
}

} // namespace

FailureOr<Tensor> mlir::rep::evaluate(Operation *op,
                                      ArrayRef<const Tensor *> operands) {
  auto in = [&](Value v) -> const Tensor & {
    for (OpOperand &use : op->getOpOperands())
      if (use.get() == v)
        return *operands[use.getOperandNumber()];
    llvm_unreachable("not an operand");
  };
  std::optional<Tensor> out =
        llvm::TypeSwitch<Operation *, std::optional<Tensor>>(op)
            .Case([&](ConstantOp c) { return constant(c); })
            .Case([&](Conv2dOp c) {
              return conv2dReference(in(c.getInput()), in(c.getWeight()),
                                     c.getBias() ? operands[2] : nullptr,
                                     c.getStrides(), c.getPads(),
                                     c.getDilations(), c.getGroups());
            })
            .Case([&](BatchNormOp c) {
              const Tensor &s = in(c.getScale()), &b = in(c.getBias()),
                           &m = in(c.getMean()), &v = in(c.getVar());
              double eps = c.getEpsilon().convertToDouble();
              return perChannel(in(c.getInput()), 1, [&](int64_t ch, double x) {
                return (x - m.data[ch]) / std::sqrt((double)v.data[ch] + eps) *
                           s.data[ch] +
                       b.data[ch];
              });
            })
            .Case([&](ChannelAffineOp c) {
              const Tensor &s = in(c.getScale()), &b = in(c.getShift());
              return perChannel(in(c.getInput()), c.getAxis(),
                                [&](int64_t ch, double x) {
                                  return x * s.data[ch] + b.data[ch];
                                });
            })
            .Case([&](FcOp c) {
              return fc(in(c.getInput()), in(c.getWeight()),
                        c.getBias() ? operands[2] : nullptr, c.getOutput());
            })
            .Case([&](MatmulOp c) {
              return matmul(in(c.getLhs()), in(c.getRhs()), c.getOutput());
            })
            .Case([&](AddOp c) {
              return binary(in(c.getLhs()), in(c.getRhs()), c.getOutput(),
                            [](double a, double b) { return a + b; });
            })
            .Case([&](SubOp c) {
              return binary(in(c.getLhs()), in(c.getRhs()), c.getOutput(),
                            [](double a, double b) { return a - b; });
            })
            .Case([&](MulOp c) {
              return binary(in(c.getLhs()), in(c.getRhs()), c.getOutput(),
                            [](double a, double b) { return a * b; });
            })
            .Case([&](DivOp c) {
              return binary(in(c.getLhs()), in(c.getRhs()), c.getOutput(),
                            [](double a, double b) { return a / b; });
            })
            .Case([&](PowOp c) {
              return binary(in(c.getLhs()), in(c.getRhs()), c.getOutput(),
                            [](double a, double b) { return std::pow(a, b); });
            })
            .Case([&](ReluOp c) { return unary(in(c.getInput()), relu); })
            .Case([&](GeluOp c) { return unary(in(c.getInput()), gelu); })
            .Case([&](SigmoidOp c) { return unary(in(c.getInput()), sigmoid); })
            .Case([&](ErfOp c) { return unary(in(c.getInput()), erfOf); })
            .Case([&](SqrtOp c) { return unary(in(c.getInput()), sqrtOf); })
            .Case([&](MaximumOp c) {
              return binary(in(c.getLhs()), in(c.getRhs()), c.getOutput(),
                            maxOf);
            })
            .Case([&](MinimumOp c) {
              return binary(in(c.getLhs()), in(c.getRhs()), c.getOutput(),
                            [](double a, double b) { return -maxOf(-a, -b); });
            })
            .Case([&](TanhOp c) {
              return unary(in(c.getInput()),
                           [](double x) { return std::tanh(x); });
            })
            .Case([&](ExpOp c) {
              return unary(in(c.getInput()),
                           [](double x) { return std::exp(x); });
            })
            .Case([&](LogOp c) {
              return unary(in(c.getInput()),
                           [](double x) { return std::log(x); });
            })
            .Case([&](AbsOp c) {
              return unary(in(c.getInput()),
                           [](double x) { return std::fabs(x); });
            })
            .Case([&](LayerNormOp c) {
              return layerNorm(c, in(c.getInput()), in(c.getScale()),
                               in(c.getBias()));
            })
            .Case([&](ReduceMeanOp c) {
              return reduce(c, c.getAxes(), in(c.getInput()), Reduce::Mean);
            })
            .Case([&](ReduceSumOp c) {
              return reduce(c, c.getAxes(), in(c.getInput()), Reduce::Sum);
            })
            .Case([&](ReduceMaxOp c) {
              return reduce(c, c.getAxes(), in(c.getInput()), Reduce::Max);
            })
            .Case([&](MaxPoolOp c) {
              return pool(c, in(c.getInput()), /*isMax=*/true, false);
            })
            .Case([&](AvgPoolOp c) {
              return pool(c, in(c.getInput()), /*isMax=*/false,
                          c.getCountIncludePad());
            })
            .Case([&](GlobalAvgPoolOp c) {
              const Tensor &x = in(c.getInput());
              Tensor y = shapedLike(c.getOutput());
              int64_t inner = x.numel() / std::max<int64_t>(y.numel(), 1);
              for (int64_t i = 0; i < y.numel(); ++i) {
                double acc = 0;
                for (int64_t j = 0; j < inner; ++j)
                  acc += x.data[i * inner + j];
                y.data[i] = acc / inner;
              }
              return y;
            })
            .Case<ReshapeOp, FlattenOp>([&](auto c) {
              Tensor y = in(c.getInput());
              auto shape = cast<RankedTensorType>(c.getType()).getShape();
              y.shape.assign(shape.begin(), shape.end());
              return y;
            })
            .Case([&](TransposeOp c) { return transpose(c, in(c.getInput())); })
            .Case([&](ConcatOp c) {
              SmallVector<const Tensor *> parts;
              for (Value v : c.getInputs())
                parts.push_back(&in(v));
              return concat(c, parts);
            })
            .Case([&](SliceOp c) { return slice(c, in(c.getInput())); })
            .Case([&](PadOp c) { return pad(c, in(c.getInput())); })
            .Default([](Operation *) { return std::nullopt; });
  if (!out)
    return failure();
  return std::move(*out);
}
