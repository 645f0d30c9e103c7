"""Training-time definitions of timm's re-param families for repc.

Written for repc after timm's fastvit.py and repvit.py (huggingface/
pytorch-image-models); module layouts and forward passes follow timm so
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
