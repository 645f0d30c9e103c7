// An fc over 197 rows (a ViT's 196 tokens and a cls token: prime, so no
// register block of 4 to 8 rows divides it) runs on 200 rows padded with
// zeros and sliced back, with a GELU after it; 13 rows (padding would add
// more than 1/16) and 198 rows (6 divides it) are left as they are. Each
// matches the reference interpreter on one and two threads.
// RUN: %python -c "import numpy as np; r = np.random.RandomState(5); np.save('%t.a.npy', r.randn(1, 197, 24).astype(np.float32)); np.save('%t.b.npy', r.randn(13, 24).astype(np.float32)); np.save('%t.c.npy', r.randn(198, 24).astype(np.float32))"
// RUN: repc %s --no-fold --run --input=%t.a.npy --input=%t.b.npy --input=%t.c.npy --output=%t.ra.npy --output=%t.rb.npy --output=%t.rc.npy
// RUN: repc %s --no-fold -o %t.so
// RUN: rep-run %t.so --input=%t.a.npy --input=%t.b.npy --input=%t.c.npy --output=%t.1a.npy --output=%t.1b.npy --output=%t.1c.npy --threads=1
// RUN: %compare %t.1a.npy %t.ra.npy --tolerance=1e-5 | FileCheck %s
// RUN: %compare %t.1b.npy %t.rb.npy --tolerance=1e-5 | FileCheck %s
// RUN: %compare %t.1c.npy %t.rc.npy --tolerance=1e-5 | FileCheck %s
// RUN: rep-run %t.so --input=%t.a.npy --input=%t.b.npy --input=%t.c.npy --output=%t.2a.npy --output=%t.2b.npy --output=%t.2c.npy --threads=2
// RUN: %compare %t.2a.npy %t.ra.npy --tolerance=1e-5 | FileCheck %s
// CHECK: OK
// RUN: repc %s --no-fold --emit=linalg | FileCheck %s --check-prefix=LINALG
// LINALG: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<200x24xf32>, tensor<24x32xf32>)
// LINALG: tensor.extract_slice %{{.*}}[0, 0] [197, 32] [1, 1] : tensor<200x32xf32> to tensor<197x32xf32>
// LINALG: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<13x24xf32>, tensor<24x32xf32>)
// LINALG: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<198x24xf32>, tensor<24x32xf32>)
func.func @main(%a: tensor<1x197x24xf32>, %b: tensor<13x24xf32>, %c: tensor<198x24xf32>) -> (tensor<1x197x32xf32>, tensor<13x32xf32>, tensor<198x32xf32>) {
  %w = rep.constant dense<0.0625> : tensor<32x24xf32>
  %bias = rep.constant dense<[0.5, -0.5, 0.25, -0.25, 0.1, -0.1, 0.3, -0.3, 0.5, -0.5, 0.25, -0.25, 0.1, -0.1, 0.3, -0.3, 0.5, -0.5, 0.25, -0.25, 0.1, -0.1, 0.3, -0.3, 0.5, -0.5, 0.25, -0.25, 0.1, -0.1, 0.3, -0.3]> : tensor<32xf32>
  %fa = rep.fc %a, %w, %bias : (tensor<1x197x24xf32>, tensor<32x24xf32>, tensor<32xf32>) -> tensor<1x197x32xf32>
  %ga = rep.gelu %fa : tensor<1x197x32xf32>
  %fb = rep.fc %b, %w, %bias : (tensor<13x24xf32>, tensor<32x24xf32>, tensor<32xf32>) -> tensor<13x32xf32>
  %fc = rep.fc %c, %w, %bias : (tensor<198x24xf32>, tensor<32x24xf32>, tensor<32xf32>) -> tensor<198x32xf32>
  return %ga, %fb, %fc : tensor<1x197x32xf32>, tensor<13x32xf32>, tensor<198x32xf32>
}
