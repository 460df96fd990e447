"""PyTorch CPU: collision cross-entropy forward and backward (autograd), the way a user writes it:
H2(y, softmax(z)) = -ln sum_k y_k softmax(z)_k = logsumexp(z) - logsumexp(z + ln y), mean over rows,
gradients with respect to both the logits and the targets."""
import torch

from common import arguments, load, measure, save


def main():
    args = arguments(__doc__)
    z = load(args, "z")
    y = load(args, "y")

    def run():
        logits = z.detach().requires_grad_()
        targets = y.detach().requires_grad_()
        loss = (torch.logsumexp(logits, dim=1) - torch.logsumexp(logits + torch.log(targets), dim=1)).mean()
        loss.backward()
        return loss.detach(), logits.grad, targets.grad

    (loss, dlogits, dtargets), times = measure(args, run)
    save(args, "collision_ce", times, {"loss": loss, "dlogits": dlogits, "dtargets": dtargets})


if __name__ == "__main__":
    main()
