/*===- cuda.c - running CUDA models through the driver API ----------------===*
 *
 * Part of the repc project, under the Apache License v2.0 with LLVM
 * Exceptions.
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
 *
 *===----------------------------------------------------------------------===*
 *
 * The driver is opened with dlopen, never linked: the same runtime runs CPU
 * models on machines without CUDA. The declarations below are the driver
 * API's (cuda.h), as far as this file uses them.
 *
 *===----------------------------------------------------------------------===*/

#include "cuda.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef struct CUgraph_st *CUgraph;
typedef struct CUgraphExec_st *CUgraphExec;
typedef unsigned long long CUdeviceptr;
enum { CUDA_SUCCESS = 0 };
enum { CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1 };
enum { CU_JIT_ERROR_LOG_BUFFER = 5, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6 };
enum { CU_STREAM_NON_BLOCKING = 1 };

typedef struct cuda_api {
  void *library;
  CUresult (*init)(unsigned);
  CUresult (*deviceGetCount)(int *);
  CUresult (*deviceGet)(CUdevice *, int);
  CUresult (*primaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*primaryCtxRelease)(CUdevice);
  CUresult (*ctxSetCurrent)(CUcontext);
  CUresult (*moduleLoadDataEx)(CUmodule *, const void *, unsigned, int *,
                               void **);
  CUresult (*moduleUnload)(CUmodule);
  CUresult (*moduleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*memAlloc)(CUdeviceptr *, size_t);
  CUresult (*memFree)(CUdeviceptr);
  CUresult (*memcpyHtoDAsync)(CUdeviceptr, const void *, size_t, CUstream);
  CUresult (*memcpyDtoHAsync)(void *, CUdeviceptr, size_t, CUstream);
  CUresult (*streamCreate)(CUstream *, unsigned);
  CUresult (*streamDestroy)(CUstream);
  CUresult (*streamSynchronize)(CUstream);
  CUresult (*launchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, unsigned, CUstream, void **,
                           void **);
  CUresult (*getErrorString)(CUresult, const char **);
  /* CUDA graphs (optional: without them, runs launch one by one). */
  CUresult (*streamBeginCapture)(CUstream, int);
  CUresult (*streamEndCapture)(CUstream, CUgraph *);
  CUresult (*graphInstantiate)(CUgraphExec *, CUgraph, unsigned long long);
  CUresult (*graphLaunch)(CUgraphExec, CUstream);
  CUresult (*graphExecDestroy)(CUgraphExec);
  CUresult (*graphDestroy)(CUgraph);
} cuda_api;

struct rep_cuda_model {
  cuda_api api;
  const rep_model_abi *abi;
  const void *file; /* the mapped weights file (repc --weights), or NULL */
  CUdevice device;
  CUcontext context;
  CUmodule module;
  CUstream stream;
  CUfunction *kernels;
  CUdeviceptr weights, workspace;
  CUdeviceptr *io; /* inputs, then outputs */
  size_t *ioBytes;
  CUgraphExec graph; /* every launch, captured once; NULL: launch each */
  pthread_mutex_t lock;
};

static rep_status fail(char *err, size_t n, rep_status s, const char *fmt,
                       ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, n, fmt, ap);
  va_end(ap);
  return s;
}

static const char *describe(const cuda_api *api, CUresult r) {
  const char *s = NULL;
  if (api->getErrorString && api->getErrorString(r, &s) == CUDA_SUCCESS && s)
    return s;
  return "unknown CUDA error";
}

typedef struct symbol {
  void **slot;
  const char *name;
} symbol;

/* Fills each symbol's slot from `library`; the first missing one's name, or
   NULL. */
static const char *bind(void *library, const symbol *syms, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!(*syms[i].slot = dlsym(library, syms[i].name)))
      return syms[i].name;
  return NULL;
}

static rep_status loadApi(cuda_api *api, char *err, size_t n) {
  memset(api, 0, sizeof *api);
  api->library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!api->library)
    return fail(err, n, REP_ERROR_DEVICE,
                "this model runs on an NVIDIA GPU (repc --target=cuda), and "
                "the CUDA driver cannot be loaded: %s",
                dlerror());
  const symbol syms[] = {
      {(void **)&api->init, "cuInit"},
      {(void **)&api->deviceGetCount, "cuDeviceGetCount"},
      {(void **)&api->deviceGet, "cuDeviceGet"},
      {(void **)&api->primaryCtxRetain, "cuDevicePrimaryCtxRetain"},
      {(void **)&api->primaryCtxRelease, "cuDevicePrimaryCtxRelease_v2"},
      {(void **)&api->ctxSetCurrent, "cuCtxSetCurrent"},
      {(void **)&api->moduleLoadDataEx, "cuModuleLoadDataEx"},
      {(void **)&api->moduleUnload, "cuModuleUnload"},
      {(void **)&api->moduleGetFunction, "cuModuleGetFunction"},
      {(void **)&api->memAlloc, "cuMemAlloc_v2"},
      {(void **)&api->memFree, "cuMemFree_v2"},
      {(void **)&api->memcpyHtoDAsync, "cuMemcpyHtoDAsync_v2"},
      {(void **)&api->memcpyDtoHAsync, "cuMemcpyDtoHAsync_v2"},
      {(void **)&api->streamCreate, "cuStreamCreate"},
      {(void **)&api->streamDestroy, "cuStreamDestroy_v2"},
      {(void **)&api->streamSynchronize, "cuStreamSynchronize"},
      {(void **)&api->launchKernel, "cuLaunchKernel"},
      {(void **)&api->getErrorString, "cuGetErrorString"},
  };
  const char *missing = bind(api->library, syms, sizeof syms / sizeof *syms);
  if (missing) {
    rep_status s =
        fail(err, n, REP_ERROR_DEVICE,
             "libcuda.so.1 has no %s: the driver is too old", missing);
    dlclose(api->library);
    api->library = NULL;
    return s;
  }
  const symbol graphSyms[] = {
      {(void **)&api->streamBeginCapture, "cuStreamBeginCapture_v2"},
      {(void **)&api->streamEndCapture, "cuStreamEndCapture"},
      {(void **)&api->graphInstantiate, "cuGraphInstantiateWithFlags"},
      {(void **)&api->graphLaunch, "cuGraphLaunch"},
      {(void **)&api->graphExecDestroy, "cuGraphExecDestroy"},
      {(void **)&api->graphDestroy, "cuGraphDestroy"},
  };
  if (bind(api->library, graphSyms, sizeof graphSyms / sizeof *graphSyms))
    api->graphLaunch = NULL;
  return REP_OK;
}

/* Runs `call`; on failure, describes it as `what` and returns from the
   enclosing function. */
#define CHECK(m, what, call)                                                   \
  do {                                                                         \
    CUresult r_ = (call);                                                      \
    if (r_ != CUDA_SUCCESS)                                                    \
      return fail(err, errSize, REP_ERROR_DEVICE, "%s: %s (CUDA error %d)",    \
                  what, describe(&(m)->api, r_), r_);                          \
  } while (0)

static size_t numel(const rep_model_abi *abi, uint32_t t) {
  const int64_t *dims = abi->io_dims;
  for (uint32_t i = 0; i < t; ++i)
    dims += abi->io_ranks[i];
  size_t n = 1;
  for (uint32_t d = 0; d < abi->io_ranks[t]; ++d)
    n *= (size_t)dims[d];
  return n;
}

static void captureGraph(rep_cuda_model *m);

static rep_status setUp(rep_cuda_model *m, char *err, size_t errSize) {
  const rep_model_abi *abi = m->abi;
  const rep_cuda_program *p = abi->cuda;
  CHECK(m, "cuInit", m->api.init(0));
  int count = 0, ordinal = 0;
  CHECK(m, "cuDeviceGetCount", m->api.deviceGetCount(&count));
  if (getenv("REP_CUDA_DEVICE"))
    ordinal = atoi(getenv("REP_CUDA_DEVICE"));
  if (ordinal < 0 || ordinal >= count)
    return fail(err, errSize, REP_ERROR_DEVICE,
                "no CUDA device %d (this machine has %d)", ordinal, count);
  CHECK(m, "cuDeviceGet", m->api.deviceGet(&m->device, ordinal));
  CHECK(m, "cuDevicePrimaryCtxRetain",
        m->api.primaryCtxRetain(&m->context, m->device));
  CHECK(m, "cuCtxSetCurrent", m->api.ctxSetCurrent(m->context));

  char log[4096] = "";
  int options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {log, (void *)(uintptr_t)sizeof log};
  CUresult r = m->api.moduleLoadDataEx(&m->module, p->ptx, 2, options, values);
  if (r != CUDA_SUCCESS)
    return fail(err, errSize, REP_ERROR_DEVICE,
                "loading the model's PTX (%s) failed: %s%s%s", p->arch,
                describe(&m->api, r), *log ? ": " : "", log);
  m->kernels = calloc(p->num_kernels ? p->num_kernels : 1, sizeof(CUfunction));
  if (!m->kernels)
    return fail(err, errSize, REP_ERROR_MEMORY, "out of memory");
  for (uint32_t k = 0; k < p->num_kernels; ++k)
    CHECK(m, p->kernel_names[k],
          m->api.moduleGetFunction(&m->kernels[k], m->module,
                                   p->kernel_names[k]));
  CHECK(m, "cuStreamCreate",
        m->api.streamCreate(&m->stream, CU_STREAM_NON_BLOCKING));

  if (p->weights_size) {
    CHECK(m, "allocating the weights",
          m->api.memAlloc(&m->weights, p->weights_size));
    CHECK(m, "uploading the weights",
          m->api.memcpyHtoDAsync(m->weights,
                                 m->file ? (const char *)m->file +
                                               REP_WEIGHTS_HEADER_SIZE
                                         : p->weights,
                                 p->weights_size, m->stream));
  }
  if (abi->workspace_size)
    CHECK(m, "allocating the workspace",
          m->api.memAlloc(&m->workspace, abi->workspace_size));
  uint32_t n = abi->num_inputs + abi->num_outputs;
  m->io = calloc(n ? n : 1, sizeof *m->io);
  m->ioBytes = calloc(n ? n : 1, sizeof *m->ioBytes);
  if (!m->io || !m->ioBytes)
    return fail(err, errSize, REP_ERROR_MEMORY, "out of memory");
  for (uint32_t t = 0; t < n; ++t) {
    m->ioBytes[t] = numel(abi, t) * sizeof(float);
    CHECK(m, "allocating an input or output",
          m->api.memAlloc(&m->io[t], m->ioBytes[t] ? m->ioBytes[t] : 4));
  }
  CHECK(m, "uploading the weights", m->api.streamSynchronize(m->stream));
  captureGraph(m);
  return REP_OK;
}

rep_status rep_cuda_open(const rep_model_abi *abi, const void *weights,
                         rep_cuda_model **model, char *err, size_t errSize) {
  *model = NULL;
  rep_cuda_model *m = calloc(1, sizeof *m);
  if (!m)
    return fail(err, errSize, REP_ERROR_MEMORY, "out of memory");
  rep_status s = loadApi(&m->api, err, errSize);
  if (s != REP_OK) {
    free(m);
    return s;
  }
  m->abi = abi;
  m->file = weights;
  pthread_mutex_init(&m->lock, NULL);
  s = setUp(m, err, errSize);
  if (s != REP_OK) {
    rep_cuda_close(m);
    return s;
  }
  *model = m;
  return REP_OK;
}

static CUdeviceptr bufferOf(const rep_cuda_model *m, const rep_cuda_arg *a) {
  switch (a->buffer) {
  case REP_CUDA_INPUT:
    return m->io[a->index];
  case REP_CUDA_OUTPUT:
    return m->io[m->abi->num_inputs + a->index];
  case REP_CUDA_WORKSPACE:
    return m->workspace;
  default:
    return m->weights;
  }
}

/* Enqueues every launch of the table on the model's stream. */
static rep_status launchAll(rep_cuda_model *m, char *err, size_t errSize) {
  const rep_cuda_program *p = m->abi->cuda;
  CUdeviceptr values[64];
  void *params[65];
  for (uint32_t l = 0; l < p->num_launches; ++l) {
    const rep_cuda_launch *k = &p->launches[l];
    if (k->num_args > 64 || k->kernel >= p->num_kernels)
      return fail(err, errSize, REP_ERROR_RUN, "launch %u is malformed", l);
    for (uint32_t a = 0; a < k->num_args; ++a) {
      const rep_cuda_arg *arg = &p->args[k->first_arg + a];
      values[a] = bufferOf(m, arg) + arg->offset;
      params[a] = &values[a];
    }
    /* The driver reads as many as the kernel takes; the tests' emulator
       counts up to the NULL. */
    params[k->num_args] = NULL;
    CHECK(m, p->kernel_names[k->kernel],
          m->api.launchKernel(m->kernels[k->kernel], k->grid[0], k->grid[1],
                              k->grid[2], k->block[0], k->block[1], k->block[2],
                              k->shared_bytes, m->stream, params, NULL));
  }
  return REP_OK;
}

/* Every buffer a launch names is fixed when the model opens, so the whole
   table is captured once into a CUDA graph, and a run is one cuGraphLaunch
   instead of a driver call per kernel. Where the driver has no graphs, or
   capturing fails, runs launch one by one (and report any launch error
   there). REP_CUDA_GRAPHS=0 turns graphs off. */
static void captureGraph(rep_cuda_model *m) {
  const char *env = getenv("REP_CUDA_GRAPHS");
  if (!m->api.graphLaunch || (env && !strcmp(env, "0")))
    return;
  if (m->api.streamBeginCapture(
          m->stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL) != CUDA_SUCCESS)
    return;
  char ignored[256];
  rep_status launched = launchAll(m, ignored, sizeof ignored);
  /* Ending the capture also ends a capture a failed launch invalidated. */
  CUgraph graph = NULL;
  CUresult ended = m->api.streamEndCapture(m->stream, &graph);
  if (launched == REP_OK && ended == CUDA_SUCCESS && graph &&
      m->api.graphInstantiate(&m->graph, graph, 0) != CUDA_SUCCESS)
    m->graph = NULL;
  if (graph)
    m->api.graphDestroy(graph);
}

static rep_status runLocked(rep_cuda_model *m, const float *const *inputs,
                            float *const *outputs, char *err, size_t errSize) {
  const rep_model_abi *abi = m->abi;
  CHECK(m, "cuCtxSetCurrent", m->api.ctxSetCurrent(m->context));
  for (uint32_t i = 0; i < abi->num_inputs; ++i)
    CHECK(
        m, "copying an input to the GPU",
        m->api.memcpyHtoDAsync(m->io[i], inputs[i], m->ioBytes[i], m->stream));
  if (m->graph) {
    CHECK(m, "launching the model's CUDA graph",
          m->api.graphLaunch(m->graph, m->stream));
  } else {
    rep_status s = launchAll(m, err, errSize);
    if (s != REP_OK)
      return s;
  }
  for (uint32_t o = 0; o < abi->num_outputs; ++o) {
    uint32_t t = abi->num_inputs + o;
    CHECK(
        m, "copying an output from the GPU",
        m->api.memcpyDtoHAsync(outputs[o], m->io[t], m->ioBytes[t], m->stream));
  }
  CHECK(m, "running the model's kernels", m->api.streamSynchronize(m->stream));
  return REP_OK;
}

rep_status rep_cuda_run(rep_cuda_model *m, const float *const *inputs,
                        float *const *outputs, char *err, size_t errSize) {
  pthread_mutex_lock(&m->lock);
  rep_status s = runLocked(m, inputs, outputs, err, errSize);
  pthread_mutex_unlock(&m->lock);
  return s;
}

void rep_cuda_close(rep_cuda_model *m) {
  if (!m)
    return;
  if (m->context) {
    m->api.ctxSetCurrent(m->context);
    if (m->stream)
      m->api.streamSynchronize(m->stream);
    if (m->graph)
      m->api.graphExecDestroy(m->graph);
    uint32_t n = m->abi->num_inputs + m->abi->num_outputs;
    for (uint32_t t = 0; m->io && t < n; ++t)
      if (m->io[t])
        m->api.memFree(m->io[t]);
    if (m->workspace)
      m->api.memFree(m->workspace);
    if (m->weights)
      m->api.memFree(m->weights);
    if (m->stream)
      m->api.streamDestroy(m->stream);
    if (m->module)
      m->api.moduleUnload(m->module);
    m->api.primaryCtxRelease(m->device);
  }
  free(m->io);
  free(m->ioBytes);
  free(m->kernels);
  pthread_mutex_destroy(&m->lock);
  /* The driver stays loaded: unloading libcuda is not supported. */
  free(m);
}
