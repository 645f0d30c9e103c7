"""repc from Python: compile a model, run it, inspect what was folded.

    import repc
    m = repc.compile("model.onnx")                 # or a torch.nn.Module
    y = m(x)                                       # numpy (or torch) in and out
    m = repc.Model("model.so"); m.inputs; m.set_threads(2)
    report = repc.inspect("model.onnx")            # rep-inspect's JSON

Compiling runs the `repc` tool of the build this package came from;
running goes through the C runtime (librep_runtime.so) with ctypes. Every
failure raises repc.Error with the tool's or the runtime's one line.
"""

import ctypes
import json
import os
import subprocess
import tempfile

from . import _config

__all__ = ['Error', 'Model', 'compile', 'inspect', '__version__']
__version__ = _config.VERSION


class Error(Exception):
    """A model repc or the runtime refused, with their one-line reason."""


class _TensorInfo(ctypes.Structure):
    _fields_ = [('name', ctypes.c_char_p), ('rank', ctypes.c_uint32),
                ('dims', ctypes.POINTER(ctypes.c_int64))]


def _runtime():
    lib = getattr(_runtime, 'lib', None)
    if lib is None:
        lib = ctypes.CDLL(_config.RUNTIME_LIBRARY)
        vp = ctypes.c_void_p
        lib.rep_model_open.argtypes = [ctypes.c_char_p, ctypes.POINTER(vp)]
        lib.rep_model_open_with_weights.argtypes = [
            ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(vp)]
        lib.rep_model_close.argtypes = [vp]
        for f in ('rep_model_num_inputs', 'rep_model_num_outputs'):
            getattr(lib, f).argtypes = [vp]
            getattr(lib, f).restype = ctypes.c_uint32
        for f in ('rep_model_input', 'rep_model_output'):
            getattr(lib, f).argtypes = [vp, ctypes.c_uint32]
            getattr(lib, f).restype = ctypes.POINTER(_TensorInfo)
        lib.rep_model_device.argtypes = [vp]
        lib.rep_model_set_threads.argtypes = [vp, ctypes.c_int]
        lib.rep_model_run.argtypes = [
            vp, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_void_p)]
        lib.rep_status_string.restype = ctypes.c_char_p
        lib.rep_last_error.restype = ctypes.c_char_p
        _runtime.lib = lib
    return lib


def _check(status, what):
    if status != 0:
        lib = _runtime()
        detail = (lib.rep_last_error() or lib.rep_status_string(status)).decode()
        raise Error(detail if detail.startswith(what) else '%s: %s' % (what, detail))


class Model:
    """A compiled model (`repc --emit=lib`), opened through the runtime.

    `model(*inputs)` takes one float32 array per input (numpy arrays, or
    torch CPU tensors, which come back as torch tensors), checks their
    shapes, and returns the output, or a tuple of them."""

    def __init__(self, path, weights=None):
        self.path = os.fspath(path)
        lib = _runtime()
        handle = ctypes.c_void_p()
        if weights is None:
            status = lib.rep_model_open(self.path.encode(), ctypes.byref(handle))
        else:
            status = lib.rep_model_open_with_weights(
                self.path.encode(), os.fspath(weights).encode(),
                ctypes.byref(handle))
        _check(status, self.path)
        self._handle = handle

        def infos(count, get):
            out = []
            for i in range(count(handle)):
                t = get(handle, i).contents
                out.append((t.name.decode(), tuple(t.dims[d] for d in range(t.rank))))
            return out
        self.inputs = infos(lib.rep_model_num_inputs, lib.rep_model_input)
        self.outputs = infos(lib.rep_model_num_outputs, lib.rep_model_output)
        self.device = 'cuda' if lib.rep_model_device(handle) == 1 else 'cpu'

    def set_threads(self, n):
        """Threads of one run on the CPU; 0 restores the OpenMP default."""
        _check(_runtime().rep_model_set_threads(self._handle, int(n)), self.path)

    def __call__(self, *inputs):
        import numpy as np
        if len(inputs) != len(self.inputs):
            raise Error('%s: takes %d input(s), got %d' % (
                self.path, len(self.inputs), len(inputs)))
        as_torch = False
        arrays = []
        for (name, shape), x in zip(self.inputs, inputs):
            if type(x).__module__.startswith('torch'):
                as_torch = True
                x = x.detach().cpu().numpy()
            a = np.ascontiguousarray(x, dtype=np.float32)
            if a.shape != shape:
                raise Error("%s: input '%s' has shape %s, the model takes %s" % (
                    self.path, name, 'x'.join(map(str, a.shape)),
                    'x'.join(map(str, shape))))
            arrays.append(a)
        outs = [np.empty(shape, dtype=np.float32) for _, shape in self.outputs]
        ins = (ctypes.c_void_p * len(arrays))(*[a.ctypes.data for a in arrays])
        ptrs = (ctypes.c_void_p * len(outs))(*[o.ctypes.data for o in outs])
        _check(_runtime().rep_model_run(self._handle, ins, ptrs), self.path)
        if as_torch:
            import torch
            outs = [torch.from_numpy(o) for o in outs]
        return outs[0] if len(outs) == 1 else tuple(outs)

    def close(self):
        if getattr(self, '_handle', None):
            _runtime().rep_model_close(self._handle)
            self._handle = None

    def __del__(self):
        self.close()

    def __repr__(self):
        return 'repc.Model(%r, inputs=%r, outputs=%r)' % (
            self.path, self.inputs, self.outputs)


def _tool(name, args):
    r = subprocess.run([os.path.join(_config.TOOLS_DIR, name)] + args,
                       capture_output=True, text=True)
    if r.returncode != 0:
        lines = (r.stderr or r.stdout).strip().splitlines()
        raise Error(lines[-1] if lines else '%s failed (exit %d)' % (name, r.returncode))
    return r.stdout


def _onnx_of(model, example_inputs, workdir):
    """The model as an ONNX path: a path as it is, a torch.nn.Module
    exported with its BatchNorms kept (training-time structure)."""
    if isinstance(model, (str, os.PathLike)):
        return os.fspath(model)
    import torch
    if example_inputs is None:
        raise Error('compile: a torch.nn.Module needs example_inputs')
    if not isinstance(example_inputs, (tuple, list)):
        example_inputs = (example_inputs,)
    path = os.path.join(workdir, 'model.onnx')
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, tuple(example_inputs), path, opset_version=13,
                          training=torch.onnx.TrainingMode.PRESERVE,
                          do_constant_folding=False)
    return path


def compile(model, *, example_inputs=None, input_shape=None, target='cpu',
            cpu=None, weights=None, output=None, verify=False):
    """Compiles `model` (an ONNX path, or a torch.nn.Module with
    `example_inputs`) into a shared library and opens it.

    input_shape: {'input': (1, 3, 224, 224)} for dynamic dims. target:
    'cpu' or 'cuda'. cpu: repc's --cpu (default: this host). weights: write
    the weights to this file beside the library. output: the library's path
    (default: a temporary file). verify: also check the folded graph against
    the imported one (raises repc.Error above 1e-4)."""
    workdir = tempfile.mkdtemp(prefix='repc-')
    src = _onnx_of(model, example_inputs, workdir)
    out = os.fspath(output) if output else os.path.join(workdir, 'model.so')
    args = [src, '-o', out, '--target=' + target]
    for name, shape in (input_shape or {}).items():
        args.append('--input-shape=%s:%s' % (name, 'x'.join(map(str, shape))))
    if cpu:
        args.append('--cpu=' + cpu)
    if weights:
        args.append('--weights=' + os.fspath(weights))
    if verify:
        _tool('repc', [src, '--verify'] + args[4:])
    _tool('repc', args)
    return Model(out, weights=os.fspath(weights) if weights else None)


def inspect(model, *, verify=False, example_inputs=None):
    """rep-inspect's report as Python objects: a list with one dict per
    function (kernels and the nodes folded into each, refusals, counts
    before and after, per stage)."""
    workdir = tempfile.mkdtemp(prefix='repc-')
    src = _onnx_of(model, example_inputs, workdir)
    args = [src, '--json'] + (['--verify'] if verify else [])
    return json.loads(_tool('rep-inspect', args))
