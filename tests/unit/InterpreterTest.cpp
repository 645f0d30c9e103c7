//===- InterpreterTest.cpp - interpreter ops vs hand-computed values ------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Dialect/RepDialect.h"
#include "rep/Interpreter/Interpreter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::rep;

namespace {

class InterpreterTest : public ::testing::Test {
protected:
  InterpreterTest() { ctx.loadDialect<RepDialect, func::FuncDialect>(); }

  /// Parses `body` as the body of @main(args) and runs it on `inputs`.
  std::vector<float> run(const std::string &signature, const std::string &body,
                         std::vector<Tensor> inputs,
                         SmallVector<int64_t> *shape = nullptr) {
    std::string src = "func.func @main" + signature + " {\n" + body + "\n}";
    module = parseSourceString<ModuleOp>(src, &ctx);
    EXPECT_TRUE(module) << src;
    if (!module)
      return {};
    auto results = interpret(module->lookupSymbol<func::FuncOp>("main"), inputs);
    EXPECT_TRUE(succeeded(results));
    if (failed(results))
      return {};
    if (shape)
      *shape = (*results)[0].shape;
    return (*results)[0].data;
  }

  static Tensor tensor(SmallVector<int64_t> shape, std::vector<float> data) {
    return Tensor{std::move(shape), std::move(data)};
  }
  static Tensor iota(SmallVector<int64_t> shape, float start = 1) {
    Tensor t{std::move(shape), {}};
    for (int64_t i = 0; i < t.numel(); ++i)
      t.data.push_back(start + i);
    return t;
  }

  MLIRContext ctx;
  OwningOpRef<ModuleOp> module;
};

using V = std::vector<float>;

TEST_F(InterpreterTest, Conv2dStridePadGroups) {
  // Two groups of one channel; 2x2 kernel of ones, stride 2, pad 1 on the
  // top/left only: each output sums the window's in-bounds inputs, + bias.
  auto y = run("(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x2x2xf32>", R"(
    %w = rep.constant dense<[[[[1.0, 1.0], [1.0, 1.0]]], [[[1.0, 0.0], [0.0, 2.0]]]]> : tensor<2x1x2x2xf32>
    %b = rep.constant dense<[0.5, -1.0]> : tensor<2xf32>
    %y = rep.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 1, 1, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x2x3x3xf32>, tensor<2x1x2x2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
    return %y : tensor<1x2x2x2xf32>)",
               {iota({1, 2, 3, 3})});
  // Channel 0 = 1..9: windows {1}, {2,3}, {4,7}, {5,6,8,9}.
  // Channel 1 = 10..18, kernel [[1,0],[0,2]]: w(0,0)*pad + 2*x at the
  // window's bottom-right: 2*10, 2*12, 2*16, 14 + 2*18.
  EXPECT_EQ(y, (V{1.5f, 5.5f, 11.5f, 28.5f, 19, 23, 31, 49}));
}

TEST_F(InterpreterTest, Conv2dDilation) {
  auto y = run("(%x: tensor<1x1x1x5xf32>) -> tensor<1x1x1x3xf32>", R"(
    %w = rep.constant dense<[[[[1.0, 10.0]]]]> : tensor<1x1x1x2xf32>
    %y = rep.conv2d %x, %w {dilations = array<i64: 1, 2>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x1x5xf32>, tensor<1x1x1x2xf32>) -> tensor<1x1x1x3xf32>
    return %y : tensor<1x1x1x3xf32>)",
               {iota({1, 1, 1, 5})});
  EXPECT_EQ(y, (V{31, 42, 53}));
}

TEST_F(InterpreterTest, BatchNormUsesItsEpsilon) {
  auto y = run("(%x: tensor<1x2x1x1xf32>) -> tensor<1x2x1x1xf32>", R"(
    %s = rep.constant dense<[2.0, 1.0]> : tensor<2xf32>
    %b = rep.constant dense<[1.0, 0.0]> : tensor<2xf32>
    %m = rep.constant dense<[1.0, 3.0]> : tensor<2xf32>
    %v = rep.constant dense<[3.0, 0.0]> : tensor<2xf32>
    %y = rep.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0 : f32} : (tensor<1x2x1x1xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x1x1xf32>
    return %y : tensor<1x2x1x1xf32>)",
               {tensor({1, 2, 1, 1}, {5, 7})});
  // (5 - 1) / sqrt(4) * 2 + 1 = 5; (7 - 3) / sqrt(1) * 1 + 0 = 4.
  EXPECT_EQ(y, (V{5, 4}));
}

TEST_F(InterpreterTest, FcOverLastDim) {
  auto y = run("(%x: tensor<2x1x3xf32>) -> tensor<2x1x2xf32>", R"(
    %w = rep.constant dense<[[1.0, 0.0, -1.0], [1.0, 1.0, 1.0]]> : tensor<2x3xf32>
    %b = rep.constant dense<[0.0, 10.0]> : tensor<2xf32>
    %y = rep.fc %x, %w, %b : (tensor<2x1x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x1x2xf32>
    return %y : tensor<2x1x2xf32>)",
               {iota({2, 1, 3})});
  EXPECT_EQ(y, (V{-2, 16, -2, 25}));
}

TEST_F(InterpreterTest, MatmulBroadcastsBatch) {
  auto y = run("(%a: tensor<2x1x2xf32>) -> tensor<2x1x2xf32>", R"(
    %b = rep.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
    %y = rep.matmul %a, %b : (tensor<2x1x2xf32>, tensor<2x2xf32>) -> tensor<2x1x2xf32>
    return %y : tensor<2x1x2xf32>)",
               {iota({2, 1, 2})});
  // [1 2] -> [7 10]; [3 4] -> [15 22].
  EXPECT_EQ(y, (V{7, 10, 15, 22}));
}

TEST_F(InterpreterTest, BinaryBroadcastsBothSides) {
  auto y = run("(%a: tensor<2x1xf32>) -> tensor<2x3xf32>", R"(
    %b = rep.constant dense<[10.0, 20.0, 30.0]> : tensor<3xf32>
    %y = rep.sub %b, %a : (tensor<3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
    return %y : tensor<2x3xf32>)",
               {iota({2, 1})});
  EXPECT_EQ(y, (V{9, 19, 29, 8, 18, 28}));
}

TEST_F(InterpreterTest, AvgPoolCountIncludePad) {
  // 3x3 window, pad 1, on a 2x2 input of ones: with padding counted every
  // window divides by 9; without, by the 4 real elements.
  const char *sig = "(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>";
  std::string body = R"(
    %y = rep.avg_pool %x {ceil_mode = false, count_include_pad = INCL, kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
    return %y : tensor<1x1x2x2xf32>)";
  auto with = [&](const char *value) {
    std::string b = body;
    return b.replace(b.find("INCL"), 4, value);
  };
  auto incl = run(sig, with("true"), {tensor({1, 1, 2, 2}, {1, 1, 1, 1})});
  auto excl = run(sig, with("false"), {tensor({1, 1, 2, 2}, {1, 1, 1, 1})});
  for (float v : incl)
    EXPECT_FLOAT_EQ(v, 4.0f / 9.0f);
  EXPECT_EQ(excl, (V{1, 1, 1, 1}));
}

TEST_F(InterpreterTest, MaxPoolCeilModeIgnoresPadding) {
  SmallVector<int64_t> shape;
  auto y = run("(%x: tensor<1x1x3x3xf32>) -> tensor<1x1x2x2xf32>", R"(
    %y = rep.max_pool %x {ceil_mode = true, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x1x3x3xf32>) -> tensor<1x1x2x2xf32>
    return %y : tensor<1x1x2x2xf32>)",
               {iota({1, 1, 3, 3}, -9)}, &shape);
  // Values -9..-1; the ceil-mode windows at the edge hold one or two real
  // elements ({-7, -4}, {-3, -2}, {-1}) and must not see a padding zero.
  EXPECT_EQ(y, (V{-5, -4, -2, -1}));
  EXPECT_EQ(shape, (SmallVector<int64_t>{1, 1, 2, 2}));
}

TEST_F(InterpreterTest, LayerNormAndReduceMean) {
  auto y = run("(%x: tensor<1x4xf32>) -> tensor<1x4xf32>", R"(
    %g = rep.constant dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>
    %b = rep.constant dense<[0.0, 0.0, 0.0, 1.0]> : tensor<4xf32>
    %y = rep.layer_norm %x, %g, %b {axis = 1 : i64, epsilon = 0.0 : f32} : (tensor<1x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
    return %y : tensor<1x4xf32>)",
               {tensor({1, 4}, {1, 3, 5, 7})});
  // mean 4, variance 5: (x - 4) / sqrt(5) * g + b.
  float s = 1 / std::sqrt(5.0f);
  ASSERT_EQ(y.size(), 4u);
  EXPECT_FLOAT_EQ(y[0], -3 * s);
  EXPECT_FLOAT_EQ(y[1], -1 * s);
  EXPECT_FLOAT_EQ(y[2], 2 * s);
  EXPECT_FLOAT_EQ(y[3], 6 * s + 1);

  auto m = run("(%x: tensor<2x3x2xf32>) -> tensor<3xf32>", R"(
    %y = rep.reduce_mean %x {axes = array<i64: 0, 2>, keepdims = false} : (tensor<2x3x2xf32>) -> tensor<3xf32>
    return %y : tensor<3xf32>)",
               {iota({2, 3, 2})});
  // Channel c averages {2c+1, 2c+2, 2c+7, 2c+8}.
  EXPECT_EQ(m, (V{4.5f, 6.5f, 8.5f}));
}

TEST_F(InterpreterTest, ViewsMoveDataRowMajor) {
  auto t = run("(%x: tensor<2x3xf32>) -> tensor<3x2xf32>", R"(
    %y = rep.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
    return %y : tensor<3x2xf32>)",
               {iota({2, 3})});
  EXPECT_EQ(t, (V{1, 4, 2, 5, 3, 6}));

  auto s = run("(%x: tensor<2x5xf32>) -> tensor<2x2xf32>", R"(
    %y = rep.slice %x {sizes = array<i64: 2, 2>, starts = array<i64: 0, 1>, steps = array<i64: 1, 3>} : (tensor<2x5xf32>) -> tensor<2x2xf32>
    return %y : tensor<2x2xf32>)",
               {iota({2, 5})});
  EXPECT_EQ(s, (V{2, 5, 7, 10}));

  auto p = run("(%x: tensor<1x2xf32>) -> tensor<2x3xf32>", R"(
    %y = rep.pad %x {pads = array<i64: 1, 0, 0, 1>, value = -1.0 : f32} : (tensor<1x2xf32>) -> tensor<2x3xf32>
    return %y : tensor<2x3xf32>)",
               {iota({1, 2})});
  EXPECT_EQ(p, (V{-1, -1, -1, 1, 2, -1}));

  auto c = run("(%x: tensor<2x1xf32>) -> tensor<2x3xf32>", R"(
    %k = rep.constant dense<[[7.0, 8.0], [9.0, 10.0]]> : tensor<2x2xf32>
    %y = rep.concat %x, %k {axis = 1 : i64} : (tensor<2x1xf32>, tensor<2x2xf32>) -> tensor<2x3xf32>
    return %y : tensor<2x3xf32>)",
               {iota({2, 1})});
  EXPECT_EQ(c, (V{1, 7, 8, 2, 9, 10}));
}

TEST_F(InterpreterTest, ActivationsAndAffine) {
  auto y = run("(%x: tensor<1x2xf32>) -> tensor<1x2xf32>", R"(
    %g = rep.gelu %x : tensor<1x2xf32>
    %r = rep.relu %g : tensor<1x2xf32>
    %s = rep.constant dense<[2.0, 3.0]> : tensor<2xf32>
    %t = rep.constant dense<[1.0, -1.0]> : tensor<2xf32>
    %y = rep.channel_affine %r, %s, %t {axis = 1 : i64} : (tensor<1x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
    return %y : tensor<1x2xf32>)",
               {tensor({1, 2}, {1, -1})});
  // gelu(1) = 0.841344746, gelu(-1) < 0 so relu gives 0.
  EXPECT_NEAR(y[0], 2 * 0.841344746 + 1, 1e-6);
  EXPECT_EQ(y[1], -1);

  auto gap = run("(%x: tensor<1x2x2x2xf32>) -> tensor<1x2x1x1xf32>", R"(
    %y = rep.global_avg_pool %x : (tensor<1x2x2x2xf32>) -> tensor<1x2x1x1xf32>
    return %y : tensor<1x2x1x1xf32>)",
               {iota({1, 2, 2, 2})});
  EXPECT_EQ(gap, (V{2.5f, 6.5f}));
}

TEST_F(InterpreterTest, RejectsWrongInputShape) {
  module = parseSourceString<ModuleOp>(
      "func.func @main(%x: tensor<2xf32>) -> tensor<2xf32> { return %x : "
      "tensor<2xf32> }",
      &ctx);
  std::string message;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    message = d.str();
    return success();
  });
  auto results = interpret(module->lookupSymbol<func::FuncOp>("main"),
                           {tensor({3}, {1, 2, 3})});
  EXPECT_TRUE(failed(results));
  EXPECT_EQ(message, "input 0 has shape 3, the model takes 2");
}

TEST_F(InterpreterTest, RejectsResourceWithoutData) {
  // A dense_resource key with no blob in the file must not read as zeros.
  module = parseSourceString<ModuleOp>(
      "func.func @main() -> tensor<2xf32> { %0 = rep.constant "
      "dense_resource<gone> : tensor<2xf32> return %0 : tensor<2xf32> }",
      &ctx);
  ASSERT_TRUE(module);
  std::string message;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    message = d.str();
    return success();
  });
  EXPECT_TRUE(failed(interpret(module->lookupSymbol<func::FuncOp>("main"), {})));
  EXPECT_EQ(message, "constant 'gone' has no data (its dense_resource blob "
                     "is missing)");
}

} // namespace
