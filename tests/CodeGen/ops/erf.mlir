// erf, as compiled (rep-approximate-math's rational function, vectorized),
// against the exact value: a million points on [-6, 6], both infinities,
// zeros and tiny values, within 4e-7 absolute (7 ulp at 1; upstream's
// piecewise approximation is within 2.5e-7). GELU's accuracy follows.
// RUN: %python -c "import numpy as np, math; x = np.linspace(-6, 6, 1 << 20).astype(np.float32); x[:6] = [np.inf, -np.inf, 0.0, -0.0, 1e-30, -3e-8]; np.save('%t.x.npy', x.reshape(16, 16, 64, 64)); np.save('%t.ref.npy', np.array([math.erf(float(v)) for v in x]).reshape(16, 16, 64, 64))"
// RUN: repc %s -o %t.so
// RUN: rep-run %t.so --input=%t.x.npy --output=%t.y.npy --threads=2
// RUN: %compare %t.y.npy %t.ref.npy --tolerance=4e-7 | FileCheck %s
// CHECK: OK
// Relative to the value too, near zero where erf(x) ~ 1.128 x.
// RUN: %python -c "import numpy as np; x = np.load('%t.x.npy'); y = np.load('%t.y.npy').astype(np.float64); r = np.load('%t.ref.npy'); m = r != 0; e = np.max(np.abs(y[m] - r[m]) / np.abs(r[m])); print('max_rel %%.3g %%s' %% (e, 'OK' if e <= 4e-7 and np.all(y[~m] == 0) else 'FAIL'))" | FileCheck %s
func.func @main(%x: tensor<16x16x64x64xf32>) -> tensor<16x16x64x64xf32> {
  %e = rep.erf %x : tensor<16x16x64x64xf32>
  return %e : tensor<16x16x64x64xf32>
}
