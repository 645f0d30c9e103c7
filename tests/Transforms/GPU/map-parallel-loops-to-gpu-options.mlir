// RUN: rep-opt %s -verify-diagnostics \
// RUN:   -pass-pipeline='builtin.module(func.func(rep-map-parallel-loops-to-gpu{block-size=100}))'

// A block of threads is whole warps.
// expected-error @+1 {{rep-map-parallel-loops-to-gpu: block-size 100 is not a multiple of 32 up to 1024}}
func.func @f(%out: memref<4xf32>) {
  return
}
