# -*- Python -*- lit configuration for repc.
import os

import lit.formats

config.name = "repc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".onnxtxt", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.repc_obj_root, "tests")
config.excludes = ["models", "tools", "unit", "Inputs", "CMakeLists.txt",
                   "lit.cfg.py", "lit.site.cfg.py.in"]

config.environment["PATH"] = os.pathsep.join(
    [config.repc_tools_dir, config.llvm_tools_dir, config.environment["PATH"]])
# Torch wants a writable home for its caches.
config.environment["HOME"] = os.environ.get("HOME", "/tmp")

src = config.repc_src_root
config.substitutions.append(("%python", config.python))
config.substitutions.append(("%models", os.path.join(src, "tests/models")))
config.substitutions.append(
    ("%compare", config.python + " " + os.path.join(src, "tests/tools/compare_npy.py")))
# Compiles a C program against an --emit=obj model and the runtime:
# %cc-app SOURCES... %app-libs.
config.substitutions.append(
    ("%cc-app", "cc -std=c11 -I" + os.path.join(src, "runtime/include")))
config.substitutions.append(
    ("%app-libs", os.path.join(config.repc_obj_root, "lib/librep_runtime.a") +
     " -L" + config.omp_libdir + " -Wl,-rpath," + config.omp_libdir +
     " -lomp -lm -ldl -lpthread"))
# Compares the folded counts of two --emit=stats outputs.
config.substitutions.append(
    ("%stats-compare", config.python + " " + os.path.join(src, "tests/tools/compare_stats.py")))
# The Python package the build writes.
config.substitutions.append(
    ("%repc-python", os.path.join(config.repc_obj_root, "python")))
config.substitutions.append(("%inputs", os.path.join(src, "tests/Inputs")))
# Where the build puts repc's tools and the test apps it builds.
config.substitutions.append(("%bindir", config.repc_tools_dir))
config.substitutions.append(
    ("%generate", config.python + " " + os.path.join(src, "examples/models/generate.py")))

# An ASan + UBSan build (scripts/test.sh --sanitize). A process that is not
# instrumented (python loading librep_runtime.so through ctypes) needs the
# ASan runtime loaded first; its own leaks are not repc's.
if getattr(config, "repc_sanitize", False):
    import subprocess
    config.available_features.add("asan")
    for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        if var in os.environ:
            config.environment[var] = os.environ[var]
    runtime = subprocess.run(
        ["clang-19", "-print-file-name=libclang_rt.asan-x86_64.so"],
        capture_output=True, text=True).stdout.strip()
    config.substitutions.append(
        ("%uninstrumented", "env LD_PRELOAD=" + runtime +
         " ASAN_OPTIONS=detect_leaks=0"))
else:
    config.substitutions.append(("%uninstrumented", ""))

# ONNX Runtime, installed by scripts/setup.sh into build/ort.
ort_modules = os.path.join(config.repc_obj_root, "ort", "node_modules")
if os.path.isdir(os.path.join(ort_modules, "onnxruntime-node")):
    config.available_features.add("onnxruntime")
    config.environment["NODE_PATH"] = ort_modules
    config.substitutions.append(
        ("%ort", "node " + os.path.join(src, "tests/tools/ort_run.js")))

# Graphviz renders rep-inspect's --html; headless Chromium checks the page.
import shutil
if shutil.which("dot"):
    config.available_features.add("graphviz")
chromium = shutil.which("chromium") or shutil.which("chromium-browser")
if chromium:
    config.available_features.add("chromium")
    config.substitutions.append(
        ("%chromium", chromium + " --headless --no-sandbox --disable-gpu"))
config.substitutions.append(
    ("%rep-inspect-path", os.path.join(config.repc_tools_dir, "rep-inspect")))

# The CUDA driver emulator (tests/tools/cuda_emulator.c): CUDA models run on
# the host through the real runtime and launch table.
config.substitutions.append(
    ("%cuda-emulator",
     "env LD_LIBRARY_PATH=" + os.path.join(config.repc_obj_root, "cuda-emulator")))
config.substitutions.append(
    ("%emulator-dir", os.path.join(config.repc_obj_root, "cuda-emulator")))
# The same, as the drivers of CUDA 11.0 (no graphs for the runtime) and
# 10.2 (too old).
for version in ("11000", "10020"):
    config.substitutions.append(
        ("%%cuda-%s-emulator" % version,
         "env LD_LIBRARY_PATH=" + os.path.join(
             config.repc_obj_root, "cuda-emulator-" + version)))

# The CUDA toolkit (ptxas, libdevice) validates and links the PTX of
# --target=cuda; a CUDA driver that loads (a real GPU's) runs it.
cuda_home = os.environ.get("CUDA_HOME", "/usr/local/cuda")
ptxas = shutil.which("ptxas") or os.path.join(cuda_home, "bin", "ptxas")
if os.access(ptxas, os.X_OK) and os.path.exists(
        os.path.join(cuda_home, "nvvm", "libdevice", "libdevice.10.bc")):
    config.available_features.add("cuda-toolkit")
    config.substitutions.append(("%ptxas", ptxas))
import ctypes
try:
    ctypes.CDLL("libcuda.so.1")
    config.available_features.add("cuda-driver")
except OSError:
    pass
