//===- Npy.cpp - float32 .npy files ---------------------------------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Support/Npy.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include <climits>
#include <cstring>
#include <regex>

using namespace mlir::rep;

static llvm::Error npyError(llvm::StringRef path, const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 path + ": " + msg);
}

llvm::Expected<Tensor> mlir::rep::readNpy(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return npyError(path, "cannot read: " + buffer.getError().message());
  llvm::StringRef bytes = (*buffer)->getBuffer();
  if (bytes.size() < 10 || !bytes.starts_with("\x93NUMPY"))
    return npyError(path, "not a .npy file (bad magic)");
  uint8_t major = bytes[6];
  size_t headerLen, offset;
  if (major == 1) {
    headerLen = (uint8_t)bytes[8] | ((uint8_t)bytes[9] << 8);
    offset = 10;
  } else if ((major == 2 || major == 3) && bytes.size() >= 12) {
    headerLen = 0;
    for (int i = 0; i < 4; ++i)
      headerLen |= (size_t)(uint8_t)bytes[8 + i] << (8 * i);
    offset = 12;
  } else {
    return npyError(path, "unsupported .npy format version " +
                              llvm::Twine((int)major));
  }
  if (offset + headerLen > bytes.size())
    return npyError(path, "truncated .npy header");
  std::string header = bytes.substr(offset, headerLen).str();

  std::smatch m;
  if (!std::regex_search(header, m,
                         std::regex("'descr'\\s*:\\s*'([^']*)'")))
    return npyError(path, "no dtype in .npy header");
  if (m[1] != "<f4")
    return npyError(path, "dtype '" + m[1].str() +
                              "' is not float32 ('<f4'); convert with "
                              "x.astype(numpy.float32)");
  if (!std::regex_search(header, m,
                         std::regex("'fortran_order'\\s*:\\s*(True|False)")) ||
      m[1] == "True")
    return npyError(path, "Fortran-order arrays are not supported");
  if (!std::regex_search(header, m, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)")))
    return npyError(path, "no shape in .npy header");
  Tensor t;
  std::string dims = m[1];
  std::regex num("[0-9]+");
  // A product past 63 bits is refused; any other must match the data the
  // file holds before anything is allocated.
  size_t start = offset + headerLen;
  uint64_t dataBytes = bytes.size() - start, count = 1;
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), num);
       it != std::sregex_iterator(); ++it) {
    uint64_t d;
    if (llvm::StringRef(it->str()).getAsInteger(10, d) || d > INT64_MAX)
      return npyError(path, "shape (" + llvm::Twine(dims) + ") is too large");
    t.shape.push_back((int64_t)d);
  }
  if (!llvm::is_contained(t.shape, 0))
    for (int64_t d : t.shape) {
      if (count > (uint64_t)INT64_MAX / sizeof(float) / (uint64_t)d)
        return npyError(path,
                        "shape (" + llvm::Twine(dims) + ") is too large");
      count *= d;
    }
  else
    count = 0;
  if (count * sizeof(float) != dataBytes)
    return npyError(path, "holds " + llvm::Twine(dataBytes) +
                              " data bytes, its shape needs " +
                              llvm::Twine(count * sizeof(float)));
  t.data.resize(count);
  if (count)
    std::memcpy(t.data.data(), bytes.data() + start, dataBytes);
  return t;
}

llvm::Error mlir::rep::writeNpy(llvm::StringRef path, const Tensor &t) {
  std::string shape;
  for (int64_t d : t.shape)
    shape += std::to_string(d) + ", ";
  if (t.shape.size() > 1)
    shape.resize(shape.size() - 1), shape.back() = ')', shape.insert(0, "(");
  else if (t.shape.size() == 1)
    shape = "(" + std::to_string(t.shape[0]) + ",)";
  else
    shape = "()";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " +
                       shape + ", }";
  // Pad so that magic + length + header + '\n' is a multiple of 64.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return npyError(path, "cannot write: " + ec.message());
  os << "\x93NUMPY" << char(1) << char(0) << char(header.size() & 0xff)
     << char(header.size() >> 8) << header;
  os.write(reinterpret_cast<const char *>(t.data.data()),
           t.data.size() * sizeof(float));
  return llvm::Error::success();
}
