//===- runtime_test.cc - the C runtime against a hand-made model ----------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/npy.h"
#include "rep/model_abi.h"
#include "rep/runtime.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

std::atomic<int> lastThreads{-1};
std::atomic<int> misaligned{0};

// y = 2 * x over 2x3 floats through its workspace, as a compiled model's
// entry would: two runs sharing a workspace would mix their values.
int doubleIt(const float *const *in, float *const *out, void *workspace,
             int threads, const void *) {
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

// y = w * x with w the first float after the weights file's header, as a
// model compiled with --weights=FILE reads its constants.
int scaleIt(const float *const *in, float *const *out, void *, int,
            const void *weights) {
  if (!weights)
    return 1;
  float w;
  std::memcpy(&w, static_cast<const char *>(weights) + REP_WEIGHTS_HEADER_SIZE,
              sizeof w);
  for (int i = 0; i < 6; ++i)
    out[0][i] = w * in[0][i];
  return 0;
}

// Writes a weights file holding `w`, with the header the runtime checks.
void writeWeights(const std::string &path, float w, uint64_t fingerprint,
                  size_t size = 128) {
  std::vector<unsigned char> file(size, 0);
  std::memcpy(file.data(), REP_WEIGHTS_MAGIC, 8);
  for (int i = 0; i < 8; ++i) {
    file[8 + i] = fingerprint >> (8 * i);
    file[16 + i] = uint64_t(size) >> (8 * i);
  }
  if (size >= REP_WEIGHTS_HEADER_SIZE + sizeof w)
    std::memcpy(file.data() + REP_WEIGHTS_HEADER_SIZE, &w, sizeof w);
  FILE *f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(file.data(), 1, file.size(), f);
  std::fclose(f);
}

std::string errorText() { return rep_last_error(); }

TEST(Runtime, MapsAnExternalWeightsFile) {
  rep_model_abi scaled = {REP_MODEL_ABI_VERSION,
                          1,
                          1,
                          0,
                          "scaled",
                          "test",
                          names,
                          ranks,
                          dims,
                          scaleIt,
                          0};
  scaled.weights_file = "scaled.weights";
  scaled.weights_size = 128;
  scaled.weights_fingerprint = 0x1234abcd5678ef00ull;
  std::string dir = ::testing::TempDir();
  std::string good = dir + "/scaled.weights";
  writeWeights(good, 3.0f, scaled.weights_fingerprint);

  rep_model *m = nullptr;
  ASSERT_EQ(rep_model_from_abi_with_weights(&scaled, good.c_str(), &m), REP_OK)
      << errorText();
  float x[6] = {1, 2, 3, 4, 5, 6}, y[6] = {};
  const float *ins[] = {x};
  float *outs[] = {y};
  ASSERT_EQ(rep_model_run(m, ins, outs), REP_OK);
  EXPECT_EQ(y[5], 18.0f);
  rep_model_close(m);

  // By default the file is looked up beside the program holding the model.
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  ASSERT_GT(n, 0);
  std::string beside(exe, n);
  beside = beside.substr(0, beside.rfind('/') + 1) + "scaled.weights";
  writeWeights(beside, 5.0f, scaled.weights_fingerprint);
  ASSERT_EQ(rep_model_from_abi(&scaled, &m), REP_OK) << errorText();
  ASSERT_EQ(rep_model_run(m, ins, outs), REP_OK);
  EXPECT_EQ(y[5], 30.0f);
  rep_model_close(m);
  std::remove(beside.c_str());
  EXPECT_EQ(rep_model_from_abi(&scaled, &m), REP_ERROR_WEIGHTS);
  EXPECT_NE(errorText().find(beside), std::string::npos) << errorText();

  // Another build's file, a truncated one and a foreign one are refused,
  // each naming the file.
  std::string other = dir + "/other.weights";
  writeWeights(other, 3.0f, scaled.weights_fingerprint + 1);
  EXPECT_EQ(rep_model_from_abi_with_weights(&scaled, other.c_str(), &m),
            REP_ERROR_WEIGHTS);
  EXPECT_EQ(m, nullptr);
  EXPECT_NE(errorText().find("another compilation of model 'scaled'"),
            std::string::npos)
      << errorText();
  writeWeights(other, 3.0f, scaled.weights_fingerprint, 64);
  EXPECT_EQ(rep_model_from_abi_with_weights(&scaled, other.c_str(), &m),
            REP_ERROR_WEIGHTS);
  EXPECT_NE(errorText().find("64 bytes"), std::string::npos) << errorText();
  FILE *f = std::fopen(other.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(std::string(128, 'x').data(), 1, 128, f);
  std::fclose(f);
  EXPECT_EQ(rep_model_from_abi_with_weights(&scaled, other.c_str(), &m),
            REP_ERROR_WEIGHTS);
  EXPECT_NE(errorText().find(other + ": not a repc weights file"),
            std::string::npos)
      << errorText();
  // A model with built-in weights takes no file.
  EXPECT_EQ(rep_model_from_abi_with_weights(&abi, good.c_str(), &m),
            REP_ERROR_WEIGHTS);
  EXPECT_NE(errorText().find("built in"), std::string::npos) << errorText();
  EXPECT_STREQ(rep_status_string(REP_ERROR_WEIGHTS),
               "the model's weights file is missing or belongs to another "
               "build");
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

// A shape whose product overflows (or passes the data) is refused before
// anything is allocated; a zero dim reads as an empty array. Shapes the
// npy fuzzer found.
TEST(Npy, RefusesShapesTheDataCannotHold) {
  auto write = [](const std::string &path, const std::string &shape,
                  size_t dataBytes) {
    std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                    shape + "), }";
    h += std::string(63 - h.size() % 64, ' ') + "\n";
    std::FILE *f = std::fopen(path.c_str(), "wb");
    std::fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    unsigned char len[2] = {(unsigned char)(h.size() & 0xff),
                            (unsigned char)(h.size() >> 8)};
    std::fwrite(len, 1, 2, f);
    std::fwrite(h.data(), 1, h.size(), f);
    std::string zeros(dataBytes, '\0');
    std::fwrite(zeros.data(), 1, zeros.size(), f);
    std::fclose(f);
  };
  char err[256];
  rep_npy t;
  std::string path = ::testing::TempDir() + "/wrap.npy";
  write(path, "4294967296, 4294967297", 24);
  EXPECT_NE(rep_npy_read(path.c_str(), &t, err, sizeof err), 0);
  EXPECT_NE(std::string(err).find("wrap.npy: truncated"), std::string::npos)
      << err;
  write(path, "1000000000000, 3", 24);
  EXPECT_NE(rep_npy_read(path.c_str(), &t, err, sizeof err), 0);
  write(path, "2, 0, 3", 0);
  ASSERT_EQ(rep_npy_read(path.c_str(), &t, err, sizeof err), 0) << err;
  EXPECT_EQ(t.rank, 3u);
  EXPECT_EQ(t.dims[1], 0);
  rep_npy_free(&t);
}

} // namespace
