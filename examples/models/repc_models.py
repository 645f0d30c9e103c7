"""Training-time definitions of the model families repc compiles.

Written for repc after the papers' official code (RepVGG, RepMLPNet,
ConvMLP, ConvMixer, ResMLP, MobileOne, DBB/ACNet); the layer layouts follow
those repositories so the exported graphs look like what users export.
Every family comes at paper size (benchmarks) and at a tiny size (tests:
odd spatial sizes, stride 2, groups, batch 2).
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

import timm_models


def conv_bn(cin, cout, k, stride=1, padding=0, groups=1):
    if isinstance(k, int):
        k = (k, k)
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride, padding, groups=groups, bias=False),
        nn.BatchNorm2d(cout))


def conv_bn_relu(cin, cout, k, stride=1, padding=0, groups=1):
    return nn.Sequential(conv_bn(cin, cout, k, stride, padding, groups),
                         nn.ReLU())


# --------------------------------------------------------------------------
# RepVGG (Ding et al. 2021): 3x3 + 1x1 + identity BN branches.

class RepVGGBlock(nn.Module):
    def __init__(self, cin, cout, stride=1, groups=1):
        super().__init__()
        self.rbr_dense = conv_bn(cin, cout, 3, stride, 1, groups)
        self.rbr_1x1 = conv_bn(cin, cout, 1, stride, 0, groups)
        self.rbr_identity = (nn.BatchNorm2d(cin)
                             if cin == cout and stride == 1 else None)

    def forward(self, x):
        out = self.rbr_dense(x) + self.rbr_1x1(x)
        if self.rbr_identity is not None:
            out = out + self.rbr_identity(x)
        return F.relu(out)


class RepVGG(nn.Module):
    def __init__(self, blocks, widths, num_classes, groups_every=0):
        super().__init__()
        layers = [RepVGGBlock(3, widths[0], 2)]
        cin, idx = widths[0], 1
        for n, w in zip(blocks, widths[1:]):
            for i in range(n):
                g = 2 if groups_every and idx % groups_every == 0 else 1
                layers.append(RepVGGBlock(cin, w, 2 if i == 0 else 1, g))
                cin, idx = w, idx + 1
        self.stages = nn.Sequential(*layers)
        self.linear = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.stages(x)
        x = F.adaptive_avg_pool2d(x, 1)
        return self.linear(x.view(x.size(0), -1))


# --------------------------------------------------------------------------
# RepMLPNet (Ding et al. 2022): partitioned FC (fc3) with conv branches on
# the partitions (locality injection), a global perceptron, FFN of 1x1
# conv-BN with GELU, pre-BNs.

class GlobalPerceptron(nn.Module):
    def __init__(self, c, internal):
        super().__init__()
        self.c = c
        self.fc1 = nn.Conv2d(c, internal, 1, 1, bias=True)
        self.fc2 = nn.Conv2d(internal, c, 1, 1, bias=True)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(x, output_size=(1, 1))
        x = torch.sigmoid(self.fc2(F.relu(self.fc1(x))))
        return x.view(-1, self.c, 1, 1)


class RepMLPBlock(nn.Module):
    def __init__(self, c, h, w, conv_ks, gp_reduce, sharesets):
        super().__init__()
        self.C, self.S, self.h, self.w = c, sharesets, h, w
        self.gp = GlobalPerceptron(c, c // gp_reduce)
        hw = h * w * sharesets
        self.fc3 = nn.Conv2d(hw, hw, 1, 1, 0, bias=False, groups=sharesets)
        self.fc3_bn = nn.BatchNorm2d(sharesets)
        self.conv_ks = conv_ks
        for k in conv_ks:
            setattr(self, 'repconv%d' % k,
                    conv_bn(sharesets, sharesets, k, 1, k // 2, sharesets))

    def forward(self, inputs):
        global_vec = self.gp(inputs)
        origin_shape = inputs.size()
        h_parts = origin_shape[2] // self.h
        w_parts = origin_shape[3] // self.w
        x = inputs.reshape(-1, self.C, h_parts, self.h, w_parts, self.w)
        partitions = x.permute(0, 2, 4, 1, 3, 5)
        fc_in = partitions.reshape(-1, self.S * self.h * self.w, 1, 1)
        out = self.fc3(fc_in).reshape(-1, self.S, self.h, self.w)
        out = self.fc3_bn(out)
        out = out.reshape(-1, h_parts, w_parts, self.S, self.h, self.w)
        conv_in = partitions.reshape(-1, self.S, self.h, self.w)
        conv_out = 0
        for k in self.conv_ks:
            conv_out = conv_out + getattr(self, 'repconv%d' % k)(conv_in)
        out = out + conv_out.reshape(-1, h_parts, w_parts, self.S, self.h,
                                     self.w)
        out = out.permute(0, 3, 1, 4, 2, 5).reshape(*origin_shape)
        return out * global_vec


class RepMLPNetUnit(nn.Module):
    def __init__(self, c, h, w, conv_ks, gp_reduce, sharesets, ffn_expand=4):
        super().__init__()
        self.repmlp_block = RepMLPBlock(c, h, w, conv_ks, gp_reduce, sharesets)
        self.ffn_fc1 = conv_bn(c, c * ffn_expand, 1)
        self.ffn_fc2 = conv_bn(c * ffn_expand, c, 1)
        self.prebn1 = nn.BatchNorm2d(c)
        self.prebn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = x + self.repmlp_block(self.prebn1(x))
        ffn = self.ffn_fc2(F.gelu(self.ffn_fc1(self.prebn2(y))))
        return y + ffn


class RepMLPNet(nn.Module):
    def __init__(self, channels, hs, blocks, sharesets, conv_ks=(1, 3),
                 patch=4, gp_reduce=4, num_classes=1000):
        super().__init__()
        self.conv_embedding = conv_bn_relu(3, channels[0], patch, patch)
        self.stages = nn.ModuleList()
        self.embeds = nn.ModuleList()
        for i, c in enumerate(channels):
            self.stages.append(nn.ModuleList(
                RepMLPNetUnit(c, hs[i], hs[i], conv_ks, gp_reduce,
                              sharesets[i]) for _ in range(blocks[i])))
            if i + 1 < len(channels):
                self.embeds.append(conv_bn_relu(c, channels[i + 1], 2, 2))
        self.head_norm = nn.BatchNorm2d(channels[-1])
        self.head = nn.Linear(channels[-1], num_classes)

    def forward(self, x):
        x = self.conv_embedding(x)
        for i, stage in enumerate(self.stages):
            for block in stage:
                x = block(x)
            if i < len(self.embeds):
                x = self.embeds[i](x)
        x = F.adaptive_avg_pool2d(self.head_norm(x), 1)
        return self.head(x.view(x.size(0), -1))


# --------------------------------------------------------------------------
# ConvMLP (Li et al. 2021): conv tokenizer, conv stage, then channels-last
# stages of LN + MLP with a depthwise 3x3 "connect" between them.

class Mlp(nn.Module):
    def __init__(self, dim, hidden, out=None):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, out or dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class ConvMLPBlock(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.channel_mlp1 = Mlp(dim, hidden)
        self.connect_norm = nn.LayerNorm(dim)
        self.connect = nn.Conv2d(dim, dim, 3, 1, 1, groups=dim, bias=False)
        self.norm2 = nn.LayerNorm(dim)
        self.channel_mlp2 = Mlp(dim, hidden)

    def forward(self, x):
        x = x + self.channel_mlp1(self.norm1(x))
        x = self.connect(self.connect_norm(x).permute(0, 3, 1, 2))
        x = x.permute(0, 2, 3, 1)
        return x + self.channel_mlp2(self.norm2(x))


class ConvMLP(nn.Module):
    def __init__(self, blocks, dims, mlp_ratios, channels, n_conv_blocks,
                 num_classes=1000):
        super().__init__()
        c2 = channels // 2
        self.tokenizer = nn.Sequential(
            conv_bn_relu(3, c2, 3, 2, 1), conv_bn_relu(c2, c2, 3, 1, 1),
            conv_bn_relu(c2, channels, 3, 1, 1), nn.MaxPool2d(3, 2, 1))
        self.conv_blocks = nn.ModuleList(nn.Sequential(
            conv_bn_relu(channels, dims[0], 1), conv_bn_relu(dims[0], dims[0], 3, 1, 1),
            conv_bn_relu(dims[0], channels, 1)) for _ in range(n_conv_blocks))
        self.conv_downsample = nn.Conv2d(channels, dims[0], 3, 2, 1)
        self.stages = nn.ModuleList()
        self.downsamples = nn.ModuleList()
        for i, n in enumerate(blocks):
            self.stages.append(nn.Sequential(*[
                ConvMLPBlock(dims[i], int(dims[i] * mlp_ratios[i]))
                for _ in range(n)]))
            if i + 1 < len(blocks):
                self.downsamples.append(nn.Conv2d(dims[i], dims[i + 1], 3, 2, 1))
        self.norm = nn.LayerNorm(dims[-1])
        self.head = nn.Linear(dims[-1], num_classes)

    def forward(self, x):
        x = self.tokenizer(x)
        for block in self.conv_blocks:
            x = x + block(x)
        x = self.conv_downsample(x).permute(0, 2, 3, 1)
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i < len(self.downsamples):
                x = self.downsamples[i](x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        x = self.norm(x).mean(dim=(1, 2))
        return self.head(x)


# --------------------------------------------------------------------------
# ConvMixer (Trockman & Kolter 2022): patch conv, then depthwise conv with a
# residual and pointwise conv, each followed by GELU and a post-act BN.

class Residual(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x) + x


def ConvMixer(dim, depth, kernel_size, patch_size, num_classes=1000):
    return nn.Sequential(
        nn.Conv2d(3, dim, patch_size, patch_size), nn.GELU(), nn.BatchNorm2d(dim),
        *[nn.Sequential(
            Residual(nn.Sequential(
                nn.Conv2d(dim, dim, kernel_size, groups=dim,
                          padding=kernel_size // 2),
                nn.GELU(), nn.BatchNorm2d(dim))),
            nn.Conv2d(dim, dim, 1), nn.GELU(), nn.BatchNorm2d(dim))
          for _ in range(depth)],
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(dim, num_classes))


# --------------------------------------------------------------------------
# ResMLP (Touvron et al. 2021): Affine pre-norms, token-mixing Linear over
# patches, channel MLP, layer-scale.

class Affine(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(dim))
        self.beta = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        return self.alpha * x + self.beta


class ResMLPBlock(nn.Module):
    def __init__(self, dim, num_patches, init_values):
        super().__init__()
        self.norm1 = Affine(dim)
        self.attn = nn.Linear(num_patches, num_patches)
        self.norm2 = Affine(dim)
        self.mlp = Mlp(dim, 4 * dim)
        self.gamma_1 = nn.Parameter(init_values * torch.ones(dim))
        self.gamma_2 = nn.Parameter(init_values * torch.ones(dim))

    def forward(self, x):
        x = x + self.gamma_1 * self.attn(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.gamma_2 * self.mlp(self.norm2(x))


class ResMLP(nn.Module):
    def __init__(self, img, patch, dim, depth, init_values=0.1,
                 num_classes=1000):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch, patch)
        n = (img // patch) ** 2
        self.blocks = nn.Sequential(*[ResMLPBlock(dim, n, init_values)
                                      for _ in range(depth)])
        self.norm = Affine(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        B = x.shape[0]
        x = self.proj(x).flatten(2).transpose(1, 2)
        x = self.norm(self.blocks(x))
        x = x.mean(dim=1).reshape(B, 1, -1)
        return self.head(x[:, 0])


# timm's ResMLP (mlp_mixer.py, `ResBlock`): the Affine keeps (1, 1, dim)
# parameters and computes torch.addcmul(beta, alpha, x), which exports as
# Mul, Mul by addcmul's value 1, Add; the layer-scales are ls1 and ls2.

class TimmAffine(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.alpha = nn.Parameter(torch.ones((1, 1, dim)))
        self.beta = nn.Parameter(torch.zeros((1, 1, dim)))

    def forward(self, x):
        return torch.addcmul(self.beta, self.alpha, x)


class TimmResBlock(nn.Module):
    def __init__(self, dim, seq_len, init_values):
        super().__init__()
        self.norm1 = TimmAffine(dim)
        self.linear_tokens = nn.Linear(seq_len, seq_len)
        self.norm2 = TimmAffine(dim)
        self.mlp_channels = Mlp(dim, 4 * dim)
        self.ls1 = nn.Parameter(init_values * torch.ones(dim))
        self.ls2 = nn.Parameter(init_values * torch.ones(dim))

    def forward(self, x):
        x = x + self.ls1 * self.linear_tokens(
            self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.ls2 * self.mlp_channels(self.norm2(x))


class TimmResMLP(nn.Module):
    def __init__(self, img, patch, dim, depth, init_values=1e-4,
                 num_classes=1000):
        super().__init__()
        self.stem = nn.Conv2d(3, dim, patch, patch)
        n = (img // patch) ** 2
        self.blocks = nn.Sequential(*[TimmResBlock(dim, n, init_values)
                                      for _ in range(depth)])
        self.norm = TimmAffine(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.stem(x).flatten(2).transpose(1, 2)
        x = self.norm(self.blocks(x))
        return self.head(x.mean(dim=1))


# --------------------------------------------------------------------------
# MLP-Mixer (Tolstikhin et al. 2021) and gMLP (Liu et al. 2021), after timm's
# mlp_mixer.py: pre-LayerNorm token- and channel-mixing MLPs; gMLP's
# spatial gating unit splits the hidden channels, normalizes one half and
# mixes it over tokens, then gates the other half with it. Every LayerNorm
# affine folds into the Linear after it (through the token transpose, the
# chunk, or the token mean before the head).

class MixerBlock(nn.Module):
    def __init__(self, dim, seq_len, mlp_ratio=(0.5, 4.0)):
        super().__init__()
        tokens_dim, channels_dim = int(mlp_ratio[0] * dim), int(mlp_ratio[1] * dim)
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp_tokens = Mlp(seq_len, tokens_dim, seq_len)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp_channels = Mlp(dim, channels_dim)

    def forward(self, x):
        x = x + self.mlp_tokens(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.mlp_channels(self.norm2(x))


class SpatialGatingUnit(nn.Module):
    def __init__(self, dim, seq_len):
        super().__init__()
        self.norm = nn.LayerNorm(dim // 2, eps=1e-6)
        self.proj = nn.Linear(seq_len, seq_len)

    def forward(self, x):
        u, v = x.chunk(2, dim=-1)
        v = self.proj(self.norm(v).transpose(-1, -2))
        return u * v.transpose(-1, -2)


class SpatialGatingBlock(nn.Module):
    def __init__(self, dim, seq_len, mlp_ratio=4):
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, hidden)
        self.gate = SpatialGatingUnit(hidden, seq_len)
        self.fc2 = nn.Linear(hidden // 2, dim)

    def forward(self, x):
        return x + self.fc2(self.gate(F.gelu(self.fc1(self.norm(x)))))


class MlpMixer(nn.Module):
    """MLP-Mixer (gated=False) or gMLP (gated=True): a patch conv, blocks,
    a LayerNorm, the mean over tokens and a Linear head."""

    def __init__(self, img, patch, dim, depth, mlp_ratio, gated=False,
                 num_classes=1000):
        super().__init__()
        self.stem = nn.Conv2d(3, dim, patch, patch)
        seq_len = (img // patch) ** 2
        block = SpatialGatingBlock if gated else MixerBlock
        self.blocks = nn.Sequential(*[block(dim, seq_len, mlp_ratio)
                                      for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.stem(x).flatten(2).transpose(1, 2)
        x = self.norm(self.blocks(x))
        return self.head(x.mean(dim=1))


# --------------------------------------------------------------------------
# RaftMLP (Tatsunami and Taki 2022), after okojoalg/raft-mlp libs/modules.py
# (serial permuted token mixing, `ser_pm`, with the cross-scale MLP
# embedding): each level embeds with nn.Unfold at every kernel of its list
# (stride the smallest, padding (k - stride) / 2), concatenates the patches
# and applies one Linear; then blocks that mix vertically and horizontally
# within rafts of channels (LayerNorm over the channels between the
# rearranges), and a channel MLP. The einops rearranges are written as
# view/permute.

def _rearrange(x, split, perm, merge):
    b = x.shape[0]
    return x.reshape(b, *split).permute(0, *[p + 1 for p in perm]).reshape(
        b, *merge)


class RaftBlock(nn.Module):
    """PermutedBlock: x + MLP(norm(x)) over the last dim (r * spatial)."""

    def __init__(self, spatial, channels, raft, expansion):
        super().__init__()
        self.c1, self.c2, self.o2 = channels // raft, raft, spatial
        self.norm = nn.LayerNorm(channels)
        dim = spatial * raft
        self.fn = nn.Sequential(nn.Linear(dim, dim * expansion), nn.GELU(),
                                nn.Linear(dim * expansion, dim))

    def forward(self, x):
        c1, c2, o2 = self.c1, self.c2, self.o2
        o1 = x.shape[1] // c1
        # b (c1 o1) (c2 o2) -> b (o1 o2) (c1 c2), LayerNorm, and back.
        y = _rearrange(x, (c1, o1, c2, o2), (1, 3, 0, 2), (o1 * o2, c1 * c2))
        y = self.norm(y)
        y = _rearrange(y, (o1, o2, c1, c2), (2, 0, 3, 1), (c1 * o1, c2 * o2))
        return self.fn(y) + x


class ChannelBlock(nn.Module):
    def __init__(self, dim, expansion):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fn = nn.Sequential(nn.Linear(dim, dim * expansion), nn.GELU(),
                                nn.Linear(dim * expansion, dim))

    def forward(self, x):
        return self.fn(self.norm(x)) + x


class CrossScaleEmbedding(nn.Module):
    def __init__(self, cin, cout, kernels):
        super().__init__()
        stride = min(kernels)
        self.unfolds = nn.ModuleList(
            nn.Unfold(k, stride=stride, padding=(k - stride) // 2)
            for k in kernels)
        self.fc = nn.Linear(sum(k * k for k in kernels) * cin, cout)

    def forward(self, x):
        return self.fc(torch.cat([u(x).transpose(1, 2) for u in self.unfolds],
                                 dim=2))


class RaftLevel(nn.Module):
    def __init__(self, cin, cout, depth, size, patch, raft, kernels,
                 token_expansion=2, channel_expansion=4):
        super().__init__()
        self.h = self.w = size // patch
        self.raft, self.co = raft, cout // raft
        self.embed = CrossScaleEmbedding(cin, cout, kernels)
        self.blocks = nn.ModuleList(
            nn.ModuleList([RaftBlock(self.h, cout, raft, token_expansion),
                           RaftBlock(self.w, cout, raft, token_expansion),
                           ChannelBlock(cout, channel_expansion)])
            for _ in range(depth))

    def forward(self, x):
        h, w, r, co = self.h, self.w, self.raft, self.co
        x = self.embed(x)
        for vertical, horizontal, channel in self.blocks:
            # b (h w) (chw co) -> b (co w) (chw h)
            x = _rearrange(x, (h, w, r, co), (3, 1, 2, 0), (co * w, r * h))
            x = vertical(x)
            # b (co w) (chw h) -> b (co h) (chw w)
            x = _rearrange(x, (co, w, r, h), (0, 3, 2, 1), (co * h, r * w))
            x = horizontal(x)
            # b (co h) (chw w) -> b (h w) (chw co)
            x = _rearrange(x, (co, h, r, w), (1, 3, 2, 0), (h * w, r * co))
            x = channel(x)
        # b (h w) c -> b c h w
        return x.transpose(1, 2).reshape(x.shape[0], -1, h, w)


class RaftMLP(nn.Module):
    """levels: (depth, dim, patch, raft, kernels) per level."""

    def __init__(self, levels, img=224, num_classes=1000):
        super().__init__()
        cin, size, stages = 3, img, []
        for depth, dim, patch, raft, kernels in levels:
            stages.append(RaftLevel(cin, dim, depth, size, patch, raft,
                                    kernels))
            cin, size = dim, size // patch
        self.levels = nn.Sequential(*stages)
        self.norm = nn.LayerNorm(cin)
        self.classifier = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.levels(x)
        # b c h w -> b h w c, LayerNorm, back, mean over h w.
        x = self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return self.classifier(x.mean(dim=(2, 3)))


# --------------------------------------------------------------------------
# HorNet (Rao et al. 2022), after raoyongming/HorNet hornet.py with the 7x7
# depthwise conv: recursive gated convolutions (gnConv, orders 2-5: a 1x1
# proj_in split by torch.split, a scaled 7x7 depthwise conv split again,
# products through 1x1 convs), channels-first LayerNorms written by hand
# (folded into proj_in and the downsampling convs), a ConvNeXt-style MLP
# with layer scale.

class ChannelsFirstLayerNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))
        self.eps = eps

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class GnConv(nn.Module):
    def __init__(self, dim, order, s=1.0 / 3):
        super().__init__()
        self.order = order
        self.dims = [dim // 2 ** i for i in range(order)][::-1]
        self.proj_in = nn.Conv2d(dim, 2 * dim, 1)
        self.dwconv = nn.Conv2d(sum(self.dims), sum(self.dims), 7, padding=3,
                                groups=sum(self.dims))
        self.proj_out = nn.Conv2d(dim, dim, 1)
        self.pws = nn.ModuleList(nn.Conv2d(self.dims[i], self.dims[i + 1], 1)
                                 for i in range(order - 1))
        self.scale = s

    def forward(self, x):
        pwa, abc = torch.split(self.proj_in(x), (self.dims[0], sum(self.dims)),
                               dim=1)
        dw_list = torch.split(self.dwconv(abc) * self.scale, self.dims, dim=1)
        x = pwa * dw_list[0]
        for i in range(self.order - 1):
            x = self.pws[i](x) * dw_list[i + 1]
        return self.proj_out(x)


class HorBlock(nn.Module):
    def __init__(self, dim, order, init_value=1e-6):
        super().__init__()
        self.norm1 = ChannelsFirstLayerNorm(dim)
        self.gnconv = GnConv(dim, order)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma1 = nn.Parameter(init_value * torch.ones(dim))
        self.gamma2 = nn.Parameter(init_value * torch.ones(dim))

    def forward(self, x):
        x = x + self.gamma1.view(-1, 1, 1) * self.gnconv(self.norm1(x))
        y = self.norm2(x.permute(0, 2, 3, 1))
        y = self.gamma2 * self.pwconv2(F.gelu(self.pwconv1(y)))
        return x + y.permute(0, 3, 1, 2)


class HorNet(nn.Module):
    def __init__(self, depths, dims, orders=(2, 3, 4, 5), num_classes=1000):
        super().__init__()
        self.downsample = nn.ModuleList(
            [nn.Sequential(nn.Conv2d(3, dims[0], 4, 4),
                           ChannelsFirstLayerNorm(dims[0]))] +
            [nn.Sequential(ChannelsFirstLayerNorm(dims[i]),
                           nn.Conv2d(dims[i], dims[i + 1], 2, 2))
             for i in range(3)])
        self.stages = nn.ModuleList(
            nn.Sequential(*[HorBlock(dims[i], orders[i])
                            for _ in range(depths[i])]) for i in range(4))
        self.norm = nn.LayerNorm(dims[-1], eps=1e-6)
        self.head = nn.Linear(dims[-1], num_classes)

    def forward(self, x):
        for down, stage in zip(self.downsample, self.stages):
            x = stage(down(x))
        return self.head(self.norm(x.mean([-2, -1])))


# --------------------------------------------------------------------------
# Container (Gao et al. 2021), after allenai/container models.py. Container-
# Light (container_v1_light): conv stages of CBlocks (a depthwise 3x3
# position embedding added to its input, a BN pre-norm, 1x1 -> depthwise
# 5x5 -> 1x1 "attention", a 1x1-conv MLP) and a last stage of MixBlocks: one
# 1x1 conv gives q, k and v; multi-head attention on the tokens (softmax of
# Q K^T, batched over heads, no projection) and a depthwise 5x5 conv on the
# v channels are mixed by sigmoid(sa_weight) and 1 - sigmoid(sa_weight)
# before the output 1x1 conv. The full Container block is the paper's
# formula, Y = (alpha A_dynamic + beta A_static + gamma A_conv) V: the same
# block with a learnt static affinity per head (an N x N token-mixing
# matrix) beside the attention, and three learnt mixing scalars.

class CMlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Conv2d(dim, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, dim, 1)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class CBlock(nn.Module):
    def __init__(self, dim, mlp_ratio=4):
        super().__init__()
        self.pos_embed = nn.Conv2d(dim, dim, 3, padding=1, groups=dim)
        self.norm1 = nn.BatchNorm2d(dim)
        self.conv1 = nn.Conv2d(dim, dim, 1)
        self.attn = nn.Conv2d(dim, dim, 5, padding=2, groups=dim)
        self.conv2 = nn.Conv2d(dim, dim, 1)
        self.norm2 = nn.BatchNorm2d(dim)
        self.mlp = CMlp(dim, dim * mlp_ratio)

    def forward(self, x):
        x = x + self.pos_embed(x)
        x = x + self.conv2(self.attn(self.conv1(self.norm1(x))))
        return x + self.mlp(self.norm2(x))


class MixBlock(nn.Module):
    """Container-Light's MixBlock; with `tokens`, the full Container block
    (a static affinity over that many tokens, and alpha, beta, gamma)."""

    def __init__(self, dim, heads, mlp_ratio=4, tokens=None):
        super().__init__()
        self.dim, self.heads = dim, heads
        self.scale = (dim // heads) ** -0.5
        self.pos_embed = nn.Conv2d(dim, dim, 3, padding=1, groups=dim)
        self.norm1 = nn.BatchNorm2d(dim)
        self.conv1 = nn.Conv2d(dim, 3 * dim, 1)
        self.conv2 = nn.Conv2d(dim, dim, 1)
        self.conv = nn.Conv2d(dim, dim, 5, padding=2, groups=dim)
        self.norm2 = nn.BatchNorm2d(dim)
        self.mlp = CMlp(dim, dim * mlp_ratio)
        self.full = tokens is not None
        if self.full:
            self.static = nn.Parameter(torch.randn(heads, tokens, tokens) /
                                       tokens)
            self.mix = nn.Parameter(torch.tensor([0.6, 0.3, 0.1]))
        else:
            self.sa_weight = nn.Parameter(torch.tensor([0.0]))

    def attention(self, qkv):
        B, N, C3 = qkv.shape
        C = C3 // 3
        qkv = qkv.reshape(B, N, 3, self.heads, C // self.heads)
        qkv = qkv.permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        if self.full:
            attn = self.mix[0] * attn + self.mix[1] * self.static
        return (attn @ v).transpose(1, 2).reshape(B, N, C)

    def forward(self, x):
        x = x + self.pos_embed(x)
        B, _, H, W = x.shape
        residual = x
        qkv = self.conv1(self.norm1(x))
        conv = self.conv(qkv[:, 2 * self.dim:, :, :])
        sa = self.attention(qkv.flatten(2).transpose(1, 2))
        sa = sa.reshape(B, H, W, -1).permute(0, 3, 1, 2)
        if self.full:
            mixed = sa + self.mix[2] * conv
        else:
            w = torch.sigmoid(self.sa_weight)
            mixed = w * sa + (1 - w) * conv
        x = residual + self.conv2(mixed)
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, cin, dim, patch):
        super().__init__()
        self.proj = nn.Conv2d(cin, dim, patch, patch)
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, x):
        x = self.proj(x)
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class Container(nn.Module):
    """container_v1_light: patch embeds 4, 2, 2, 2; CBlocks, then MixBlocks
    (full Container blocks when `tokens`, the last stage's token count)."""

    def __init__(self, depths, dims, heads, mlp_ratios=(8, 8, 4, 4),
                 num_classes=1000, tokens=None):
        super().__init__()
        cins = (3,) + tuple(dims[:-1])
        self.embeds = nn.ModuleList(PatchEmbed(c, d, 4 if i == 0 else 2)
                                    for i, (c, d) in enumerate(zip(cins, dims)))
        self.stages = nn.ModuleList(
            nn.Sequential(*[(MixBlock(dims[i], heads, mlp_ratios[i], tokens)
                             if i == 3 else CBlock(dims[i], mlp_ratios[i]))
                            for _ in range(depths[i])]) for i in range(4))
        self.norm = nn.BatchNorm2d(dims[-1])
        self.head = nn.Linear(dims[-1], num_classes)

    def forward(self, x):
        for embed, stage in zip(self.embeds, self.stages):
            x = stage(embed(x))
        return self.head(self.norm(x).flatten(2).mean(-1))


# --------------------------------------------------------------------------
# EANet (Guo et al. 2021), after MenghaoGuo/EANet model_torch.py: external
# attention (two Conv1d memory units around a softmax over positions and an
# L1 normalization over the memory slots) in a segmentation head on a small
# conv-BN backbone, upsampled bilinearly (align_corners) to the input size.

class ExternalAttention(nn.Module):
    def __init__(self, c, k=64):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 1)
        self.linear_0 = nn.Conv1d(c, k, 1, bias=False)
        self.linear_1 = nn.Conv1d(k, c, 1, bias=False)
        with torch.no_grad():
            self.linear_1.weight.copy_(self.linear_0.weight.permute(1, 0, 2))
        self.conv2 = nn.Sequential(nn.Conv2d(c, c, 1, bias=False),
                                   nn.BatchNorm2d(c))

    def forward(self, x):
        idn = x
        x = self.conv1(x)
        b, c, h, w = x.size()
        attn = F.softmax(self.linear_0(x.view(b, c, h * w)), dim=-1)
        attn = attn / (1e-9 + attn.sum(dim=1, keepdim=True))
        x = self.linear_1(attn).view(b, c, h, w)
        return F.relu(self.conv2(x) + idn)


class EANet(nn.Module):
    def __init__(self, widths, k=64, num_classes=21):
        super().__init__()
        layers, cin = [], 3
        for w in widths:
            layers.append(conv_bn_relu(cin, w, 3, 2, 1))
            cin = w
        self.backbone = nn.Sequential(*layers)
        self.fc0 = conv_bn_relu(cin, cin, 3, 1, 1)
        self.linu = ExternalAttention(cin, k)
        self.fc1 = conv_bn_relu(cin, cin, 3, 1, 1)
        self.fc2 = nn.Conv2d(cin, num_classes, 1)

    def forward(self, x):
        h, w = x.shape[2:]
        x = self.fc2(self.fc1(self.linu(self.fc0(self.backbone(x)))))
        return F.interpolate(x, size=(h, w), mode='bilinear', align_corners=True)


# --------------------------------------------------------------------------
# EAMLP (Guo et al. 2021), after MenghaoGuo/EANet EAMLP/models (T2t_vit_7
# with external attention): a tokens-to-token stem of three nn.Unfolds
# (7x7/s4, then 3x3/s2 twice) with an external-attention token block after
# the first two, a cls token (expand) and a sinusoid position table, then
# transformer blocks whose attention is multi-head external attention
# (trans_dims widens 4x, per-head memory units linear_0/linear_1 around a
# softmax over tokens and an L1 normalization over the memory slots).

class TokenEA(nn.Module):
    """Token_performer with the EA attention (token_performer.py)."""

    def __init__(self, dim, in_dim, k=128):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.q_linear = nn.Linear(dim, in_dim)
        self.linear_0 = nn.Linear(in_dim, k, bias=False)
        self.linear_1 = nn.Linear(k, in_dim)
        with torch.no_grad():
            self.linear_1.weight.copy_(self.linear_0.weight.t())
        self.proj = nn.Linear(in_dim, in_dim)
        self.norm2 = nn.LayerNorm(in_dim)
        self.mlp = Mlp(in_dim, in_dim)

    def forward(self, x):
        x = self.q_linear(self.norm1(x))
        idn = x
        attn = self.linear_0(x).softmax(dim=-2)
        attn = attn / (1e-9 + attn.sum(dim=-1, keepdim=True))
        x = idn + self.proj(self.linear_1(attn))
        return x + self.mlp(self.norm2(x))


class MultiHeadEA(nn.Module):
    """transformer_block.py's Attention: external attention per head."""

    def __init__(self, dim, heads, coef=4):
        super().__init__()
        self.heads = heads * coef
        self.trans_dims = nn.Linear(dim, dim * coef)
        self.k = 256 // coef
        self.linear_0 = nn.Linear(dim * coef // self.heads, self.k)
        self.linear_1 = nn.Linear(self.k, dim * coef // self.heads)
        self.proj = nn.Linear(dim * coef, dim)

    def forward(self, x):
        B, N, C = x.shape
        x = self.trans_dims(x)
        x = x.view(B, N, self.heads, -1).permute(0, 2, 1, 3)
        attn = self.linear_0(x).softmax(dim=-2)
        attn = attn / (1e-9 + attn.sum(dim=-1, keepdim=True))
        x = self.linear_1(attn).permute(0, 2, 1, 3).reshape(B, N, -1)
        return self.proj(x)


class EABlock(nn.Module):
    def __init__(self, dim, heads, mlp_ratio):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = MultiHeadEA(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def sinusoid_table(n, d):
    pos = torch.arange(n, dtype=torch.float64)[:, None]
    j = torch.arange(d, dtype=torch.float64)[None, :]
    angle = pos / torch.pow(10000.0, 2 * torch.div(j, 2, rounding_mode='floor') / d)
    table = angle.clone()
    table[:, 0::2] = torch.sin(angle[:, 0::2])
    table[:, 1::2] = torch.cos(angle[:, 1::2])
    return table.float().unsqueeze(0)


class EAMLP(nn.Module):
    """T2T_ViT (tokens_type 'performer') with external attention."""

    def __init__(self, img, dim, depth, heads, mlp_ratio, token_dim=64,
                 token_k=128, num_classes=1000):
        super().__init__()
        self.split0 = nn.Unfold(7, stride=4, padding=2)
        self.split1 = nn.Unfold(3, stride=2, padding=1)
        self.split2 = nn.Unfold(3, stride=2, padding=1)
        self.attention1 = TokenEA(3 * 49, token_dim, token_k)
        self.attention2 = TokenEA(token_dim * 9, token_dim, token_k)
        self.project = nn.Linear(token_dim * 9, dim)
        patches = (img // 16) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.register_buffer('pos_embed', sinusoid_table(patches + 1, dim))
        self.blocks = nn.ModuleList(EABlock(dim, heads, mlp_ratio)
                                    for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def tokens(self, x):
        x = self.attention1(self.split0(x).transpose(1, 2))
        B, hw, C = x.shape
        side = int(math.sqrt(hw))
        x = x.transpose(1, 2).reshape(B, C, side, side)
        x = self.attention2(self.split1(x).transpose(1, 2))
        B, hw, C = x.shape
        side = int(math.sqrt(hw))
        x = x.transpose(1, 2).reshape(B, C, side, side)
        return self.project(self.split2(x).transpose(1, 2))

    def forward(self, x):
        x = self.tokens(x)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat((cls, x), dim=1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x)[:, 0])


# --------------------------------------------------------------------------
# MobileOne (Vasu et al. 2023): k over-parameterized conv-BN branches, a 1x1
# scale branch and a BN skip, as depthwise 3x3 then pointwise 1x1 blocks.

class MobileOneBlock(nn.Module):
    def __init__(self, cin, cout, k, stride, padding, groups, branches):
        super().__init__()
        self.rbr_skip = (nn.BatchNorm2d(cin)
                         if cin == cout and stride == 1 else None)
        self.rbr_conv = nn.ModuleList(conv_bn(cin, cout, k, stride, padding,
                                              groups) for _ in range(branches))
        self.rbr_scale = conv_bn(cin, cout, 1, stride, 0, groups) if k > 1 else None

    def forward(self, x):
        out = self.rbr_conv[0](x)
        for conv in self.rbr_conv[1:]:
            out = out + conv(x)
        if self.rbr_scale is not None:
            out = out + self.rbr_scale(x)
        if self.rbr_skip is not None:
            out = out + self.rbr_skip(x)
        return F.relu(out)


class MobileOne(nn.Module):
    def __init__(self, blocks, widths, branches, num_classes=1000):
        super().__init__()
        layers = [MobileOneBlock(3, widths[0], 3, 2, 1, 1, 1)]
        cin = widths[0]
        for n, w in zip(blocks, widths[1:]):
            for i in range(n):
                s = 2 if i == 0 else 1
                layers.append(MobileOneBlock(cin, cin, 3, s, 1, cin, branches))
                layers.append(MobileOneBlock(cin, w, 1, 1, 0, 1, branches))
                cin = w
        self.features = nn.Sequential(*layers)
        self.linear = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), 1)
        return self.linear(torch.flatten(x, 1))


# --------------------------------------------------------------------------
# Diverse Branch Block (Ding et al. 2021) and ACNet (Ding et al. 2019).

class BNAndPad(nn.Module):
    """BN, then pad with the value BN gives a zero input (DBB's
    BNAndPadLayer). The border is written as pad(bn(x)) + mask * value,
    which equals the official in-place writes and exports as plain ops."""

    def __init__(self, c, pad, size):
        super().__init__()
        self.bn = nn.BatchNorm2d(c)
        self.pad = pad
        mask = F.pad(torch.zeros(1, 1, size, size), [pad] * 4, value=1.0)
        self.register_buffer('mask', mask)

    def forward(self, x):
        out = self.bn(x)
        if self.pad == 0:
            return out
        bn = self.bn
        value = bn.bias - bn.running_mean * bn.weight / torch.sqrt(
            bn.running_var + bn.eps)
        return F.pad(out, [self.pad] * 4) + self.mask * value.view(1, -1, 1, 1)


class IdentityBasedConv1x1(nn.Conv2d):
    def __init__(self, c, groups):
        super().__init__(c, c, 1, 1, 0, groups=groups, bias=False)
        ident = torch.zeros(c, c // groups, 1, 1)
        for i in range(c):
            ident[i, i % (c // groups), 0, 0] = 1
        self.register_buffer('id_tensor', ident)
        nn.init.zeros_(self.weight)

    def forward(self, x):
        return F.conv2d(x, self.weight + self.id_tensor, None, 1, 0, 1,
                        self.groups)


class BNAndPadInPlace(nn.Module):
    """The official BNAndPadLayer as written: BN, a zero pad, then the
    border overwritten in place with the value BN gives a zero input.
    PyTorch exports the writes as Equal/Where/Range/ScatterND chains."""

    def __init__(self, c, pad):
        super().__init__()
        self.bn = nn.BatchNorm2d(c)
        self.pad = pad

    def forward(self, x):
        out, p, bn = self.bn(x), self.pad, self.bn
        if p == 0:
            return out
        value = (bn.bias.detach() - bn.running_mean * bn.weight.detach() /
                 torch.sqrt(bn.running_var + bn.eps)).view(1, -1, 1, 1)
        out = F.pad(out, [p] * 4)
        out[:, :, 0:p, :] = value
        out[:, :, -p:, :] = value
        out[:, :, :, 0:p] = value
        out[:, :, :, -p:] = value
        return out


class DiverseBranchBlock(nn.Module):
    def __init__(self, cin, cout, k, stride, padding, groups, size,
                 in_place=False):
        super().__init__()
        def bn_and_pad(c):
            return (BNAndPadInPlace(c, padding) if in_place
                    else BNAndPad(c, padding, size))

        self.dbb_origin = conv_bn(cin, cout, k, stride, padding, groups)
        if groups < cout:
            self.dbb_avg = nn.Sequential(
                nn.Conv2d(cin, cout, 1, 1, 0, groups=groups, bias=False),
                bn_and_pad(cout), nn.AvgPool2d(k, stride, 0))
            self.dbb_1x1 = conv_bn(cin, cout, 1, stride, 0, groups)
        else:
            self.dbb_avg = nn.AvgPool2d(k, stride, padding)
            self.dbb_1x1 = None
        self.dbb_avgbn = nn.BatchNorm2d(cout)
        internal = cin if groups < cout else 2 * cin
        first = (IdentityBasedConv1x1(cin, groups) if internal == cin else
                 nn.Conv2d(cin, internal, 1, 1, 0, groups=groups, bias=False))
        self.dbb_1x1_kxk = nn.Sequential(
            first, bn_and_pad(internal),
            nn.Conv2d(internal, cout, k, stride, 0, groups=groups, bias=False),
            nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.dbb_origin(x)
        if self.dbb_1x1 is not None:
            out = out + self.dbb_1x1(x)
        out = out + self.dbb_avgbn(self.dbb_avg(x))
        out = out + self.dbb_1x1_kxk(x)
        return F.relu(out)


class ACBlock(nn.Module):
    def __init__(self, cin, cout, k, stride, padding, groups=1):
        super().__init__()
        self.square = conv_bn(cin, cout, k, stride, padding, groups)
        off = padding - k // 2
        self.ver = conv_bn(cin, cout, (k, 1), stride, (padding, off), groups)
        self.hor = conv_bn(cin, cout, (1, k), stride, (off, padding), groups)

    def forward(self, x):
        return F.relu(self.square(x) + self.ver(x) + self.hor(x))


class DBBNet(nn.Module):
    """A ResNet-like stack of ACNet and DBB blocks."""

    def __init__(self, widths, size, num_classes=1000):
        super().__init__()
        w0, w1, w2 = widths
        s1 = (size + 1) // 2
        s2 = (s1 + 1) // 2
        self.features = nn.Sequential(
            ACBlock(3, w0, 3, 2, 1),
            DiverseBranchBlock(w0, w0, 3, 1, 1, 1, s1),
            ACBlock(w0, w1, 5, 2, 2),
            DiverseBranchBlock(w1, w1, 3, 1, 1, 2, s2),
            DiverseBranchBlock(w1, w1, 3, 1, 1, w1, s2),
            DiverseBranchBlock(w1, w2, 3, 2, 1, 1, s2))
        self.linear = nn.Linear(w2, num_classes)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), 1)
        return self.linear(torch.flatten(x, 1))


# The official DBB ResNet-18 (DingXiaoH/DiverseBranchBlock resnet.py with
# convnet_utils' DBB block type): every 3x3 conv-BN is a DBB with the
# in-place BN-and-pad, the 7x7 stem and 1x1 shortcuts stay conv-BN.

class DBBBasicBlock(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.shortcut = (conv_bn(cin, planes, 1, stride)
                         if stride != 1 or cin != planes else nn.Identity())
        self.conv1 = DiverseBranchBlock(cin, planes, 3, stride, 1, 1, 0, True)
        self.conv2 = DiverseBranchBlock(planes, planes, 3, 1, 1, 1, 0, True)

    def forward(self, x):
        out = self.conv2(F.relu(self.conv1(x)))
        return F.relu(out + self.shortcut(x))


class DBBResNet(nn.Module):
    def __init__(self, blocks, widths, num_classes=1000):
        super().__init__()
        self.stage0 = nn.Sequential(conv_bn_relu(3, widths[0], 7, 2, 3),
                                    nn.MaxPool2d(3, 2, 1))
        layers, cin = [], widths[0]
        for i, (n, w) in enumerate(zip(blocks, widths)):
            for j in range(n):
                layers.append(DBBBasicBlock(cin, w, 2 if i and not j else 1))
                cin = w
        self.stages = nn.Sequential(*layers)
        self.linear = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.stages(self.stage0(x)), 1)
        return self.linear(x.view(x.size(0), -1))


def dbb_deploy_counts(model):
    """The modules of the model the official switch_to_deploy gives: each
    DBB and each conv-BN one conv, no BN."""
    counts = {'conv': 0, 'batch_norm': 0, 'fc': 0}

    def walk(m):
        if isinstance(m, DiverseBranchBlock):
            counts['conv'] += 1
            return
        if isinstance(m, nn.Conv2d):
            counts['conv'] += 1
        elif isinstance(m, nn.Linear):
            counts['fc'] += 1
        for child in m.children():
            walk(child)
    walk(model)
    return counts


# --------------------------------------------------------------------------
# Registry: name -> (builder, input shape, (opset with BN kept, opset of the
# exporter-fused graph)).

FAMILIES = {
    'repvgg': {
        'tiny': (lambda: RepVGG([1, 2, 2, 1], [8, 8, 16, 16, 24], 10, 3),
                 (2, 3, 33, 33)),
        'paper': (lambda: RepVGG([2, 4, 14, 1], [48, 48, 96, 192, 1280], 1000),
                  (1, 3, 224, 224)),
        'opsets': (11, 17),
    },
    # RepVGG-B1g2 (official `create_RepVGG_B1g2`): widths 64, 128, 256,
    # 512, 2048, groups=2 on every second layer (official layers 2, 4, ...).
    'repvgg_b1g2': {
        'tiny': (lambda: RepVGG([1, 2, 2, 1], [8, 16, 16, 32, 32], 10, 2),
                 (2, 3, 33, 33)),
        'paper': (lambda: RepVGG([4, 6, 16, 1], [64, 128, 256, 512, 2048],
                                 1000, 2), (1, 3, 224, 224)),
        'opsets': (11, 17),
    },
    'repmlpnet': {
        'tiny': (lambda: RepMLPNet((8, 16), (7, 7), (1, 1), (2, 4),
                                   num_classes=10), (2, 3, 56, 56)),
        'paper': (lambda: RepMLPNet((64, 128, 256, 512), (56, 28, 14, 7),
                                    (2, 2, 6, 2), (1, 4, 16, 128)),
                  (1, 3, 224, 224)),
        'opsets': (13, 16),
    },
    'convmlp': {
        'tiny': (lambda: ConvMLP([1, 1], [16, 24], [2, 2], 8, 1, 10),
                 (2, 3, 29, 29)),
        'paper': (lambda: ConvMLP([2, 4, 2], [128, 256, 512], [2, 2, 2], 64, 2),
                  (1, 3, 224, 224)),
        'opsets': (13, 17),
    },
    'convmixer': {
        'tiny': (lambda: ConvMixer(16, 2, 5, 3, 10), (2, 3, 27, 27)),
        'paper': (lambda: ConvMixer(768, 32, 7, 7), (1, 3, 224, 224)),
        'opsets': (12, 17),
    },
    'convmixer_small': {
        'tiny': (lambda: ConvMixer(24, 3, 3, 2, 10), (2, 3, 22, 22)),
        'paper': (lambda: ConvMixer(256, 8, 9, 7), (1, 3, 224, 224)),
        'opsets': (14, 15),
    },
    'resmlp': {
        'tiny': (lambda: ResMLP(20, 4, 16, 2, 0.1, 10), (2, 3, 20, 20)),
        'paper': (lambda: ResMLP(224, 16, 384, 12), (1, 3, 224, 224)),
        'opsets': (14, 17),
    },
    # timm's resmlp_12_224: 384 wide, 12 blocks.
    'resmlp_timm': {
        'tiny': (lambda: TimmResMLP(20, 4, 16, 2, 0.1, 10), (2, 3, 20, 20)),
        'paper': (lambda: TimmResMLP(224, 16, 384, 12, 0.1),
                  (1, 3, 224, 224)),
        'opsets': (13, 17),
    },
    # MLP-Mixer-S/16 (512 wide, 8 blocks) and gMLP-S/16 (256 wide, 30
    # blocks); the tiny ones on 28x28 images, 4x4 patches: 49 tokens.
    'mixer': {
        'tiny': (lambda: MlpMixer(28, 4, 16, 2, (0.5, 4.0), False, 10),
                 (2, 3, 28, 28)),
        'paper': (lambda: MlpMixer(224, 16, 512, 8, (0.5, 4.0)),
                  (1, 3, 224, 224)),
        'opsets': (13, 17),
    },
    'gmlp': {
        'tiny': (lambda: MlpMixer(28, 4, 16, 2, 6, True, 10), (2, 3, 28, 28)),
        'paper': (lambda: MlpMixer(224, 16, 256, 30, 6, True),
                  (1, 3, 224, 224)),
        'opsets': (13, 17),
    },
    # RaftMLP-S (cross-scale embedding; official
    # imagenet-raft-mlp-cross-mlp-emb-s.yaml); the tiny one on 40x40
    # images: 10x10, then 5x5 maps.
    'raftmlp': {
        'tiny': (lambda: RaftMLP([(1, 16, 4, 2, (4, 8)), (1, 24, 2, 2, (2, 4))],
                                 40, 10), (2, 3, 40, 40)),
        'paper': (lambda: RaftMLP([(2, 64, 4, 2, (4, 8)),
                                   (2, 128, 2, 2, (2, 4)),
                                   (6, 256, 2, 2, (2, 4)),
                                   (2, 512, 2, 2, (2,))]), (1, 3, 224, 224)),
        'opsets': (13, 17),
    },
    # HorNet-T 7x7 (64 wide, depths 2, 3, 18, 2, gnConv orders 2-5); the
    # tiny one on 38x38 images: 9x9, 4x4, 2x2 and 1x1 maps.
    'hornet': {
        'tiny': (lambda: HorNet((1, 1, 1, 1), (16, 24, 32, 48), num_classes=10),
                 (2, 3, 38, 38)),
        'paper': (lambda: HorNet((2, 3, 18, 2), (64, 128, 256, 512)),
                  (1, 3, 224, 224)),
        'opsets': (13, 17),
    },
    # Container-Light (container_v1_light: 64, 128, 320, 512 wide, 3, 4,
    # 8, 3 blocks, 16 heads, MLP ratios 8, 8, 4, 4); the tiny one on 68x68
    # images: 17, 8, 4 and 2 wide maps, 4 tokens in the MixBlocks. The full
    # Container: the same with the paper's static affinity and mixing
    # scalars in the last stage (7x7 = 49 tokens; tiny: 3x3 on 100x100).
    'container': {
        'tiny': (lambda: Container((1, 1, 1, 2), (8, 16, 24, 32), 2,
                                   (4, 4, 2, 2), 10), (2, 3, 68, 68)),
        'paper': (lambda: Container((3, 4, 8, 3), (64, 128, 320, 512), 16),
                  (1, 3, 224, 224)),
        'opsets': (13, 17),
    },
    'container_full': {
        'tiny': (lambda: Container((1, 1, 1, 2), (8, 16, 24, 32), 2,
                                   (4, 4, 2, 2), 10, tokens=9),
                 (2, 3, 100, 100)),
        'paper': (lambda: Container((3, 4, 8, 3), (64, 128, 320, 512), 16,
                                    tokens=49), (1, 3, 224, 224)),
        'opsets': (13, 17),
    },
    # EANet's segmentation head (512 wide, 64 memory slots) on a 5-conv
    # backbone at 224x224; the tiny one on 30x26 images (4x4 maps).
    'eanet': {
        'tiny': (lambda: EANet((8, 16, 16), 8, 5), (2, 3, 30, 26)),
        'paper': (lambda: EANet((64, 128, 256, 512, 512), 64, 21),
                  (1, 3, 224, 224)),
        'opsets': (13, 17),
    },
    # EAMLP-7 (T2t_vit_7 with external attention: 256 wide, 7 blocks, 4
    # heads widened 4x, MLP ratio 2, token_dim 64) at 224x224; the tiny one
    # on 48x48 images: 12x12, 6x6, then 3x3 tokens and a cls token.
    'eamlp': {
        'tiny': (lambda: EAMLP(48, 32, 2, 2, 2.0, 8, 16, 10), (2, 3, 48, 48)),
        'paper': (lambda: EAMLP(224, 256, 7, 4, 2.0), (1, 3, 224, 224)),
        'opsets': (13, 17),
    },
    # FastViT-T8 (timm fastvit_t8): depths 2, 2, 4, 2, dims 48..384, MLP
    # ratio 3, RepMixer everywhere, 256x256. The tiny one (dims 8..64: the
    # patch embeds are grouped convs, groups = input width) has a RepCPE in
    # its last stage (as the SA models) and 37x37 inputs: 19, 10, 5, 3, 2.
    # 'deploy' counts the modules of the model timm's reparameterize_model
    # gives (plus ConvMlp's conv-BN fused).
    'fastvit': {
        'tiny': (lambda: timm_models.FastViT(
            (1, 2, 1, 1), (8, 16, 32, 64), (3, 3, 3, 3),
            (False, False, False, True), 10), (2, 3, 37, 37)),
        'paper': (lambda: timm_models.FastViT((2, 2, 4, 2), (48, 96, 192, 384),
                                              (3, 3, 3, 3)), (1, 3, 256, 256)),
        'opsets': (13, 17),
        'deploy': timm_models.deploy_counts,
    },
    # RepViT-M0.9 (timm repvit_m0_9): dims 48..384, depths 2, 2, 14, 2,
    # MLP ratio 2, non-legacy RepVggDw, distillation head. Tiny: 35x35
    # inputs: 18, 9, 5, 3, 2. 'deploy': the modules after RepVit.fuse.
    'repvit': {
        'tiny': (lambda: timm_models.RepVit((8, 16, 24, 32), (2, 1, 2, 1), 2, 3,
                                            10), (2, 3, 35, 35)),
        'paper': (lambda: timm_models.RepVit((48, 96, 192, 384), (2, 2, 14, 2)),
                  (1, 3, 224, 224)),
        'opsets': (14, 17),
        'deploy': timm_models.deploy_counts,
    },
    # RepGhostNet (timm repghostnet_100 and _050); the tiny ones on 35x35
    # images: 18, 9 and 5 wide maps, a 32-channel head.
    'repghostnet': {
        'tiny': (lambda: timm_models.RepGhostNet(
            timm_models.REPGHOST_TINY_CFGS, 10, 1.0, 32), (2, 3, 35, 35)),
        'paper': (lambda: timm_models.RepGhostNet(timm_models.REPGHOST_CFGS,
                                                  1000, 1.0), (1, 3, 224, 224)),
        'opsets': (13, 17),
        'deploy': timm_models.deploy_counts_timm3,
    },
    # LeViT-128S (timm levit_128s, distilled): the tiny one needs a size
    # whose /16 is exact (timm sizes the attention biases from
    # img_size // 16): 80x80 gives 5x5, 3x3, then 2x2 token grids.
    'levit': {
        'tiny': (lambda: timm_models.LevitDistilled(
            80, 10, (16, 24, 32), 8, (2, 1, 1), (2, 3, 4)), (2, 3, 80, 80)),
        'paper': (lambda: timm_models.LevitDistilled(224, 1000),
                  (1, 3, 224, 224)),
        'opsets': (14, 17),
        'deploy': timm_models.deploy_counts_timm3,
    },
    # PoolFormerV2-S12 (timm poolformerv2_s12); the tiny one on 35x35
    # images: 9, 5, 3 and 2 wide maps.
    'poolformerv2': {
        'tiny': (lambda: timm_models.PoolFormerV2((1, 1, 2, 1), (8, 16, 24, 32),
                                                  10), (2, 3, 35, 35)),
        'paper': (lambda: timm_models.PoolFormerV2(), (1, 3, 224, 224)),
        'opsets': (13, 17),
        'deploy': timm_models.deploy_counts_timm3,
    },
    'mobileone': {
        'tiny': (lambda: MobileOne([1, 2], [8, 16, 24], 3, 10), (2, 3, 31, 31)),
        'paper': (lambda: MobileOne([2, 8, 10, 1], [48, 48, 128, 256, 1024], 4),
                  (1, 3, 224, 224)),
        'opsets': (11, 15),
    },
    'dbb': {
        'tiny': (lambda: DBBNet((8, 16, 24), 27, 10), (2, 3, 27, 27)),
        'paper': (lambda: DBBNet((64, 128, 256), 224), (1, 3, 224, 224)),
        'opsets': (13, 17),
    },
    # The official DBB ResNet-18 (20 convs, 1 fc after switch_to_deploy);
    # the tiny one on 35x35 images: 18, 9, 9, 5, 3 and 2 wide maps.
    'dbb_official': {
        'tiny': (lambda: DBBResNet((1, 1, 1, 1), (8, 16, 16, 24), 10),
                 (2, 3, 35, 35)),
        'paper': (lambda: DBBResNet((2, 2, 2, 2), (64, 128, 256, 512)),
                  (1, 3, 224, 224)),
        'opsets': (13, 17),
        'deploy': dbb_deploy_counts,
    },
}


def randomize(model, generator):
    """Random BN statistics and affine parameters, so that no fold is
    trivially the identity."""
    def uniform(t, lo, hi):
        with torch.no_grad():
            t.copy_(torch.rand(t.shape, generator=generator) * (hi - lo) + lo)

    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            uniform(m.weight, 0.5, 1.5)
            uniform(m.bias, -0.3, 0.3)
            uniform(m.running_mean, -0.3, 0.3)
            uniform(m.running_var, 0.5, 2.0)
            m.eps = float(torch.rand(1, generator=generator)) * 1e-3 + 1e-5
        elif isinstance(m, (nn.LayerNorm, nn.GroupNorm)):
            if m.weight is not None:
                uniform(m.weight, 0.5, 1.5)
            if m.bias is not None:
                uniform(m.bias, -0.3, 0.3)
        elif isinstance(m, timm_models.Scale):
            uniform(m.scale, 0.5, 1.5)
        elif isinstance(m, timm_models.StarReLU):
            uniform(m.scale, 0.5, 1.5)
            uniform(m.bias, -0.3, 0.3)
        elif isinstance(m, (timm_models.LevitAttention,
                            timm_models.LevitAttentionDownsample)):
            uniform(m.attention_biases, -1.0, 1.0)
        elif isinstance(m, (Affine, TimmAffine)):
            uniform(m.alpha, 0.5, 1.5)
            uniform(m.beta, -0.3, 0.3)
        elif isinstance(m, IdentityBasedConv1x1):
            uniform(m.weight, -0.1, 0.1)
        elif isinstance(m, ResMLPBlock):
            uniform(m.gamma_1, 0.05, 0.2)
            uniform(m.gamma_2, 0.05, 0.2)
        elif isinstance(m, TimmResBlock):
            uniform(m.ls1, 0.05, 0.2)
            uniform(m.ls2, 0.05, 0.2)
        elif isinstance(m, ChannelsFirstLayerNorm):
            uniform(m.weight, 0.5, 1.5)
            uniform(m.bias, -0.3, 0.3)
        elif isinstance(m, MixBlock):
            # Not 0: sigmoid(0) = 1 - sigmoid(0) would mix evenly.
            if m.full:
                uniform(m.mix, 0.2, 1.2)
            else:
                uniform(m.sa_weight, -1.0, 1.0)
        elif isinstance(m, EAMLP):
            uniform(m.cls_token, -0.5, 0.5)
        elif isinstance(m, HorBlock):
            uniform(m.gamma1, 0.05, 0.2)
            uniform(m.gamma2, 0.05, 0.2)
        elif isinstance(m, timm_models.LayerScale2d):
            # Random signs: FastViT's RepMixer subtracts a branch.
            uniform(m.gamma, 0.05, 0.2)
            with torch.no_grad():
                sign = torch.randint(0, 2, m.gamma.shape, generator=generator)
                m.gamma.mul_(sign * 2 - 1)
