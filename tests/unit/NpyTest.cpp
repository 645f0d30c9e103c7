//===- NpyTest.cpp - float32 .npy reading and writing ---------------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Support/Npy.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"
#include "gtest/gtest.h"

using namespace mlir::rep;

namespace {

std::string tempPath(const char *name) {
  llvm::SmallString<128> path;
  llvm::sys::fs::createTemporaryFile(name, "npy", path);
  return std::string(path);
}

TEST(NpyTest, RoundTrips) {
  for (auto shape : {llvm::SmallVector<int64_t>{2, 3, 5},
                     llvm::SmallVector<int64_t>{7},
                     llvm::SmallVector<int64_t>{}}) {
    Tensor t{shape, {}};
    for (int64_t i = 0; i < t.numel(); ++i)
      t.data.push_back(0.5f * i - 3);
    std::string path = tempPath("roundtrip");
    ASSERT_FALSE(bool(writeNpy(path, t)));
    auto back = readNpy(path);
    ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
    EXPECT_EQ(back->shape, t.shape);
    EXPECT_EQ(back->data, t.data);
    llvm::sys::fs::remove(path);
  }
}

TEST(NpyTest, NamesWhatIsWrong) {
  std::string path = tempPath("bad");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    std::string header = "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }";
    header.append(128 - 10 - header.size() - 1, ' ');
    header += '\n';
    os << "\x93NUMPY" << char(1) << char(0) << char(header.size()) << char(0)
       << header << std::string(16, '\0');
  }
  auto t = readNpy(path);
  ASSERT_FALSE(bool(t));
  std::string message = llvm::toString(t.takeError());
  EXPECT_NE(message.find(path + ": dtype '<i8' is not float32"),
            std::string::npos)
      << message;
  llvm::sys::fs::remove(path);
}

} // namespace
