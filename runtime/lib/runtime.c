/*===- runtime.c - the repc runtime: open and run compiled models ----------===*
 *
 * Part of the repc project, under the Apache License v2.0 with LLVM
 * Exceptions.
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
 *
 *===----------------------------------------------------------------------===*/

#include "rep/runtime.h"

#include "cuda.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct rep_model {
  void *library; /* NULL for a model linked into the program */
  const rep_model_abi *abi;
  rep_cuda_model *cuda; /* REP_DEVICE_CUDA models */
  rep_tensor_info *tensors; /* inputs, then outputs */
  int threads;
  /* Workspaces not in use; one more is allocated when all are taken. */
  pthread_mutex_t lock;
  void **idle;
  size_t numIdle, capIdle;
};

static _Thread_local char lastError[512];

static rep_status setError(rep_status s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(lastError, sizeof lastError, fmt, ap);
  va_end(ap);
  return s;
}

const char *rep_last_error(void) { return lastError; }

const char *rep_status_string(rep_status status) {
  switch (status) {
  case REP_OK:
    return "ok";
  case REP_ERROR_OPEN:
    return "the model library could not be loaded";
  case REP_ERROR_NOT_A_MODEL:
    return "not a repc model (no rep_model_entry, or another ABI version)";
  case REP_ERROR_ARGUMENT:
    return "invalid argument";
  case REP_ERROR_RUN:
    return "the model failed while running";
  case REP_ERROR_MEMORY:
    return "out of memory";
  case REP_ERROR_DEVICE:
    return "the model's GPU or its driver is not usable";
  }
  return "unknown status";
}

rep_status rep_model_from_abi(const rep_model_abi *abi, rep_model **model) {
  if (!model)
    return setError(REP_ERROR_ARGUMENT, "rep_model_from_abi: model is NULL");
  *model = NULL;
  if (!abi || abi->abi_version != REP_MODEL_ABI_VERSION)
    return setError(REP_ERROR_NOT_A_MODEL,
                    "model ABI version %u, this runtime reads %u (recompile "
                    "the model with this repc)",
                    abi ? abi->abi_version : 0, REP_MODEL_ABI_VERSION);
  int cuda = abi->device == REP_DEVICE_CUDA;
  if (cuda ? !abi->cuda : (abi->device != REP_DEVICE_CPU || !abi->run))
    return setError(REP_ERROR_NOT_A_MODEL, "model descriptor for device %u "
                    "is incomplete", abi->device);
  rep_cuda_model *gpu = NULL;
  if (cuda) {
    char err[sizeof lastError];
    rep_status s = rep_cuda_open(abi, &gpu, err, sizeof err);
    if (s != REP_OK)
      return setError(s, "%s", err);
  }
  rep_model *m = calloc(1, sizeof *m);
  uint32_t n = abi->num_inputs + abi->num_outputs;
  rep_tensor_info *t = calloc(n ? n : 1, sizeof *t);
  if (!m || !t) {
    free(m);
    free(t);
    rep_cuda_close(gpu);
    return setError(REP_ERROR_MEMORY, "out of memory");
  }
  const int64_t *dims = abi->io_dims;
  for (uint32_t i = 0; i < n; ++i) {
    t[i].name = abi->io_names[i];
    t[i].rank = abi->io_ranks[i];
    t[i].dims = dims;
    dims += t[i].rank;
  }
  m->abi = abi;
  m->cuda = gpu;
  m->tensors = t;
  pthread_mutex_init(&m->lock, NULL);
  *model = m;
  return REP_OK;
}

rep_status rep_model_open(const char *path, rep_model **model) {
  if (!path || !model)
    return setError(REP_ERROR_ARGUMENT, "rep_model_open: NULL argument");
  *model = NULL;
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    return setError(REP_ERROR_OPEN, "%s", dlerror());
  const rep_model_abi *(*entry)(void) =
      (const rep_model_abi *(*)(void))dlsym(lib, "rep_model_entry");
  if (!entry) {
    dlclose(lib);
    return setError(REP_ERROR_NOT_A_MODEL,
                    "%s: no rep_model_entry: not a model compiled by repc "
                    "--emit=lib",
                    path);
  }
  rep_status s = rep_model_from_abi(entry(), model);
  if (s != REP_OK) {
    char why[sizeof lastError];
    snprintf(why, sizeof why, "%s", lastError);
    dlclose(lib);
    return setError(s, "%s: %s", path, why);
  }
  (*model)->library = lib;
  return REP_OK;
}

void rep_model_close(rep_model *model) {
  if (!model)
    return;
  rep_cuda_close(model->cuda);
  if (model->library)
    dlclose(model->library);
  for (size_t i = 0; i < model->numIdle; ++i)
    free(model->idle[i]);
  free(model->idle);
  pthread_mutex_destroy(&model->lock);
  free(model->tensors);
  free(model);
}

const char *rep_model_name(const rep_model *model) {
  return model ? model->abi->name : NULL;
}
uint32_t rep_model_num_inputs(const rep_model *model) {
  return model ? model->abi->num_inputs : 0;
}
uint32_t rep_model_num_outputs(const rep_model *model) {
  return model ? model->abi->num_outputs : 0;
}
const rep_tensor_info *rep_model_input(const rep_model *model, uint32_t i) {
  return model && i < model->abi->num_inputs ? &model->tensors[i] : NULL;
}
const rep_tensor_info *rep_model_output(const rep_model *model, uint32_t i) {
  return model && i < model->abi->num_outputs
             ? &model->tensors[model->abi->num_inputs + i]
             : NULL;
}

size_t rep_tensor_numel(const rep_tensor_info *info) {
  if (!info)
    return 0;
  size_t n = 1;
  for (uint32_t d = 0; d < info->rank; ++d)
    n *= (size_t)info->dims[d];
  return n;
}

rep_status rep_model_set_threads(rep_model *model, int num_threads) {
  if (!model || num_threads < 0)
    return REP_ERROR_ARGUMENT;
  model->threads = num_threads;
  return REP_OK;
}

rep_device rep_model_device(const rep_model *model) {
  return model ? (rep_device)model->abi->device : REP_DEVICE_CPU;
}

size_t rep_model_workspace_size(const rep_model *model) {
  return model ? (size_t)model->abi->workspace_size : 0;
}

/* An idle workspace, or a new one; NULL when none is needed or on OOM. */
static void *takeWorkspace(rep_model *model) {
  size_t bytes = (size_t)model->abi->workspace_size;
  if (!bytes)
    return NULL;
  void *ws = NULL;
  pthread_mutex_lock(&model->lock);
  if (model->numIdle)
    ws = model->idle[--model->numIdle];
  pthread_mutex_unlock(&model->lock);
  if (!ws)
    ws = aligned_alloc(64, (bytes + 63) / 64 * 64);
  return ws;
}

static void giveWorkspace(rep_model *model, void *ws) {
  if (!ws)
    return;
  pthread_mutex_lock(&model->lock);
  if (model->numIdle == model->capIdle) {
    size_t cap = model->capIdle ? 2 * model->capIdle : 4;
    void **grown = realloc(model->idle, cap * sizeof *grown);
    if (grown) {
      model->idle = grown;
      model->capIdle = cap;
    }
  }
  if (model->numIdle < model->capIdle) {
    model->idle[model->numIdle++] = ws;
    ws = NULL;
  }
  pthread_mutex_unlock(&model->lock);
  free(ws);
}

rep_status rep_model_run(rep_model *model, const float *const *inputs,
                         float *const *outputs) {
  if (!model || !inputs || !outputs)
    return REP_ERROR_ARGUMENT;
  for (uint32_t i = 0; i < model->abi->num_inputs; ++i)
    if (!inputs[i])
      return REP_ERROR_ARGUMENT;
  for (uint32_t i = 0; i < model->abi->num_outputs; ++i)
    if (!outputs[i])
      return REP_ERROR_ARGUMENT;
  lastError[0] = '\0';
  if (model->cuda) {
    char err[sizeof lastError];
    rep_status s = rep_cuda_run(model->cuda, inputs, outputs, err, sizeof err);
    return s == REP_OK ? s : setError(s, "%s", err);
  }
  void *ws = takeWorkspace(model);
  if (!ws && model->abi->workspace_size)
    return REP_ERROR_MEMORY;
  int rc = model->abi->run(inputs, outputs, ws, model->threads);
  giveWorkspace(model, ws);
  return rc ? REP_ERROR_RUN : REP_OK;
}
