#!/usr/bin/env python3
"""Writes NAME.onnx (BatchNorm kept), NAME.fused.onnx (the exporter's own
Conv+BN fusion), NAME.input.npy and NAME.output.npy (PyTorch eval output)
for one model family at one size; for a family with its own
re-parameterization, also NAME.deploy.json: the conv, batch_norm and fc
counts of the model that re-parameterization gives, in the layout of
`repc --emit=stats` ("after"), for tests to compare repc's fold with.

    generate.py repvgg --size tiny --out tests/models
"""

import argparse
import json
import os
import sys
import warnings

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import repc_models  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('family', choices=sorted(repc_models.FAMILIES) + ['all'])
    p.add_argument('--size', choices=['tiny', 'paper'], default='tiny')
    p.add_argument('--out', default='.')
    p.add_argument('--batch', type=int, help='override the batch size')
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    families = (sorted(repc_models.FAMILIES) if args.family == 'all'
                else [args.family])
    for family in families:
        generate(family, args)


def generate(family, args):
    spec = repc_models.FAMILIES[family]
    build, shape = spec[args.size]
    if args.batch:
        shape = (args.batch,) + tuple(shape[1:])
    gen = torch.Generator().manual_seed(args.seed)
    torch.manual_seed(args.seed)
    model = build()
    repc_models.randomize(model, gen)
    model.eval()
    x = torch.randn(shape, generator=gen)
    with torch.no_grad():
        y = model(x)

    name = os.path.join(args.out, '%s_%s' % (family, args.size))
    np.save(name + '.input.npy', x.numpy().astype(np.float32))
    np.save(name + '.output.npy', y.numpy().astype(np.float32))
    keep, fused = spec['opsets']
    # Without autograd, tracing keeps no activations for a backward pass:
    # ConvMixer-768/32 at batch 64 needed more than 24 GiB with it.
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter('ignore')
        torch.onnx.export(model, x, name + '.onnx', opset_version=keep,
                          input_names=['input'], output_names=['output'],
                          training=torch.onnx.TrainingMode.PRESERVE,
                          do_constant_folding=False)
        torch.onnx.export(model, x, name + '.fused.onnx', opset_version=fused,
                          input_names=['input'], output_names=['output'])
    if 'deploy' in spec:
        with open(name + '.deploy.json', 'w') as f:
            json.dump({'after': spec['deploy'](model)}, f, indent=2,
                      sort_keys=True)
            f.write('\n')
    print('wrote %s.{onnx,fused.onnx,input.npy,output.npy}' % name)


if __name__ == '__main__':
    main()
