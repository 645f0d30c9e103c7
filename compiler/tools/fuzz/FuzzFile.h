//===- FuzzFile.h - a scratch file for fuzz targets that read paths -------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef REP_FUZZ_FUZZFILE_H
#define REP_FUZZ_FUZZFILE_H

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace rep::fuzz {

/// One file per process (libFuzzer's -jobs/-workers run several), in
/// /dev/shm when there is one, removed at exit.
class ScratchFile {
public:
  explicit ScratchFile(const char *suffix) {
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    if (const char *t = getenv("TMPDIR"))
      dir = t;
    name = std::string(dir) + "/repc-fuzz-" + std::to_string(getpid()) + suffix;
  }
  ~ScratchFile() { unlink(name.c_str()); }
  bool write(const void *data, size_t size) const {
    FILE *f = fopen(name.c_str(), "wb");
    if (!f)
      return false;
    bool ok = fwrite(data, 1, size, f) == size;
    return fclose(f) == 0 && ok;
  }
  const std::string &path() const { return name; }

private:
  std::string name;
};

} // namespace rep::fuzz

#endif // REP_FUZZ_FUZZFILE_H
