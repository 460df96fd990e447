"""PyTorch CPU: softmax forward and backward (autograd) on the side-by-side logits z with upstream gradient g."""
import torch

from common import arguments, load, measure, save


def main():
    args = arguments(__doc__)
    z = load(args, "z")
    g = load(args, "g")

    def run():
        logits = z.detach().requires_grad_()
        probs = torch.softmax(logits, dim=1)
        probs.backward(g)
        return probs.detach(), logits.grad

    (probs, dlogits), times = measure(args, run)
    save(args, "softmax", times, {"probs": probs, "dlogits": dlogits})


if __name__ == "__main__":
    main()
