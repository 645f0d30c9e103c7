/*===- cuda_emulator.c - a CUDA driver on the host, for the tests ---------===*
 *
 * Part of the repc project, under the Apache License v2.0 with LLVM
 * Exceptions.
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
 *
 *===----------------------------------------------------------------------===*
 *
 * Built as libcuda.so.1 in a directory of its own; a test puts that on
 * LD_LIBRARY_PATH, and the runtime's dlopen("libcuda.so.1") finds it. It
 * implements the driver calls runtime/lib/cuda.c makes, with host memory
 * for device memory, and runs a kernel by calling the host build of it
 * that `repc --target=cuda --gpu-host-kernels` exports under the kernel's
 * name from the model library that holds the PTX, once per thread.
 *
 * A kernel without shared memory has no barriers either, and its threads
 * run one after another. A kernel with shared memory gets a fresh block of
 * garbage for each block, and its threads run as fibers (ucontext): each
 * runs until it reaches the barrier, then the next; when all have, they go
 * on. The order alternates (forward, then backward) with every phase and
 * every block, so a thread that reads shared memory another thread writes
 * without a barrier in between reads garbage in one of the orders.
 *
 * What it checks, as a driver would fail: every kernel a launch names is an
 * .entry of the loaded PTX; launches are 1-D with at most 1024 threads and
 * at most 48 KiB of shared memory; every pointer argument points into a
 * live allocation; and either all threads of a block reach a barrier or
 * none does.
 *
 * CUDA graphs: launches on a capturing stream are recorded (arguments by
 * value, as the driver does) and an instantiated graph replays them; a
 * copy or a synchronize on a capturing stream fails, as a copy from
 * pageable memory does on a GPU.
 *
 * REP_CUDA_EMULATOR_DEVICES=N: the number of devices it reports (default
 * 1), to test how the runtime handles a machine without a GPU.
 * REP_CUDA_EMULATOR_GRAPHS=none: capturing is not supported;
 * =invalidate: the second launch of a capture fails and invalidates it.
 * REP_CUDA_EMULATOR_TRACE=1: one line on stderr per kernel launch and
 * per graph launch.
 *
 * Built with -DREP_CUDA_EMULATOR_VERSION=V (default 11040), it exports
 * only the entry points the runtime uses that a driver of CUDA V has:
 * 11000 lacks cuGraphInstantiateWithFlags (11.4), and 10020 also
 * cuDevicePrimaryCtxRelease_v2 (11.0).
 *
 *===----------------------------------------------------------------------===*/

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#ifndef REP_CUDA_EMULATOR_VERSION
#define REP_CUDA_EMULATOR_VERSION 11040
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;
enum {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_INVALID_VALUE = 1,
  CUDA_ERROR_OUT_OF_MEMORY = 2,
  CUDA_ERROR_NO_DEVICE = 100,
  CUDA_ERROR_INVALID_DEVICE = 101,
  CUDA_ERROR_INVALID_IMAGE = 200,
  CUDA_ERROR_NOT_FOUND = 500,
  CUDA_ERROR_LAUNCH_FAILED = 719,
  CUDA_ERROR_NOT_SUPPORTED = 801,
  CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED = 900,
  CUDA_ERROR_STREAM_CAPTURE_INVALIDATED = 901,
};

typedef struct module {
  const char *ptx;
  void *library; /* the model library that holds the PTX */
} module;

typedef struct allocation {
  char *base;
  size_t size;
} allocation;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static allocation *allocations;
static size_t numAllocations, capAllocations;
static int context;

CUresult cuInit(unsigned flags) {
  return flags ? CUDA_ERROR_INVALID_VALUE : CUDA_SUCCESS;
}

CUresult cuDeviceGetCount(int *count) {
  const char *env = getenv("REP_CUDA_EMULATOR_DEVICES");
  *count = env ? atoi(env) : 1;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGet(int *device, int ordinal) {
  int count;
  cuDeviceGetCount(&count);
  if (ordinal < 0 || ordinal >= count)
    return CUDA_ERROR_INVALID_DEVICE;
  *device = ordinal;
  return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRetain(void **ctx, int device) {
  (void)device;
  *ctx = &context;
  return CUDA_SUCCESS;
}

#if REP_CUDA_EMULATOR_VERSION >= 11000
CUresult cuDevicePrimaryCtxRelease_v2(int device) {
  (void)device;
  return CUDA_SUCCESS;
}
#endif

CUresult cuCtxSetCurrent(void *ctx) {
  return ctx == &context ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

CUresult cuModuleLoadDataEx(module **out, const void *image, unsigned n,
                            int *options, void **values) {
  (void)n, (void)options, (void)values;
  Dl_info info;
  if (!image || !dladdr(image, &info) || !info.dli_fname)
    return CUDA_ERROR_INVALID_IMAGE;
  if (!strstr((const char *)image, ".visible .entry"))
    return CUDA_ERROR_INVALID_IMAGE;
  module *m = calloc(1, sizeof *m);
  if (!m)
    return CUDA_ERROR_OUT_OF_MEMORY;
  m->ptx = image;
  /* A library linked into the program (repc --emit=exe) is the program. */
  m->library = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);
  if (!m->library)
    m->library = dlopen(NULL, RTLD_NOW);
  *out = m;
  return CUDA_SUCCESS;
}

CUresult cuModuleUnload(module *m) {
  if (m && m->library)
    dlclose(m->library);
  free(m);
  return CUDA_SUCCESS;
}

CUresult cuModuleGetFunction(void **function, module *m, const char *name) {
  char entry[512];
  snprintf(entry, sizeof entry, ".entry %s(", name);
  if (!strstr(m->ptx, entry))
    return CUDA_ERROR_NOT_FOUND;
  *function = dlsym(m->library, name);
  return *function ? CUDA_SUCCESS : CUDA_ERROR_NOT_FOUND;
}

CUresult cuMemAlloc_v2(CUdeviceptr *ptr, size_t size) {
  if (!size)
    return CUDA_ERROR_INVALID_VALUE;
  char *p = aligned_alloc(256, (size + 255) / 256 * 256);
  if (!p)
    return CUDA_ERROR_OUT_OF_MEMORY;
  /* Garbage, as on a GPU: a kernel that reads what it never wrote fails. */
  memset(p, 0xa5, size);
  pthread_mutex_lock(&lock);
  if (numAllocations == capAllocations) {
    capAllocations = capAllocations ? 2 * capAllocations : 16;
    allocations = realloc(allocations, capAllocations * sizeof *allocations);
  }
  allocations[numAllocations++] = (allocation){p, size};
  pthread_mutex_unlock(&lock);
  *ptr = (CUdeviceptr)(uintptr_t)p;
  return CUDA_SUCCESS;
}

CUresult cuMemFree_v2(CUdeviceptr ptr) {
  CUresult r = CUDA_ERROR_INVALID_VALUE;
  pthread_mutex_lock(&lock);
  for (size_t i = 0; i < numAllocations; ++i)
    if (allocations[i].base == (char *)(uintptr_t)ptr) {
      free(allocations[i].base);
      allocations[i] = allocations[--numAllocations];
      r = CUDA_SUCCESS;
      break;
    }
  pthread_mutex_unlock(&lock);
  return r;
}

static int isDevicePointer(CUdeviceptr p, size_t size) {
  int found = 0;
  pthread_mutex_lock(&lock);
  for (size_t i = 0; i < numAllocations && !found; ++i) {
    char *base = allocations[i].base;
    found = (char *)(uintptr_t)p >= base &&
            (char *)(uintptr_t)p + size <= base + allocations[i].size;
  }
  pthread_mutex_unlock(&lock);
  return found;
}

/* One launch, its arguments copied. */
typedef struct launch {
  void *function;
  unsigned grid, block, shared, numParams;
  CUdeviceptr values[65];
} launch;

typedef struct graph {
  launch *launches;
  size_t size, capacity;
} graph;

/* The graph being captured on this thread's stream, if any. */
static __thread graph *capturing;
static __thread int captureInvalid;

static const char *graphsMode(void) {
  const char *env = getenv("REP_CUDA_EMULATOR_GRAPHS");
  return env ? env : "";
}

static int tracing(void) {
  const char *env = getenv("REP_CUDA_EMULATOR_TRACE");
  return env && strcmp(env, "0");
}

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t n,
                              void *stream) {
  (void)stream;
  if (capturing)
    return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
  if (!isDevicePointer(dst, n))
    return CUDA_ERROR_INVALID_VALUE;
  memcpy((void *)(uintptr_t)dst, src, n);
  return CUDA_SUCCESS;
}

CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t n,
                              void *stream) {
  (void)stream;
  if (capturing)
    return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
  if (!isDevicePointer(src, n))
    return CUDA_ERROR_INVALID_VALUE;
  memcpy(dst, (const void *)(uintptr_t)src, n);
  return CUDA_SUCCESS;
}

CUresult cuStreamCreate(void **stream, unsigned flags) {
  (void)flags;
  *stream = &context;
  return CUDA_SUCCESS;
}

CUresult cuStreamDestroy_v2(void *stream) {
  (void)stream;
  return CUDA_SUCCESS;
}

CUresult cuStreamSynchronize(void *stream) {
  (void)stream;
  return capturing ? CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED : CUDA_SUCCESS;
}

typedef void (*host_kernel)(void **params, uint64_t block, uint64_t thread,
                            void *shared, void (*barrier)(void));

/* One block's threads as fibers; thread-local, as runtimes on several
   threads may launch at once. */
typedef struct fibers {
  ucontext_t scheduler, *threads;
  char *stacks;
  unsigned char *finished;
  unsigned capacity, current;
  host_kernel kernel;
  void **params;
  uint64_t block;
  char *shared;
} fibers;

enum { kStackBytes = 256 * 1024 };
static __thread fibers self;

static void noBarrier(void) {
  fprintf(stderr, "cuda emulator: a barrier in a kernel without shared "
                  "memory\n");
  abort();
}

static void barrier(void) {
  swapcontext(&self.threads[self.current], &self.scheduler);
}

static void fiberMain(int thread) {
  self.kernel(self.params, self.block, (uint64_t)thread, self.shared, barrier);
  self.finished[thread] = 1;
}

/* Runs the block self.block of `n` threads; 0, or -1 where its threads
   disagree about a barrier. */
static int runBlock(unsigned n) {
  for (unsigned t = 0; t < n; ++t) {
    ucontext_t *c = &self.threads[t];
    getcontext(c);
    c->uc_stack.ss_sp = self.stacks + (size_t)t * kStackBytes;
    c->uc_stack.ss_size = kStackBytes;
    c->uc_link = &self.scheduler;
    makecontext(c, (void (*)(void))fiberMain, 1, (int)t);
    self.finished[t] = 0;
  }
  for (unsigned phase = 0;; ++phase) {
    int backward = (phase + self.block) & 1;
    for (unsigned i = 0; i < n; ++i) {
      self.current = backward ? n - 1 - i : i;
      swapcontext(&self.scheduler, &self.threads[self.current]);
    }
    unsigned done = 0;
    for (unsigned t = 0; t < n; ++t)
      done += self.finished[t];
    if (done == n)
      return 0;
    if (done)
      return -1;
  }
}

/* Runs one launch whose configuration cuLaunchKernel checked. */
static CUresult run(void *function, unsigned gx, unsigned bx, unsigned shared,
                    void **params) {
  /* Every argument repc passes is a device pointer; the host kernel knows
     how many. Check those the launch table filled in. */
  for (void **p = params; p && *p; ++p) {
    CUdeviceptr ptr = *(CUdeviceptr *)*p;
    if (!isDevicePointer(ptr, 1))
      return CUDA_ERROR_LAUNCH_FAILED;
    if (p - params > 64)
      break;
  }
  host_kernel kernel = (host_kernel)function;
  if (!shared) {
    char none;
    for (uint64_t b = 0; b < gx; ++b)
      for (uint64_t t = 0; t < bx; ++t)
        kernel(params, b, t, &none, noBarrier);
    return CUDA_SUCCESS;
  }
  if (self.capacity < bx) {
    free(self.threads);
    free(self.stacks);
    free(self.finished);
    self.threads = calloc(bx, sizeof *self.threads);
    self.stacks = malloc((size_t)bx * kStackBytes);
    self.finished = calloc(bx, 1);
    self.capacity = self.threads && self.stacks && self.finished ? bx : 0;
    if (!self.capacity)
      return CUDA_ERROR_OUT_OF_MEMORY;
  }
  char *memory = malloc(shared);
  if (!memory)
    return CUDA_ERROR_OUT_OF_MEMORY;
  self.kernel = kernel;
  self.params = params;
  self.shared = memory;
  CUresult r = CUDA_SUCCESS;
  for (uint64_t b = 0; b < gx && r == CUDA_SUCCESS; ++b) {
    /* Garbage, as on a GPU. */
    memset(memory, 0x5a, shared);
    self.block = b;
    if (runBlock(bx))
      r = CUDA_ERROR_LAUNCH_FAILED;
  }
  free(memory);
  return r;
}

CUresult cuLaunchKernel(void *function, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned shared,
                        void *stream, void **params, void **extra) {
  (void)stream;
  if (!function || gy != 1 || gz != 1 || by != 1 || bz != 1 || !gx || !bx ||
      bx > 1024 || shared > 48 * 1024 || extra)
    return CUDA_ERROR_INVALID_VALUE;
  if (!capturing) {
    if (tracing())
      fprintf(stderr, "cuda emulator: cuLaunchKernel\n");
    return run(function, gx, bx, shared, params);
  }
  if (captureInvalid)
    return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
  if (!strcmp(graphsMode(), "invalidate") && capturing->size == 1) {
    captureInvalid = 1;
    return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
  }
  if (capturing->size == capturing->capacity) {
    size_t n = capturing->capacity ? 2 * capturing->capacity : 64;
    launch *l = realloc(capturing->launches, n * sizeof *l);
    if (!l)
      return CUDA_ERROR_OUT_OF_MEMORY;
    capturing->launches = l;
    capturing->capacity = n;
  }
  launch *l = &capturing->launches[capturing->size++];
  *l = (launch){function, gx, bx, shared, 0, {0}};
  for (void **p = params; p && *p && l->numParams < 64; ++p)
    l->values[l->numParams++] = *(CUdeviceptr *)*p;
  return CUDA_SUCCESS;
}

CUresult cuStreamBeginCapture_v2(void *stream, int mode) {
  (void)stream, (void)mode;
  if (!strcmp(graphsMode(), "none"))
    return CUDA_ERROR_NOT_SUPPORTED;
  if (capturing)
    return CUDA_ERROR_INVALID_VALUE;
  capturing = calloc(1, sizeof *capturing);
  captureInvalid = 0;
  return capturing ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}

CUresult cuGraphDestroy(graph *g) {
  if (g)
    free(g->launches);
  free(g);
  return CUDA_SUCCESS;
}

CUresult cuStreamEndCapture(void *stream, graph **out) {
  (void)stream;
  *out = NULL;
  if (!capturing)
    return CUDA_ERROR_INVALID_VALUE;
  graph *g = capturing;
  capturing = NULL;
  if (captureInvalid) {
    cuGraphDestroy(g);
    return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
  }
  *out = g;
  return CUDA_SUCCESS;
}

#if REP_CUDA_EMULATOR_VERSION >= 11040
/* An executable graph is a copy: the runtime destroys the graph after
   instantiating it. */
CUresult cuGraphInstantiateWithFlags(graph **exec, const graph *g,
                                     unsigned long long flags) {
  if (!g || flags)
    return CUDA_ERROR_INVALID_VALUE;
  graph *e = calloc(1, sizeof *e);
  if (!e)
    return CUDA_ERROR_OUT_OF_MEMORY;
  e->launches = malloc((g->size ? g->size : 1) * sizeof *e->launches);
  if (!e->launches) {
    free(e);
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  memcpy(e->launches, g->launches, g->size * sizeof *e->launches);
  e->size = e->capacity = g->size;
  *exec = e;
  return CUDA_SUCCESS;
}
#endif

CUresult cuGraphExecDestroy(graph *exec) { return cuGraphDestroy(exec); }

CUresult cuGraphLaunch(const graph *exec, void *stream) {
  (void)stream;
  if (!exec || capturing)
    return CUDA_ERROR_INVALID_VALUE;
  if (tracing())
    fprintf(stderr, "cuda emulator: cuGraphLaunch (%zu kernels)\n", exec->size);
  for (size_t i = 0; i < exec->size; ++i) {
    const launch *l = &exec->launches[i];
    void *params[65];
    for (unsigned a = 0; a < l->numParams; ++a)
      params[a] = (void *)&l->values[a];
    params[l->numParams] = NULL;
    CUresult r = run(l->function, l->grid, l->block, l->shared, params);
    if (r != CUDA_SUCCESS)
      return r;
  }
  return CUDA_SUCCESS;
}

CUresult cuGetErrorString(CUresult r, const char **s) {
  switch (r) {
  case CUDA_ERROR_INVALID_VALUE:
    *s = "invalid argument";
    break;
  case CUDA_ERROR_NOT_FOUND:
    *s = "named symbol not found";
    break;
  case CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED:
    *s = "operation not permitted when stream is capturing";
    break;
  case CUDA_ERROR_STREAM_CAPTURE_INVALIDATED:
    *s = "operation failed due to a previous error during capture";
    break;
  case CUDA_ERROR_LAUNCH_FAILED:
    *s = "unspecified launch failure (emulator: a pointer argument outside "
         "every allocation, or a barrier some threads of a block skip)";
    break;
  default:
    *s = "error (emulator)";
  }
  return CUDA_SUCCESS;
}
