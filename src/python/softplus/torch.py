# torch.py -- softplus as a differentiable PyTorch function and module, computed by libsoftplus.
# SPDX-License-Identifier: MIT
"""softplus for torch.autograd, with libsoftplus doing every elementwise computation:

    y = softplus.torch.softplus(input, beta=1.0, threshold=20.0)
    m = softplus.torch.Softplus(beta=1.0, threshold=20.0, learnable_beta=False)

The same values as torch.nn.functional.softplus (within both libraries' bounds). Gradients: the input's
through the library's backward, beta's (a learnable beta, or any beta tensor that requires grad)
through backward_beta summed over the elements; the backward is itself differentiable (the input's
second derivative through double_backward, which stays accurate where sigmoid rounds to 1, and the
mixed input/beta terms), so gradgradcheck and higher-order training tricks work. beta is one value: a
Python number or a tensor with one element (a per-channel beta would need a reduction per channel).
CPU tensors of float32 or float64.
"""
import torch

from . import backward as _backward
from . import backward_beta as _backward_beta
from . import double_backward as _double_backward
from . import forward as _forward

__all__ = ["softplus", "Softplus"]


def _beta_value(beta):
    """beta as the Python float the library takes; a tensor must hold exactly one value."""
    if isinstance(beta, torch.Tensor):
        if beta.numel() != 1:
            raise ValueError("softplus.torch: beta has %d elements; only one beta per call is supported"
                             % beta.numel())
        return float(beta.detach().reshape(()).item())
    return float(beta)


def _sum_to(t, like):
    """The sum of t over every element, shaped and typed like the beta tensor `like`."""
    return t.sum().reshape(like.shape).to(like.dtype)


class _SoftplusForward(torch.autograd.Function):
    """y = softplus(x; beta, threshold); beta is a tensor (it may require grad)."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.save_for_backward(x, beta)
        ctx.threshold = threshold
        return _forward(x.detach(), _beta_value(beta), threshold)

    @staticmethod
    def backward(ctx, gy):
        x, beta = ctx.saved_tensors
        dx = dbeta = None
        if ctx.needs_input_grad[0]:
            dx = _SoftplusBackward.apply(gy, x, beta, ctx.threshold)
        if ctx.needs_input_grad[1]:
            dbeta = _SoftplusBetaGrad.apply(gy, x, beta, ctx.threshold)
        return dx, dbeta, None


class _SoftplusBackward(torch.autograd.Function):
    """dx = gy * sigmoid(beta*x) (gy where fl(beta*x) > threshold), differentiable in gy, x and beta."""

    @staticmethod
    def forward(ctx, gy, x, beta, threshold):
        ctx.save_for_backward(gy, x, beta)
        ctx.threshold = threshold
        return _backward(gy.detach(), x.detach(), _beta_value(beta), threshold)

    @staticmethod
    def backward(ctx, ggx):
        gy, x, beta = ctx.saved_tensors
        b, thr = _beta_value(beta), ctx.threshold
        ggx_d, gy_d, x_d = ggx.detach(), gy.detach(), x.detach()
        d_gy = d_x = d_beta = None
        if ctx.needs_input_grad[0]:  # d(dx)/d(gy) = sigmoid: backward applied to ggx
            d_gy = _backward(ggx_d, x_d, b, thr)
        if ctx.needs_input_grad[1]:  # d(dx)/dx = gy * beta * s * (1 - s)
            d_x = _double_backward(ggx_d * gy_d, x_d, b, thr)
        if ctx.needs_input_grad[2]:  # d(dx)/d(beta) = gy * x * s * (1 - s) = double_backward(gy * x / beta)
            d_beta = _sum_to(_double_backward(ggx_d * gy_d * x_d / b, x_d, b, thr), beta)
        return d_gy, d_x, d_beta, None


class _SoftplusBetaGrad(torch.autograd.Function):
    """dbeta = sum(gy * (z*s - softplus(z)) / beta^2), differentiable in gy and x."""

    @staticmethod
    def forward(ctx, gy, x, beta, threshold):
        ctx.save_for_backward(gy, x, beta)
        ctx.threshold = threshold
        return _sum_to(_backward_beta(gy.detach(), x.detach(), _beta_value(beta), threshold), beta)

    @staticmethod
    def backward(ctx, g):
        gy, x, beta = ctx.saved_tensors
        b, thr = _beta_value(beta), ctx.threshold
        g_d, gy_d, x_d = g.detach().reshape(()), gy.detach(), x.detach()
        d_gy = d_x = None
        if ctx.needs_input_grad[0]:  # elementwise (z*s - softplus(z))/beta^2
            d_gy = _backward_beta(torch.full_like(gy_d, 1.0) * g_d, x_d, b, thr)
        if ctx.needs_input_grad[1]:  # d/dx of (z*s - softplus(z))/beta^2 = x * s * (1 - s)
            d_x = _double_backward(g_d * gy_d * x_d / b, x_d, b, thr)
        if ctx.needs_input_grad[2]:
            raise NotImplementedError("softplus.torch: the second derivative with respect to beta alone "
                                      "is not implemented")
        return d_gy, d_x, None, None


def softplus(input, beta=1.0, threshold=20.0):
    """softplus(input; beta, threshold) = input where fl(beta*input) > threshold, else
    log(1 + exp(beta*input)) / beta, as torch.nn.functional.softplus. beta may be a one-element tensor
    that requires grad (a learnable beta); the result is differentiable twice in input."""
    if not isinstance(beta, torch.Tensor):
        beta = torch.tensor(float(beta), dtype=input.dtype)
    return _SoftplusForward.apply(input, beta, float(threshold))


class Softplus(torch.nn.Module):
    """torch.nn.Softplus computed by libsoftplus; learnable_beta=True makes beta a Parameter (one value,
    trained through backward_beta)."""

    def __init__(self, beta=1.0, threshold=20.0, learnable_beta=False):
        super().__init__()
        self.threshold = float(threshold)
        if learnable_beta:
            self.beta = torch.nn.Parameter(torch.tensor(float(beta)))
        else:
            self.register_buffer("beta", torch.tensor(float(beta)))

    def forward(self, input):
        return _SoftplusForward.apply(input, self.beta, self.threshold)

    def extra_repr(self):
        return "beta=%g, threshold=%g, learnable_beta=%s" % (_beta_value(self.beta), self.threshold,
                                                              isinstance(self.beta, torch.nn.Parameter))
