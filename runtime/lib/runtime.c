/*===- runtime.c - the repc runtime: open and run compiled models ----------===*
 *
 * Part of the repc project, under the Apache License v2.0 with LLVM
 * Exceptions.
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
 *
 *===----------------------------------------------------------------------===*/

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include "rep/model_abi.h"
#include "rep/runtime.h"

#include "cuda.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct rep_model {
  void *library; /* NULL for a model linked into the program */
  const rep_model_abi *abi;
  rep_cuda_model *cuda; /* REP_DEVICE_CUDA models */
  rep_tensor_info *tensors; /* inputs, then outputs */
  void *weights;            /* the mapped weights file, or NULL */
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
  case REP_ERROR_WEIGHTS:
    return "the model's weights file is missing or belongs to another build";
  }
  return "unknown status";
}

/* The directory, with its '/', of the library or executable that holds
   `abi`; "" when unknown. */
static void modelDirectory(const void *abi, char *dir, size_t size) {
  Dl_info info;
  char exe[PATH_MAX];
  const char *file = NULL;
  if (dladdr(abi, &info) && info.dli_fname && strchr(info.dli_fname, '/')) {
    file = info.dli_fname;
  } else {
    /* The main program may be reported by a bare name (or none). */
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
      exe[n] = '\0';
      file = exe;
    }
  }
  dir[0] = '\0';
  const char *slash = file ? strrchr(file, '/') : NULL;
  if (slash && (size_t)(slash - file + 1) < size) {
    memcpy(dir, file, slash - file + 1);
    dir[slash - file + 1] = '\0';
  }
}

static uint64_t readLE64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = v << 8 | p[i];
  return v;
}

/* Maps the weights file of a model compiled with --weights=FILE: `given`,
   or FILE's name beside the model. */
static rep_status mapWeights(const rep_model_abi *abi, const char *given,
                             void **mapped) {
  char path[PATH_MAX + 256];
  if (given) {
    snprintf(path, sizeof path, "%s", given);
  } else {
    char dir[PATH_MAX];
    modelDirectory(abi, dir, sizeof dir);
    snprintf(path, sizeof path, "%s%s", dir, abi->weights_file);
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return setError(REP_ERROR_WEIGHTS,
                    "%s: cannot open the weights file of model '%s': %s", path,
                    abi->name, strerror(errno));
  struct stat st = {0};
  if (fstat(fd, &st) != 0 || (uint64_t)st.st_size != abi->weights_size) {
    close(fd);
    return setError(REP_ERROR_WEIGHTS,
                    "%s: %lld bytes, but model '%s' was compiled with a "
                    "weights file of %llu bytes",
                    path, (long long)st.st_size, abi->name,
                    (unsigned long long)abi->weights_size);
  }
  /* Prefaulted: the first run should not pay for page faults. */
  void *p = mmap(NULL, (size_t)abi->weights_size, PROT_READ,
                 MAP_PRIVATE | MAP_POPULATE, fd, 0);
  close(fd);
  if (p == MAP_FAILED)
    return setError(REP_ERROR_WEIGHTS, "%s: cannot map the weights file: %s",
                    path, strerror(errno));
  const unsigned char *h = p;
  if (memcmp(h, REP_WEIGHTS_MAGIC, 8) != 0 ||
      readLE64(h + 16) != abi->weights_size) {
    munmap(p, (size_t)abi->weights_size);
    return setError(REP_ERROR_WEIGHTS, "%s: not a repc weights file", path);
  }
  uint64_t fingerprint = readLE64(h + 8);
  if (fingerprint != abi->weights_fingerprint) {
    munmap(p, (size_t)abi->weights_size);
    return setError(REP_ERROR_WEIGHTS,
                    "%s: the weights of another compilation of model '%s' "
                    "(fingerprint %016llx, the model's is %016llx); use the "
                    "file repc wrote with it",
                    path, abi->name, (unsigned long long)fingerprint,
                    (unsigned long long)abi->weights_fingerprint);
  }
  *mapped = p;
  return REP_OK;
}

rep_status rep_model_from_abi(const rep_model_abi *abi, rep_model **model) {
  return rep_model_from_abi_with_weights(abi, NULL, model);
}

rep_status rep_model_from_abi_with_weights(const rep_model_abi *abi,
                                           const char *weightsPath,
                                           rep_model **model) {
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
  void *weights = NULL;
  if (abi->weights_file) {
    rep_status s = mapWeights(abi, weightsPath, &weights);
    if (s != REP_OK)
      return s;
  } else if (weightsPath) {
    return setError(REP_ERROR_WEIGHTS,
                    "%s: model '%s' has its weights built in (compiled "
                    "without --weights)",
                    weightsPath, abi->name);
  }
  rep_cuda_model *gpu = NULL;
  if (cuda) {
    char err[sizeof lastError];
    rep_status s = rep_cuda_open(abi, weights, &gpu, err, sizeof err);
    if (s != REP_OK) {
      if (weights)
        munmap(weights, (size_t)abi->weights_size);
      return setError(s, "%s", err);
    }
  }
  rep_model *m = calloc(1, sizeof *m);
  uint32_t n = abi->num_inputs + abi->num_outputs;
  rep_tensor_info *t = calloc(n ? n : 1, sizeof *t);
  if (!m || !t) {
    free(m);
    free(t);
    rep_cuda_close(gpu);
    if (weights)
      munmap(weights, (size_t)abi->weights_size);
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
  m->weights = weights;
  m->tensors = t;
  pthread_mutex_init(&m->lock, NULL);
  *model = m;
  return REP_OK;
}

rep_status rep_model_open(const char *path, rep_model **model) {
  return rep_model_open_with_weights(path, NULL, model);
}

rep_status rep_model_open_with_weights(const char *path, const char *weights,
                                       rep_model **model) {
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
  rep_status s = rep_model_from_abi_with_weights(entry(), weights, model);
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
  if (model->weights)
    munmap(model->weights, (size_t)model->abi->weights_size);
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
  int rc = model->abi->run(inputs, outputs, ws, model->threads, model->weights);
  giveWorkspace(model, ws);
  return rc ? REP_ERROR_RUN : REP_OK;
}
