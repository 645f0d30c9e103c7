//===- runtime_test.cc - the C runtime against a hand-made model ----------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/npy.h"
#include "rep/runtime.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

namespace {

std::atomic<int> lastThreads{-1};
std::atomic<int> misaligned{0};

// y = 2 * x over 2x3 floats through its workspace, as a compiled model's
// entry would: two runs sharing a workspace would mix their values.
int doubleIt(const float *const *in, float *const *out, void *workspace,
             int threads) {
  lastThreads = threads;
  if (!workspace || reinterpret_cast<uintptr_t>(workspace) % 64)
    ++misaligned;
  volatile float *scratch = static_cast<float *>(workspace);
  for (int i = 0; i < 6; ++i)
    scratch[i] = 2 * in[0][i];
  for (int i = 0; i < 6; ++i)
    out[0][i] = scratch[i];
  return 0;
}

const char *names[] = {"x", "y"};
const uint32_t ranks[] = {2, 2};
const int64_t dims[] = {2, 3, 2, 3};
const rep_model_abi abi = {REP_MODEL_ABI_VERSION, 1, 1, 0, "twice", "test",
                           names, ranks, dims, doubleIt, 6 * sizeof(float)};

TEST(Runtime, DescribesAndRunsAModel) {
  rep_model *m = nullptr;
  ASSERT_EQ(rep_model_from_abi(&abi, &m), REP_OK);
  EXPECT_STREQ(rep_model_name(m), "twice");
  ASSERT_EQ(rep_model_num_inputs(m), 1u);
  ASSERT_EQ(rep_model_num_outputs(m), 1u);
  EXPECT_STREQ(rep_model_output(m, 0)->name, "y");
  EXPECT_EQ(rep_model_output(m, 0)->dims[1], 3);
  EXPECT_EQ(rep_tensor_numel(rep_model_input(m, 0)), 6u);
  EXPECT_EQ(rep_model_input(m, 1), nullptr);
  float x[6] = {1, 2, 3, 4, 5, 6}, y[6] = {};
  const float *ins[] = {x};
  float *outs[] = {y};
  ASSERT_EQ(rep_model_set_threads(m, 3), REP_OK);
  ASSERT_EQ(rep_model_run(m, ins, outs), REP_OK);
  EXPECT_EQ(y[5], 12.0f);
  EXPECT_EQ(lastThreads, 3);
  EXPECT_EQ(rep_model_workspace_size(m), 24u);
  ASSERT_EQ(rep_model_run(m, ins, outs), REP_OK);
  EXPECT_EQ(misaligned, 0);
  rep_model_close(m);
}

TEST(Runtime, RejectsBadArguments) {
  rep_model *m = nullptr;
  rep_model_abi wrong = abi;
  wrong.abi_version = 99;
  EXPECT_EQ(rep_model_from_abi(&wrong, &m), REP_ERROR_NOT_A_MODEL);
  EXPECT_EQ(m, nullptr);
  EXPECT_NE(std::string(rep_last_error()).find("99"), std::string::npos);
  EXPECT_EQ(rep_model_open("/nonexistent/model.so", &m), REP_ERROR_OPEN);
  EXPECT_NE(std::string(rep_last_error()).find("/nonexistent/model.so"),
            std::string::npos);
  ASSERT_EQ(rep_model_from_abi(&abi, &m), REP_OK);
  float *outs[] = {nullptr};
  float x[6] = {};
  const float *ins[] = {x};
  EXPECT_EQ(rep_model_run(m, ins, outs), REP_ERROR_ARGUMENT);
  EXPECT_EQ(rep_model_set_threads(m, -1), REP_ERROR_ARGUMENT);
  EXPECT_STREQ(rep_status_string(REP_ERROR_ARGUMENT), "invalid argument");
  rep_model_close(m);
  rep_model_close(nullptr);
}

TEST(Runtime, RunsConcurrentlyOnOneHandle) {
  rep_model *m = nullptr;
  ASSERT_EQ(rep_model_from_abi(&abi, &m), REP_OK);
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        float x[6], y[6];
        for (float &v : x)
          v = t + i;
        const float *ins[] = {x};
        float *outs[] = {y};
        if (rep_model_run(m, ins, outs) != REP_OK || y[3] != 2.0f * (t + i))
          ++wrong;
      }
    });
  for (auto &t : threads)
    t.join();
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(misaligned, 0);
  rep_model_close(m);
}

// A CUDA descriptor whose PTX no driver accepts: whether or not this
// machine has a driver, opening it fails with REP_ERROR_DEVICE and a reason,
// never a crash.
TEST(Runtime, ReportsAnUnusableCudaModel) {
  const char *kernels[] = {"k"};
  const rep_cuda_launch launches[] = {{0, {1, 1, 1}, {32, 1, 1}, 0, 0, 0}};
  const rep_cuda_program program = {"not ptx", "sm_80", 1, 1, kernels,
                                    launches, nullptr, nullptr, 0};
  rep_model_abi cuda = abi;
  cuda.run = nullptr;
  cuda.device = REP_DEVICE_CUDA;
  cuda.cuda = &program;
  rep_model *m = nullptr;
  EXPECT_EQ(rep_model_from_abi(&cuda, &m), REP_ERROR_DEVICE);
  EXPECT_EQ(m, nullptr);
  EXPECT_NE(std::string(rep_last_error()), "");
  // A CPU descriptor without its entry point is no model.
  rep_model_abi broken = abi;
  broken.run = nullptr;
  EXPECT_EQ(rep_model_from_abi(&broken, &m), REP_ERROR_NOT_A_MODEL);
  EXPECT_EQ(rep_model_device(nullptr), REP_DEVICE_CPU);
}

TEST(Npy, RoundTripsAndNamesTheFileOnError) {
  std::string path = ::testing::TempDir() + "/rt.npy";
  int64_t d[] = {2, 3};
  float data[6] = {1, -2, 3.5f, 4, 5, 6};
  char err[256];
  ASSERT_EQ(rep_npy_write(path.c_str(), 2, d, data, err, sizeof err), 0);
  rep_npy t;
  ASSERT_EQ(rep_npy_read(path.c_str(), &t, err, sizeof err), 0) << err;
  EXPECT_EQ(t.rank, 2u);
  EXPECT_EQ(t.dims[1], 3);
  EXPECT_EQ(t.data[2], 3.5f);
  rep_npy_free(&t);
  std::FILE *f = std::fopen(path.c_str(), "r+b");
  std::fseek(f, 0, SEEK_END);
  long size = std::ftell(f);
  std::fclose(f);
  ASSERT_EQ(truncate(path.c_str(), size - 4), 0);
  EXPECT_NE(rep_npy_read(path.c_str(), &t, err, sizeof err), 0);
  EXPECT_NE(std::string(err).find("rt.npy: truncated"), std::string::npos);
}

} // namespace
