"""Training-time definitions of timm's re-param families for repc.

Written for repc after timm's fastvit.py, repvit.py, repghost.py, levit.py
and metaformer.py (huggingface/pytorch-image-models); module layouts and
forward passes follow timm so
the exported graphs look like what timm users export (including timm's
`0 + identity` start of a MobileOne sum and its in-place branch adds).
repc_models.FAMILIES registers them at paper size (FastViT-T8 at 256x256,
RepViT-M0.9 at 224x224) and at a tiny size (odd maps at every stride-2
layer, batch 2, 10 classes).

`deploy(model)` re-parameterizes a copy the way timm's
`reparameterize_model` (FastViT) and `RepVit.fuse` (RepViT) do, and
`deploy_counts(model)` counts the Conv2d, BatchNorm and Linear modules of
that deploy model.  With `fold_convmlp_bn=True` (the default) FastViT's
ConvMlp conv-BN is also fused (timm leaves it: ConvNormAct has no fuse).
"""

import copy
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F


def _pad(k, stride=1, dilation=1):
    # timm's get_padding (create_conv2d with padding='').
    return ((stride - 1) + dilation * (k - 1)) // 2


def _groups(group_size, channels):
    # timm fastvit.num_groups: 0/None -> 1 group; 1 -> depthwise.
    return 1 if not group_size else channels // group_size


def _make_divisible(v, divisor=8, min_value=None, round_limit=0.9):
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < round_limit * v:
        new_v += divisor
    return new_v


def _fuse_conv_bn(weight, bias, bn):
    std = (bn.running_var + bn.eps).sqrt()
    t = bn.weight / std
    b = 0 if bias is None else bias
    return weight * t.reshape(-1, 1, 1, 1), bn.bias + (b - bn.running_mean) * t


def _conv_from(w, b, like_stride, like_padding, groups):
    conv = nn.Conv2d(w.shape[1] * groups, w.shape[0], w.shape[2:], like_stride,
                     like_padding, groups=groups, bias=True)
    with torch.no_grad():
        conv.weight.copy_(w)
        conv.bias.copy_(b)
    return conv


def _id_kernel(channels, groups, k):
    in_dim = channels // groups
    kv = torch.zeros(channels, in_dim, k, k)
    for i in range(channels):
        kv[i, i % in_dim, k // 2, k // 2] = 1
    return kv


class SqueezeExcite(nn.Module):
    """timm.layers.SEModule: mean, 1x1 conv (bias), ReLU, 1x1 conv, sigmoid."""

    def __init__(self, channels, rd_ratio=1. / 16, rd_divisor=8):
        super().__init__()
        rd = _make_divisible(channels * rd_ratio, rd_divisor, round_limit=0.)
        self.fc1 = nn.Conv2d(channels, rd, 1, bias=True)
        self.act = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(rd, channels, 1, bias=True)
        self.gate = nn.Sigmoid()

    def forward(self, x):
        x_se = x.mean((2, 3), keepdim=True)
        x_se = self.fc2(self.act(self.fc1(x_se)))
        return x * self.gate(x_se)


# --------------------------------------------------------------------------
# FastViT (Vasu et al. 2023), after timm's fastvit.py.

class ConvNormAct(nn.Module):
    """timm ConvNormAct with apply_act=False: conv (no bias) + BN."""

    def __init__(self, cin, cout, k, stride=1, groups=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, _pad(k, stride),
                              groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(x))


class MobileOneBlock(nn.Module):
    def __init__(self, cin, cout, k, stride=1, group_size=0, use_se=False,
                 use_act=True, use_scale_branch=True, num_conv_branches=1,
                 act_layer=nn.GELU):
        super().__init__()
        self.groups = _groups(group_size, cin)
        self.stride, self.kernel_size = stride, k
        self.in_chs, self.out_chs = cin, cout
        self.num_conv_branches = num_conv_branches
        self.se = SqueezeExcite(cout, rd_divisor=1) if use_se else nn.Identity()
        self.identity = (nn.BatchNorm2d(cin)
                         if cout == cin and stride == 1 else None)
        self.conv_kxk = (nn.ModuleList(
            ConvNormAct(cin, cout, k, stride, self.groups)
            for _ in range(num_conv_branches)) if num_conv_branches > 0
            else None)
        self.conv_scale = (ConvNormAct(cin, cout, 1, stride, self.groups)
                           if k > 1 and use_scale_branch else None)
        self.act = act_layer() if use_act else nn.Identity()

    def forward(self, x):
        identity_out = 0
        if self.identity is not None:
            identity_out = self.identity(x)
        scale_out = 0
        if self.conv_scale is not None:
            scale_out = self.conv_scale(x)
        out = scale_out + identity_out
        if self.conv_kxk is not None:
            for rc in self.conv_kxk:
                out += rc(x)
        return self.act(self.se(out))

    def kernel_bias(self):
        k, g = self.kernel_size, self.groups
        w = torch.zeros(self.out_chs, self.in_chs // g, k, k)
        b = torch.zeros(self.out_chs)
        if self.conv_scale is not None:
            ws, bs = _fuse_conv_bn(self.conv_scale.conv.weight, None,
                                   self.conv_scale.bn)
            w = w + F.pad(ws, [k // 2] * 4)
            b = b + bs
        if self.identity is not None:
            wi, bi = _fuse_conv_bn(_id_kernel(self.in_chs, g, k), None,
                                   self.identity)
            w, b = w + wi, b + bi
        if self.conv_kxk is not None:
            for rc in self.conv_kxk:
                wc, bc = _fuse_conv_bn(rc.conv.weight, None, rc.bn)
                w, b = w + wc, b + bc
        return w, b

    def reparameterize(self):
        w, b = self.kernel_bias()
        return _DeployConv(_conv_from(w, b, self.stride,
                                      _pad(self.kernel_size, self.stride),
                                      self.groups), self.se, self.act)


class _DeployConv(nn.Module):
    def __init__(self, conv, se=None, act=None):
        super().__init__()
        self.reparam_conv = conv
        self.se = se if se is not None else nn.Identity()
        self.act = act if act is not None else nn.Identity()

    def forward(self, x):
        return self.act(self.se(self.reparam_conv(x)))


class ReparamLargeKernelConv(nn.Module):
    def __init__(self, cin, cout, k, stride, group_size, small_kernel=None,
                 use_se=False, act_layer=None):
        super().__init__()
        self.stride, self.groups = stride, _groups(group_size, cin)
        self.kernel_size, self.small_kernel = k, small_kernel
        self.large_conv = ConvNormAct(cin, cout, k, stride, self.groups)
        self.small_conv = (ConvNormAct(cin, cout, small_kernel, stride,
                                       self.groups)
                           if small_kernel is not None else None)
        self.se = SqueezeExcite(cout, rd_ratio=0.25) if use_se else nn.Identity()
        self.act = act_layer() if act_layer is not None else nn.Identity()

    def forward(self, x):
        out = self.large_conv(x)
        if self.small_conv is not None:
            out = out + self.small_conv(x)
        return self.act(self.se(out))

    def reparameterize(self):
        w, b = _fuse_conv_bn(self.large_conv.conv.weight, None,
                             self.large_conv.bn)
        if self.small_conv is not None:
            ws, bs = _fuse_conv_bn(self.small_conv.conv.weight, None,
                                   self.small_conv.bn)
            w = w + F.pad(ws, [(self.kernel_size - self.small_kernel) // 2] * 4)
            b = b + bs
        return _DeployConv(_conv_from(w, b, self.stride,
                                      _pad(self.kernel_size, self.stride),
                                      self.groups), self.se, self.act)


def PatchEmbed(patch_size, stride, cin, dim, act_layer=nn.GELU, use_se=False):
    return nn.Sequential(
        ReparamLargeKernelConv(cin, dim, patch_size, stride, 1, 3, use_se),
        MobileOneBlock(dim, dim, 1, 1, act_layer=act_layer))


class LayerScale2d(nn.Module):
    def __init__(self, dim, init_values=1e-5):
        super().__init__()
        self.gamma = nn.Parameter(init_values * torch.ones(dim, 1, 1))

    def forward(self, x):
        return x * self.gamma


class RepMixer(nn.Module):
    def __init__(self, dim, kernel_size=3, layer_scale_init_value=1e-5):
        super().__init__()
        self.dim, self.kernel_size = dim, kernel_size
        self.norm = MobileOneBlock(dim, dim, kernel_size, group_size=1,
                                   use_act=False, use_scale_branch=False,
                                   num_conv_branches=0)
        self.mixer = MobileOneBlock(dim, dim, kernel_size, group_size=1,
                                    use_act=False)
        self.layer_scale = (LayerScale2d(dim, layer_scale_init_value)
                            if layer_scale_init_value is not None
                            else nn.Identity())

    def forward(self, x):
        return x + self.layer_scale(self.mixer(x) - self.norm(x))

    def reparameterize(self):
        wm, bm = self.mixer.kernel_bias()
        wn, bn = self.norm.kernel_bias()
        idk = _id_kernel(self.dim, self.dim, self.kernel_size)
        if isinstance(self.layer_scale, LayerScale2d):
            g = self.layer_scale.gamma
            w = idk + g.unsqueeze(-1) * (wm - wn)
            b = g.squeeze() * (bm - bn)
        else:
            w, b = idk + wm - wn, bm - bn
        return _DeployConv(_conv_from(w, b, 1, self.kernel_size // 2,
                                      self.dim))


class ConvMlp(nn.Module):
    def __init__(self, cin, hidden, act_layer=nn.GELU):
        super().__init__()
        self.conv = ConvNormAct(cin, cin, 7, groups=cin)
        self.fc1 = nn.Conv2d(cin, hidden, 1)
        self.act = act_layer()
        self.fc2 = nn.Conv2d(hidden, cin, 1)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(self.conv(x))))


class RepConditionalPosEnc(nn.Module):
    def __init__(self, dim, spatial_shape=(7, 7)):
        super().__init__()
        self.dim, self.spatial_shape = dim, spatial_shape
        self.pos_enc = nn.Conv2d(dim, dim, spatial_shape, 1,
                                 spatial_shape[0] // 2, groups=dim, bias=True)

    def forward(self, x):
        return self.pos_enc(x) + x

    def reparameterize(self):
        w = _id_kernel(self.dim, self.dim, self.spatial_shape[0]) + \
            self.pos_enc.weight
        return _DeployConv(_conv_from(w, self.pos_enc.bias, 1,
                                      self.spatial_shape[0] // 2, self.dim))


class RepMixerBlock(nn.Module):
    def __init__(self, dim, kernel_size=3, mlp_ratio=4.0,
                 layer_scale_init_value=1e-5):
        super().__init__()
        self.token_mixer = RepMixer(dim, kernel_size, layer_scale_init_value)
        self.mlp = ConvMlp(dim, int(dim * mlp_ratio))
        self.layer_scale = (LayerScale2d(dim, layer_scale_init_value)
                            if layer_scale_init_value is not None
                            else nn.Identity())

    def forward(self, x):
        x = self.token_mixer(x)
        return x + self.layer_scale(self.mlp(x))


class FastVitStage(nn.Module):
    def __init__(self, dim, dim_out, depth, downsample, pos_emb, mlp_ratio,
                 kernel_size=3):
        super().__init__()
        self.downsample = (PatchEmbed(7, 2, dim, dim_out) if downsample
                           else nn.Identity())
        self.pos_emb = (RepConditionalPosEnc(dim_out) if pos_emb
                        else nn.Identity())
        self.blocks = nn.Sequential(*[
            RepMixerBlock(dim_out, kernel_size, mlp_ratio)
            for _ in range(depth)])

    def forward(self, x):
        return self.blocks(self.pos_emb(self.downsample(x)))


class FastViT(nn.Module):
    """FastViT with RepMixer stages only (T8, T12, S12 layouts).
    pos_embs[i] puts a RepCPE (7x7) after stage i's downsample, as the
    SA models do before their attention stage."""

    def __init__(self, layers=(2, 2, 4, 2), embed_dims=(48, 96, 192, 384),
                 mlp_ratios=(3, 3, 3, 3), pos_embs=(False,) * 4,
                 num_classes=1000, cls_ratio=2.0):
        super().__init__()
        d0 = embed_dims[0]
        self.stem = nn.Sequential(
            MobileOneBlock(3, d0, 3, 2),
            MobileOneBlock(d0, d0, 3, 2, group_size=1),
            MobileOneBlock(d0, d0, 1, 1))
        prev, stages = d0, []
        downsamples = (False, True, True, True)
        for i, n in enumerate(layers):
            down = downsamples[i] or prev != embed_dims[i]
            stages.append(FastVitStage(prev, embed_dims[i], n, down,
                                       pos_embs[i], mlp_ratios[i]))
            prev = embed_dims[i]
        self.stages = nn.Sequential(*stages)
        final = int(embed_dims[-1] * cls_ratio)
        self.final_conv = MobileOneBlock(embed_dims[-1], final, 3, 1,
                                         group_size=1, use_se=True)
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.fc = nn.Linear(final, num_classes)

    def forward(self, x):
        x = self.final_conv(self.stages(self.stem(x)))
        return self.fc(self.flatten(self.global_pool(x)))


# --------------------------------------------------------------------------
# RepViT (Wang et al. 2023), after timm's repvit.py (non-legacy RepVggDw:
# BN over conv-BN + 1x1 dw conv with bias + identity; distillation head
# averaged in eval).

class ConvNorm(nn.Sequential):
    def __init__(self, cin, cout, ks=1, stride=1, pad=0, groups=1):
        super().__init__()
        self.add_module('c', nn.Conv2d(cin, cout, ks, stride, pad, 1, groups,
                                       bias=False))
        self.add_module('bn', nn.BatchNorm2d(cout))

    def fuse(self):
        w, b = _fuse_conv_bn(self.c.weight, None, self.bn)
        return _conv_from(w, b, self.c.stride, self.c.padding, self.c.groups)


class NormLinear(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__()
        self.add_module('bn', nn.BatchNorm1d(cin))
        self.add_module('l', nn.Linear(cin, cout))

    def fuse(self):
        bn, l = self.bn, self.l
        s = bn.weight / (bn.running_var + bn.eps) ** 0.5
        b = bn.bias - bn.running_mean * s
        m = nn.Linear(l.in_features, l.out_features)
        with torch.no_grad():
            m.weight.copy_(l.weight * s[None, :])
            m.bias.copy_(l.weight @ b + l.bias)
        return m


class RepVggDw(nn.Module):
    def __init__(self, ed, kernel_size):
        super().__init__()
        self.conv = ConvNorm(ed, ed, kernel_size, 1, (kernel_size - 1) // 2,
                             groups=ed)
        self.conv1 = nn.Conv2d(ed, ed, 1, 1, 0, groups=ed)
        self.bn = nn.BatchNorm2d(ed)
        self.k = kernel_size

    def forward(self, x):
        return self.bn(self.conv(x) + self.conv1(x) + x)

    def fuse(self):
        c = self.conv.fuse()
        p = self.k // 2
        w = (c.weight + F.pad(self.conv1.weight, [p] * 4)
             + F.pad(torch.ones_like(self.conv1.weight), [p] * 4))
        w, b = _fuse_conv_bn(w, c.bias + self.conv1.bias, self.bn)
        return _conv_from(w, b, 1, p, c.groups)


class RepVitMlp(nn.Module):
    def __init__(self, cin, hidden):
        super().__init__()
        self.conv1 = ConvNorm(cin, hidden)
        self.act = nn.GELU()
        self.conv2 = ConvNorm(hidden, cin)

    def forward(self, x):
        return self.conv2(self.act(self.conv1(x)))


class RepViTBlock(nn.Module):
    def __init__(self, dim, mlp_ratio, kernel_size, use_se):
        super().__init__()
        self.token_mixer = RepVggDw(dim, kernel_size)
        self.se = SqueezeExcite(dim, 0.25) if use_se else nn.Identity()
        self.channel_mixer = RepVitMlp(dim, dim * mlp_ratio)

    def forward(self, x):
        x = self.se(self.token_mixer(x))
        return x + self.channel_mixer(x)


class RepVitDownsample(nn.Module):
    def __init__(self, cin, mlp_ratio, cout, kernel_size):
        super().__init__()
        self.pre_block = RepViTBlock(cin, mlp_ratio, kernel_size, False)
        self.spatial_downsample = ConvNorm(cin, cin, kernel_size, 2,
                                           (kernel_size - 1) // 2, groups=cin)
        self.channel_downsample = ConvNorm(cin, cout, 1, 1)
        self.ffn = RepVitMlp(cout, cout * mlp_ratio)

    def forward(self, x):
        x = self.channel_downsample(self.spatial_downsample(self.pre_block(x)))
        return x + self.ffn(x)


class RepVitClassifier(nn.Module):
    def __init__(self, dim, num_classes, distillation=True):
        super().__init__()
        self.head = NormLinear(dim, num_classes)
        self.distillation = distillation
        if distillation:
            self.head_dist = NormLinear(dim, num_classes)

    def forward(self, x):
        if self.distillation:
            return (self.head(x) + self.head_dist(x)) / 2
        return self.head(x)

    def fuse(self):
        h = self.head.fuse()
        if self.distillation:
            d = self.head_dist.fuse()
            with torch.no_grad():
                h.weight.copy_((h.weight + d.weight) / 2)
                h.bias.copy_((h.bias + d.bias) / 2)
        return h


class RepVit(nn.Module):
    def __init__(self, embed_dim=(48, 96, 192, 384), depth=(2, 2, 14, 2),
                 mlp_ratio=2, kernel_size=3, num_classes=1000,
                 distillation=True):
        super().__init__()
        d0 = embed_dim[0]
        self.stem = nn.Sequential(ConvNorm(3, d0 // 2, 3, 2, 1), nn.GELU(),
                                  ConvNorm(d0 // 2, d0, 3, 2, 1))
        stages, cin = [], d0
        for i, (d, n) in enumerate(zip(embed_dim, depth)):
            layers = []
            if i > 0:
                layers.append(RepVitDownsample(cin, mlp_ratio, d, kernel_size))
            use_se = True
            for _ in range(n):
                layers.append(RepViTBlock(d, mlp_ratio, kernel_size, use_se))
                use_se = not use_se
            stages.append(nn.Sequential(*layers))
            cin = d
        self.stages = nn.Sequential(*stages)
        self.head = RepVitClassifier(cin, num_classes, distillation)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.head(x.mean((2, 3), keepdim=False))


# --------------------------------------------------------------------------
# Deploy (re-parameterized) models and their module counts.

def deploy(model, fold_convmlp_bn=True):
    """A re-parameterized copy: timm's reparameterize_model (FastViT) or
    RepVit.fuse (RepViT); fold_convmlp_bn also fuses FastViT's ConvMlp
    conv-BN, which timm keeps."""
    model = copy.deepcopy(model).eval()

    def walk(m):
        for name, child in list(m.named_children()):
            if isinstance(child, (ConvNorm, NormLinear, RepVggDw,
                                  RepVitClassifier)):
                setattr(m, name, child.fuse())
            elif isinstance(child, (MobileOneBlock, ReparamLargeKernelConv,
                                    RepMixer, RepConditionalPosEnc)):
                setattr(m, name, child.reparameterize())
            elif isinstance(child, ConvNormAct) and fold_convmlp_bn:
                w, b = _fuse_conv_bn(child.conv.weight, None, child.bn)
                setattr(m, name, _conv_from(w, b, child.conv.stride,
                                            child.conv.padding,
                                            child.conv.groups))
            else:
                walk(child)
    with torch.no_grad():
        walk(model)
    return model


def count_modules(model):
    kinds = {'conv': nn.Conv2d, 'batch_norm': nn.modules.batchnorm._BatchNorm,
             'fc': nn.Linear}
    return {k: sum(isinstance(m, t) for m in model.modules())
            for k, t in kinds.items()}


def deploy_counts(model, fold_convmlp_bn=True):
    """Conv2d, BatchNorm and Linear modules of the deploy model (computed by
    re-parameterizing a copy, not by reasoning)."""
    return count_modules(deploy(model, fold_convmlp_bn))


# --------------------------------------------------------------------------
# RepGhostNet, LeViT and PoolFormerV2 (timm repghost.py, levit.py,
# metaformer.py).

# --------------------------------------------------------------------------
# RepGhostNet

class GhostSqueezeExcite(nn.Module):
    """timm's _SE_LAYER: GhostSqueezeExcite(gate=hard_sigmoid, rd rounded to 4)."""

    def __init__(self, chs, rd_ratio):
        super().__init__()
        rd = _make_divisible(chs * rd_ratio, 4)
        self.conv_reduce = nn.Conv2d(chs, rd, 1, bias=True)
        self.act1 = nn.ReLU(inplace=True)
        self.conv_expand = nn.Conv2d(rd, chs, 1, bias=True)
        self.gate = nn.Hardsigmoid()

    def forward(self, x):
        x_se = x.mean((2, 3), keepdim=True)
        x_se = self.conv_expand(self.act1(self.conv_reduce(x_se)))
        return x * self.gate(x_se)


class RepGhostModule(nn.Module):
    def __init__(self, cin, cout, kernel_size=1, dw_size=3, stride=1,
                 relu=True, reparam=True):
        super().__init__()
        self.primary_conv = nn.Sequential(
            nn.Conv2d(cin, cout, kernel_size, stride, kernel_size // 2, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True) if relu else nn.Identity())
        self.fusion_conv = nn.Sequential(*([nn.Identity()] if reparam else []))
        self.fusion_bn = nn.Sequential(*([nn.BatchNorm2d(cout)] if reparam else []))
        self.cheap_operation = nn.Sequential(
            nn.Conv2d(cout, cout, dw_size, 1, dw_size // 2, groups=cout, bias=False),
            nn.BatchNorm2d(cout))
        self.relu = nn.ReLU(inplace=False) if relu else nn.Identity()

    def forward(self, x):
        x1 = self.primary_conv(x)
        x2 = self.cheap_operation(x1)
        for conv, bn in zip(self.fusion_conv, self.fusion_bn):
            x2 = x2 + bn(conv(x1))
        return self.relu(x2)


class RepGhostBottleneck(nn.Module):
    def __init__(self, cin, mid, cout, dw_kernel_size=3, stride=1,
                 se_ratio=0., reparam=True):
        super().__init__()
        self.stride = stride
        self.ghost1 = RepGhostModule(cin, mid, relu=True, reparam=reparam)
        if stride > 1:
            self.conv_dw = nn.Conv2d(mid, mid, dw_kernel_size, stride,
                                     (dw_kernel_size - 1) // 2, groups=mid, bias=False)
            self.bn_dw = nn.BatchNorm2d(mid)
        else:
            self.conv_dw = None
            self.bn_dw = None
        self.se = GhostSqueezeExcite(mid, se_ratio) if se_ratio else None
        self.ghost2 = RepGhostModule(mid, cout, relu=False, reparam=reparam)
        if cin == cout and stride == 1:
            self.shortcut = nn.Sequential()
        else:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cin, dw_kernel_size, stride,
                          (dw_kernel_size - 1) // 2, groups=cin, bias=False),
                nn.BatchNorm2d(cin),
                nn.Conv2d(cin, cout, 1, 1, 0, bias=False),
                nn.BatchNorm2d(cout))

    def forward(self, x):
        shortcut = x
        x = self.ghost1(x)
        if self.conv_dw is not None:
            x = self.bn_dw(self.conv_dw(x))
        if self.se is not None:
            x = self.se(x)
        x = self.ghost2(x)
        x += self.shortcut(shortcut)
        return x


# timm's _create_repghostnet cfgs: k, exp, c, SE, s
REPGHOST_CFGS = [
    [[3, 8, 16, 0, 1]],
    [[3, 24, 24, 0, 2]],
    [[3, 36, 24, 0, 1]],
    [[5, 36, 40, 0.25, 2]],
    [[5, 60, 40, 0.25, 1]],
    [[3, 120, 80, 0, 2]],
    [[3, 100, 80, 0, 1], [3, 120, 80, 0, 1], [3, 120, 80, 0, 1],
     [3, 240, 112, 0.25, 1], [3, 336, 112, 0.25, 1]],
    [[5, 336, 160, 0.25, 2]],
    [[5, 480, 160, 0, 1], [5, 480, 160, 0.25, 1], [5, 480, 160, 0, 1],
     [5, 480, 160, 0.25, 1]],
]

# Tiny: identity shortcut, conv shortcuts, stride 2 with k=3 and k=5,
# SE on a stride-1 and a stride-2 block.
REPGHOST_TINY_CFGS = [
    [[3, 8, 8, 0, 1]],
    [[3, 16, 12, 0, 2]],
    [[5, 24, 12, 0.25, 1]],
    [[5, 24, 16, 0.25, 2], [3, 32, 16, 0, 1]],
]


class RepGhostNet(nn.Module):
    def __init__(self, cfgs, num_classes=1000, width=1.0, head_chs=1280,
                 reparam=True):
        super().__init__()
        stem_chs = _make_divisible(16 * width, 4)
        self.conv_stem = nn.Conv2d(3, stem_chs, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem_chs)
        self.act1 = nn.ReLU(inplace=True)
        prev = stem_chs
        stages = []
        for cfg in cfgs:
            layers = []
            for k, exp_size, c, se_ratio, s in cfg:
                out = _make_divisible(c * width, 4)
                mid = _make_divisible(exp_size * width, 4)
                layers.append(RepGhostBottleneck(prev, mid, out, k, s, se_ratio,
                                                 reparam))
                prev = out
            stages.append(nn.Sequential(*layers))
        out = _make_divisible(exp_size * width * 2, 4)
        # timm's ConvBnAct(prev, out, 1): conv 1x1 no bias, BN, ReLU
        stages.append(nn.Sequential(nn.Sequential(OrderedDict([
            ('conv', nn.Conv2d(prev, out, 1, bias=False)),
            ('bn1', nn.BatchNorm2d(out)), ('act', nn.ReLU(inplace=True))]))))
        self.blocks = nn.Sequential(*stages)
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.conv_head = nn.Conv2d(out, head_chs, 1, 1, 0, bias=True)
        self.act2 = nn.ReLU(inplace=True)
        self.flatten = nn.Flatten(1)
        self.classifier = nn.Linear(head_chs, num_classes)

    def forward(self, x):
        x = self.act1(self.bn1(self.conv_stem(x)))
        x = self.blocks(x)
        x = self.act2(self.conv_head(self.global_pool(x)))
        return self.classifier(self.flatten(x))


# --------------------------------------------------------------------------
# LeViT

class LevitConvNorm(nn.Module):
    def __init__(self, cin, cout, k=1, stride=1, padding=0):
        super().__init__()
        self.linear = nn.Conv2d(cin, cout, k, stride, padding, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.linear(x))


class LevitLinearNorm(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.linear = nn.Linear(cin, cout, bias=False)
        self.bn = nn.BatchNorm1d(cout)

    def forward(self, x):
        x = self.linear(x)
        return self.bn(x.flatten(0, 1)).reshape_as(x)


class LevitNormLinear(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.bn = nn.BatchNorm1d(cin)
        self.drop = nn.Dropout(0.)
        self.linear = nn.Linear(cin, cout)

    def forward(self, x):
        return self.linear(self.drop(self.bn(x)))


class Stem16(nn.Sequential):
    def __init__(self, cin, cout, act):
        super().__init__()
        self.add_module('conv1', LevitConvNorm(cin, cout // 8, 3, 2, 1))
        self.add_module('act1', act())
        self.add_module('conv2', LevitConvNorm(cout // 8, cout // 4, 3, 2, 1))
        self.add_module('act2', act())
        self.add_module('conv3', LevitConvNorm(cout // 4, cout // 2, 3, 2, 1))
        self.add_module('act3', act())
        self.add_module('conv4', LevitConvNorm(cout // 2, cout, 3, 2, 1))


class Subsample(nn.Module):
    """timm's levit Downsample with use_pool=False."""

    def __init__(self, stride, resolution):
        super().__init__()
        self.stride = stride
        self.resolution = resolution

    def forward(self, x):
        B, N, C = x.shape
        x = x.view(B, self.resolution[0], self.resolution[1], C)
        x = x[:, ::self.stride, ::self.stride]
        return x.reshape(B, -1, C)


def _grid(r0, r1, step=1):
    a = torch.arange(0, r0, step, dtype=torch.long)
    b = torch.arange(0, r1, step, dtype=torch.long)
    return torch.stack(torch.meshgrid(a, b, indexing='ij')).flatten(1)


class LevitAttention(nn.Module):
    def __init__(self, dim, key_dim, num_heads, attn_ratio, resolution, act):
        super().__init__()
        self.num_heads = num_heads
        self.scale = key_dim ** -0.5
        self.key_dim = key_dim
        self.key_attn_dim = key_dim * num_heads
        self.val_dim = int(attn_ratio * key_dim)
        self.val_attn_dim = self.val_dim * num_heads
        self.qkv = LevitLinearNorm(dim, self.val_attn_dim + self.key_attn_dim * 2)
        self.proj = nn.Sequential(OrderedDict([
            ('act', act()), ('ln', LevitLinearNorm(self.val_attn_dim, dim))]))
        N = resolution[0] * resolution[1]
        self.attention_biases = nn.Parameter(torch.zeros(num_heads, N))
        pos = _grid(*resolution)
        rel = (pos[..., :, None] - pos[..., None, :]).abs()
        self.register_buffer('attention_bias_idxs',
                             rel[0] * resolution[1] + rel[1], persistent=False)

    def get_attention_biases(self):
        # timm: gathered under tracing/training, cached (same values) in eval
        return self.attention_biases[:, self.attention_bias_idxs]

    def forward(self, x):
        B, N, C = x.shape
        q, k, v = self.qkv(x).view(B, N, self.num_heads, -1).split(
            [self.key_dim, self.key_dim, self.val_dim], dim=3)
        q = q.permute(0, 2, 1, 3)
        k = k.permute(0, 2, 3, 1)
        v = v.permute(0, 2, 1, 3)
        attn = q @ k * self.scale + self.get_attention_biases()
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, N, self.val_attn_dim)
        return self.proj(x)


class LevitAttentionDownsample(nn.Module):
    def __init__(self, in_dim, out_dim, key_dim, num_heads, attn_ratio,
                 stride, resolution, act):
        super().__init__()
        self.stride = stride
        self.resolution = resolution
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.key_attn_dim = key_dim * num_heads
        self.val_dim = int(attn_ratio * key_dim)
        self.val_attn_dim = self.val_dim * num_heads
        self.scale = key_dim ** -0.5
        self.kv = LevitLinearNorm(in_dim, self.val_attn_dim + self.key_attn_dim)
        self.q = nn.Sequential(OrderedDict([
            ('down', Subsample(stride, resolution)),
            ('ln', LevitLinearNorm(in_dim, self.key_attn_dim))]))
        self.proj = nn.Sequential(OrderedDict([
            ('act', act()), ('ln', LevitLinearNorm(self.val_attn_dim, out_dim))]))
        N_k = resolution[0] * resolution[1]
        self.attention_biases = nn.Parameter(torch.zeros(num_heads, N_k))
        k_pos = _grid(*resolution)
        q_pos = _grid(resolution[0], resolution[1], stride)
        rel = (q_pos[..., :, None] - k_pos[..., None, :]).abs()
        self.register_buffer('attention_bias_idxs',
                             rel[0] * resolution[1] + rel[1], persistent=False)

    def get_attention_biases(self):
        return self.attention_biases[:, self.attention_bias_idxs]

    def forward(self, x):
        B, N, C = x.shape
        k, v = self.kv(x).view(B, N, self.num_heads, -1).split(
            [self.key_dim, self.val_dim], dim=3)
        k = k.permute(0, 2, 3, 1)
        v = v.permute(0, 2, 1, 3)
        q = self.q(x).view(B, -1, self.num_heads, self.key_dim).permute(0, 2, 1, 3)
        attn = q @ k * self.scale + self.get_attention_biases()
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, -1, self.val_attn_dim)
        return self.proj(x)


class LevitMlp(nn.Module):
    def __init__(self, dim, hidden, act):
        super().__init__()
        self.ln1 = LevitLinearNorm(dim, hidden)
        self.act = act()
        self.drop = nn.Dropout(0.)
        self.ln2 = LevitLinearNorm(hidden, dim)

    def forward(self, x):
        return self.ln2(self.drop(self.act(self.ln1(x))))


class LevitDownsample(nn.Module):
    def __init__(self, in_dim, out_dim, key_dim, num_heads, resolution, act):
        super().__init__()
        self.attn_downsample = LevitAttentionDownsample(
            in_dim, out_dim, key_dim, num_heads, 4., 2, resolution, act)
        self.mlp = LevitMlp(out_dim, int(out_dim * 2.), act)

    def forward(self, x):
        x = self.attn_downsample(x)
        return x + self.mlp(x)


class LevitBlock(nn.Module):
    def __init__(self, dim, key_dim, num_heads, attn_ratio, mlp_ratio,
                 resolution, act):
        super().__init__()
        self.attn = LevitAttention(dim, key_dim, num_heads, attn_ratio,
                                   resolution, act)
        self.mlp = LevitMlp(dim, int(dim * mlp_ratio), act)

    def forward(self, x):
        x = x + self.attn(x)
        return x + self.mlp(x)


class LevitStage(nn.Module):
    def __init__(self, in_dim, out_dim, key_dim, depth, num_heads, attn_ratio,
                 mlp_ratio, resolution, downsample, act):
        super().__init__()
        if downsample:
            self.downsample = LevitDownsample(in_dim, out_dim, key_dim,
                                              in_dim // key_dim, resolution, act)
            resolution = tuple((r - 1) // 2 + 1 for r in resolution)
        else:
            self.downsample = nn.Identity()
        self.blocks = nn.Sequential(*[
            LevitBlock(out_dim, key_dim, num_heads, attn_ratio, mlp_ratio,
                       resolution, act) for _ in range(depth)])

    def forward(self, x):
        return self.blocks(self.downsample(x))


class LevitDistilled(nn.Module):
    """timm's LevitDistilled (use_conv=False, Stem16, subsample downsample,
    hard_swish); eval output is (head(x) + head_dist(x)) / 2."""

    def __init__(self, img_size=224, num_classes=1000, embed_dim=(128, 256, 384),
                 key_dim=16, depth=(2, 3, 4), num_heads=(4, 6, 8),
                 attn_ratio=2., mlp_ratio=2.):
        super().__init__()
        act = nn.Hardswish
        if isinstance(img_size, int):
            img_size = (img_size, img_size)
        self.stem = Stem16(3, embed_dim[0], act)
        resolution = tuple(i // 16 for i in img_size)
        stages = []
        in_dim = embed_dim[0]
        for i in range(len(embed_dim)):
            stages.append(LevitStage(in_dim, embed_dim[i], key_dim, depth[i],
                                     num_heads[i], attn_ratio, mlp_ratio,
                                     resolution, i > 0, act))
            if i > 0:
                resolution = tuple((r - 1) // 2 + 1 for r in resolution)
            in_dim = embed_dim[i]
        self.stages = nn.Sequential(*stages)
        self.head = LevitNormLinear(embed_dim[-1], num_classes)
        self.head_dist = LevitNormLinear(embed_dim[-1], num_classes)

    def forward(self, x):
        x = self.stem(x)
        x = x.flatten(2).transpose(1, 2)
        x = self.stages(x)
        x = x.mean(dim=1)
        return (self.head(x) + self.head_dist(x)) / 2


# --------------------------------------------------------------------------
# PoolFormerV2 (timm metaformer.py)

class Scale(nn.Module):
    def __init__(self, dim, init_value=1.0):
        super().__init__()
        self.shape = (dim, 1, 1)
        self.scale = nn.Parameter(init_value * torch.ones(dim))

    def forward(self, x):
        return x * self.scale.view(self.shape)


class StarReLU(nn.Module):
    def __init__(self, scale_value=1.0, bias_value=0.0):
        super().__init__()
        self.relu = nn.ReLU()
        self.scale = nn.Parameter(scale_value * torch.ones(1))
        self.bias = nn.Parameter(bias_value * torch.ones(1))

    def forward(self, x):
        return self.scale * self.relu(x) ** 2 + self.bias


class GroupNorm1NoBias(nn.GroupNorm):
    def __init__(self, c, eps=1e-6):
        super().__init__(1, c, eps=eps)
        self.bias = None

    def forward(self, x):
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)


class LayerNorm2d(nn.LayerNorm):
    def __init__(self, c, eps=1e-6, bias=True):
        super().__init__(c, eps=eps)
        if not bias:
            self.bias = None

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class Pooling(nn.Module):
    def __init__(self, pool_size=3):
        super().__init__()
        self.pool = nn.AvgPool2d(pool_size, 1, pool_size // 2,
                                 count_include_pad=False)

    def forward(self, x):
        return self.pool(x) - x


class MetaFormerMlp(nn.Module):
    """timm Mlp(use_conv=True, bias=False, act=StarReLU)."""

    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Conv2d(dim, hidden, 1, bias=False)
        self.act = StarReLU()
        self.drop1 = nn.Dropout(0.)
        self.norm = nn.Identity()
        self.fc2 = nn.Conv2d(hidden, dim, 1, bias=False)
        self.drop2 = nn.Dropout(0.)

    def forward(self, x):
        return self.drop2(self.fc2(self.norm(self.drop1(self.act(self.fc1(x))))))


class MetaFormerBlock(nn.Module):
    def __init__(self, dim, layer_scale=None, res_scale=None):
        super().__init__()
        self.norm1 = GroupNorm1NoBias(dim)
        self.token_mixer = Pooling()
        self.layer_scale1 = Scale(dim, layer_scale) if layer_scale is not None else nn.Identity()
        self.res_scale1 = Scale(dim, res_scale) if res_scale is not None else nn.Identity()
        self.norm2 = GroupNorm1NoBias(dim)
        self.mlp = MetaFormerMlp(dim, 4 * dim)
        self.layer_scale2 = Scale(dim, layer_scale) if layer_scale is not None else nn.Identity()
        self.res_scale2 = Scale(dim, res_scale) if res_scale is not None else nn.Identity()

    def forward(self, x):
        x = self.res_scale1(x) + self.layer_scale1(self.token_mixer(self.norm1(x)))
        x = self.res_scale2(x) + self.layer_scale2(self.mlp(self.norm2(x)))
        return x


class Downsampling(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm = LayerNorm2d(cin, bias=False)
        self.conv = nn.Conv2d(cin, cout, 3, 2, 1)

    def forward(self, x):
        return self.conv(self.norm(x))


class MetaFormerStage(nn.Module):
    def __init__(self, cin, cout, depth, layer_scale, res_scale):
        super().__init__()
        self.downsample = nn.Identity() if cin == cout else Downsampling(cin, cout)
        self.blocks = nn.Sequential(*[MetaFormerBlock(cout, layer_scale, res_scale)
                                      for _ in range(depth)])

    def forward(self, x):
        return self.blocks(self.downsample(x))


class PoolFormerV2(nn.Module):
    def __init__(self, depths=(2, 2, 6, 2), dims=(64, 128, 320, 512),
                 num_classes=1000, layer_scale_init_values=None,
                 res_scale_init_values=(None, None, 1.0, 1.0)):
        super().__init__()
        n = len(depths)
        if not isinstance(layer_scale_init_values, (list, tuple)):
            layer_scale_init_values = [layer_scale_init_values] * n
        self.stem = nn.Sequential(OrderedDict([
            ('conv', nn.Conv2d(3, dims[0], 7, 4, 2)),
            ('norm', LayerNorm2d(dims[0], bias=False))]))
        stages, prev = [], dims[0]
        for i in range(n):
            stages.append(MetaFormerStage(prev, dims[i], depths[i],
                                          layer_scale_init_values[i],
                                          res_scale_init_values[i]))
            prev = dims[i]
        self.stages = nn.Sequential(*stages)
        self.head = nn.Sequential(OrderedDict([
            ('global_pool', nn.AdaptiveAvgPool2d(1)),
            ('norm', LayerNorm2d(dims[-1])),
            ('flatten', nn.Flatten(1)),
            ('drop', nn.Identity()),
            ('fc', nn.Linear(dims[-1], num_classes))]))

    def forward(self, x):
        return self.head(self.stages(self.stem(x)))


def deploy_counts_timm3(model):
    """Conv2d, BatchNorm and Linear counts after the model's own
    re-parameterization, taken to the full conv-BN fold, in the keys of
    `repc --emit=stats`:

    RepGhostNet: each RepGhostModule's cheap dw conv-BN + fusion_bn becomes
      one dw conv with bias (timm's switch_to_deploy); every other conv-BN
      pair folds too (timm's convert leaves those BNs).
    LeViT: the official replace_batchnorm / timm fuse(): ConvNorm -> Conv2d,
      LinearNorm -> Linear, NormLinear -> Linear, and the two heads averaged
      in eval -> one Linear.
    PoolFormerV2: no re-parameterization of its own; a perfect fold keeps
      every conv and the Linear, and as `batch_norm` the per-channel
      multiplies that cannot fold (each block's norm1 weight on the mixer
      branch, the res scales; the stem LayerNorm keeps its weight in the
      norm itself); norm2's
      GroupNorm weight, StarReLU and the downsampling and head LayerNorm
      affines fold into the next conv or Linear.
    """
    convs = sum(isinstance(m, nn.Conv2d) for m in model.modules())
    linears = sum(isinstance(m, nn.Linear) for m in model.modules())
    if isinstance(model, RepGhostNet):
        return {'conv': convs, 'batch_norm': 0, 'fc': linears}
    if isinstance(model, LevitDistilled):
        return {'conv': convs, 'batch_norm': 0, 'fc': linears - 1}
    if isinstance(model, PoolFormerV2):
        blocks = sum(isinstance(m, MetaFormerBlock) for m in model.modules())
        res = sum(isinstance(m, Scale) for m in model.modules())
        return {'conv': convs, 'batch_norm': blocks + res, 'fc': linears}
    raise TypeError(type(model))
