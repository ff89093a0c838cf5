# test_torch_autograd.py -- release 1.1 through Python: double_backward, inverse and backward_beta on
# numpy arrays and torch tensors, and softplus.torch (the autograd function and the Softplus module).
# SPDX-License-Identifier: MIT
#
#   values     the three functions against mpmath at 2000 bits on points across the curve (the threshold
#              boundary, the underflow end, the inverse's zero at ln2/beta, negative beta), f32 and f64,
#              within the kernels' 1 ULP bound (the multiplier contract for g, dy != 1 is tested in C);
#              numpy and torch inputs give the same bits; forward(inverse(y)) == y near the threshold
#   autograd   torch.autograd.gradcheck of softplus.torch.softplus in float64 with respect to the input
#              and a beta that requires grad, gradgradcheck with respect to the input (and the mixed
#              input/beta second derivative), for beta 1, 0.5, -2 and thresholds 20 and +inf
#   parity     softplus.torch.softplus and its input gradient against torch.nn.functional.softplus
#              (B_torch 3 and 4.5 ULP as in test_torch_parity.py, plus our 1 ULP)
#   training   a two-layer net with a learnable-beta Softplus: the loss goes down and beta moves
import math
import os
import sys
import unittest

try:
    import numpy as np
except ImportError:
    print("SKIP: numpy is not installed for %s (Debian: apt-get install python3-numpy)" % sys.executable)
    sys.exit(77)
try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print("SKIP: torch is not installed for %s (Debian: apt-get install python3-torch)" % sys.executable)
    sys.exit(77)
try:
    import mpmath
except ImportError:
    mpmath = None

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sp_reference as R  # noqa: E402

sp = R.import_softplus()
import softplus.torch as spt  # noqa: E402

torch.set_num_threads(1)


def ulp(v, dtype):
    """ulp of |v| in dtype (subnormal-aware)."""
    finfo = np.finfo(dtype)
    a = abs(float(v))
    if a < finfo.tiny:
        return float(finfo.smallest_subnormal)
    e = math.frexp(a)[1] - 1
    return math.ldexp(1.0, e - (finfo.nmant))


def ref(op, m, x, beta, thr, dtype):
    """The exact value (mpmath), the threshold rule on the product rounded to dtype."""
    mp = mpmath.mp
    mp.prec = 2000  # z*s - softplus(z) cancels about 1.44 z bits at z > 0: plenty for |z| <= 600
    X, B = mpmath.mpf(float(x)), mpmath.mpf(float(beta))
    if float(dtype(float(beta) * float(x))) > thr:  # exact product (f32), rounded once to dtype
        return float(x) if op == "inverse" else 0.0
    z = B * X
    if op == "inverse":
        if z < 0:
            return math.nan
        if z == 0:
            return -math.inf / float(beta)
        return float(mpmath.log(mpmath.expm1(z)) / B)
    s = 1 / (1 + mpmath.exp(-z))
    if op == "double_backward":
        return float(mpmath.mpf(float(m)) * B * s * (1 - s))
    sp_z = mpmath.log1p(mpmath.exp(z))
    return float(mpmath.mpf(float(m)) * (z * s - sp_z) / (B * B))


class Values(unittest.TestCase):
    @unittest.skipIf(mpmath is None, "mpmath is not installed")
    def test_against_mpmath(self):
        worst = {}
        for dtype in (np.float32, np.float64):
            for beta in (1.0, 0.5, 7.3, -1.0, -2.0):
                b = float(dtype(beta))
                xs = [0.0, 1e-30, 0.25, 0.6931471805599453 / b, 1.0, -1.0, 17.0, -17.0, 19.99, 20.0 / b, 20.5,
                      37.43, -37.43, -80.0, -100.0, 300.0 / b, -300.0 / b, 3e-8]
                for thr in (20.0, math.inf):
                    for op in ("double_backward", "inverse", "backward_beta"):
                        x = np.array(xs, dtype=dtype)
                        if op == "inverse":
                            got = sp.inverse(x, beta=b, threshold=thr)
                        else:
                            got = getattr(sp, op)(np.ones_like(x), x, beta=b, threshold=thr)
                        for xi, gi in zip(x, got):
                            want = ref(op, 1.0, xi, b, thr, dtype)
                            if math.isnan(want):
                                self.assertTrue(math.isnan(gi), (op, beta, thr, xi, gi))
                                continue
                            if math.isinf(want) or want == 0.0:
                                self.assertEqual(float(gi), want, (op, beta, thr, xi))
                                continue
                            err = abs(float(gi) - want) / ulp(want, dtype)
                            key = (dtype.__name__, op)
                            worst[key] = max(worst.get(key, 0.0), err)
                            self.assertLessEqual(err, 1.0, (op, dtype.__name__, beta, thr, float(xi), float(gi), want))
        sys.stderr.write("worst ULP against mpmath: %s\n" % worst)

    def test_torch_matches_numpy_and_broadcasts(self):
        rng = np.random.default_rng(7)
        for dtype in (np.float32, np.float64):
            x = (rng.standard_normal((5, 7)) * 20).astype(dtype)
            g = rng.standard_normal((1, 7)).astype(dtype)
            for op in ("double_backward", "backward_beta"):
                a = getattr(sp, op)(np.broadcast_to(g, x.shape).copy(), x, beta=0.5)
                t = getattr(sp, op)(torch.from_numpy(g), torch.from_numpy(x).t().contiguous().t(), beta=0.5)
                self.assertIsInstance(t, torch.Tensor)
                np.testing.assert_array_equal(a, t.numpy())
            y = np.abs(x)
            np.testing.assert_array_equal(sp.inverse(y, beta=2.0), sp.inverse(torch.from_numpy(y), beta=2.0).numpy())

    def test_inverse_round_trip_and_limits(self):
        for dtype in (np.float32, np.float64):
            x = np.linspace(-30, 30, 2001).astype(dtype)
            for beta in (1.0, 0.5, 3.0):
                y = sp.forward(x, beta=beta)
                y = y[y > 0]
                np.testing.assert_array_equal(sp.forward(sp.inverse(y, beta=beta), beta=beta)[y > 2], y[y > 2])
            lim = sp.inverse(np.array([0.0, -0.0, -1.0, np.inf], dtype=dtype))
            self.assertEqual(lim[0], -np.inf)
            self.assertEqual(lim[1], -np.inf)
            self.assertTrue(np.isnan(lim[2]))
            self.assertEqual(lim[3], np.inf)
            # beta < 0: the range is y < 0; log(expm1(1)) / -1
            self.assertAlmostEqual(float(sp.inverse(np.array([-1.0], dtype=dtype), beta=-1.0)[0]),
                                   -math.log(math.expm1(1.0)), places=6)

    def test_threshold_equality_is_the_curve(self):
        # fl(beta*x) == threshold: the true second derivative, not 0 (PyTorch masks it); just above: 0
        x = np.array([20.0, np.nextafter(np.float32(20.0), np.float32(30.0))], dtype=np.float32)
        d = sp.double_backward(np.ones_like(x), x)
        self.assertGreater(d[0], 0.0)
        self.assertEqual(d[1], 0.0)
        b = sp.backward_beta(np.ones_like(x), x)
        self.assertLess(b[0], 0.0)
        self.assertEqual(b[1], 0.0)


class Autograd(unittest.TestCase):
    def test_gradcheck_input_and_beta(self):
        torch.manual_seed(0)
        for beta in (1.0, 0.5, -2.0):
            for thr in (20.0, math.inf):
                x = (torch.randn(23, dtype=torch.float64) * 6).requires_grad_()
                b = torch.tensor(beta, dtype=torch.float64, requires_grad=True)
                self.assertTrue(torch.autograd.gradcheck(lambda x, b: spt.softplus(x, b, thr), (x, b)))

    def test_gradgradcheck_input(self):
        torch.manual_seed(1)
        for beta in (1.0, 0.5, -2.0):
            for thr in (20.0, math.inf):
                x = (torch.randn(17, dtype=torch.float64) * 6).requires_grad_()
                self.assertTrue(torch.autograd.gradgradcheck(lambda x: spt.softplus(x, beta, thr), (x,)))
                b = torch.tensor(beta, dtype=torch.float64, requires_grad=True)
                # the mixed second derivatives (input and beta) through double_backward; beta's own second
                # derivative is not implemented, so only grad outputs with respect to x are differentiated
                gx = lambda x, b: torch.autograd.grad(spt.softplus(x, b, thr).sum(), x, create_graph=True)[0]
                self.assertTrue(torch.autograd.gradcheck(gx, (x, b)))

    def test_double_backward_matches_torch_where_torch_is_right(self):
        # where 1 - s keeps its bits (|x| <= 5) PyTorch's s(1 - s) is accurate, and the two agree
        x = torch.linspace(-5, 5, 301, dtype=torch.float64, requires_grad=True)
        g1 = torch.autograd.grad(spt.softplus(x).sum(), x, create_graph=True)[0]
        h1 = torch.autograd.grad(g1.sum(), x)[0]
        g2 = torch.autograd.grad(F.softplus(x).sum(), x, create_graph=True)[0]
        h2 = torch.autograd.grad(g2.sum(), x)[0]
        torch.testing.assert_close(h1, h2, rtol=1e-12, atol=0)
        # x = 37.43 in f64: s*(1-s) is 0 in PyTorch's formula, 5.55e-17 in truth
        x = torch.tensor([37.43], dtype=torch.float64, requires_grad=True)
        g = torch.autograd.grad(spt.softplus(x, 1.0, math.inf).sum(), x, create_graph=True)[0]
        h = torch.autograd.grad(g.sum(), x)[0]
        self.assertAlmostEqual(float(h) / 5.550825086253718800841091e-17, 1.0, places=14)

    def test_parity_with_torch(self):
        torch.manual_seed(2)
        for dt, tol_ulp in ((torch.float32, 4.0), (torch.float64, 4.0)):
            for beta in (1.0, 2.0, 0.5):
                x = torch.randn(4096, dtype=dt) * 15
                x.requires_grad_()
                y1 = spt.softplus(x, beta, 20.0)
                y2 = F.softplus(x, beta, 20.0)
                y2ref = F.softplus(x.detach().double(), beta, 20.0)
                u = (y2ref.abs().clamp_min(torch.finfo(dt).tiny) * torch.finfo(dt).eps)
                self.assertLessEqual(float(((y1.double() - y2.double()).abs() / u).max()), 2 * (3.0 + 1.0))
                gy = torch.rand_like(x)
                d1 = torch.autograd.grad(y1, x, gy)[0]
                d2 = torch.autograd.grad(y2, x, gy)[0]
                self.assertLessEqual(float(((d1 - d2).abs() / (d2.abs().clamp_min(torch.finfo(dt).tiny) *
                                                               torch.finfo(dt).eps)).max()), 2 * (4.5 + 2.5))

    def test_training_loop_with_learnable_beta(self):
        torch.manual_seed(3)
        x = torch.randn(256, 4)
        target = (x[:, :1] * 2 - x[:, 1:2]).abs() + 0.3 * x[:, 2:3]
        act = spt.Softplus(beta=0.5, learnable_beta=True)
        net = torch.nn.Sequential(torch.nn.Linear(4, 16), act, torch.nn.Linear(16, 1))
        opt = torch.optim.Adam(net.parameters(), lr=0.02)
        beta0 = float(act.beta)
        losses = []
        for _ in range(150):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(net(x), target)
            loss.backward()
            self.assertIsNotNone(act.beta.grad)
            opt.step()
            losses.append(float(loss))
        self.assertLess(losses[-1], 0.5 * losses[0])
        self.assertNotEqual(float(act.beta), beta0)
        self.assertIn("learnable_beta=True", repr(act))


if __name__ == "__main__":
    unittest.main()
