"""What every classification model shares: softmax loss, L2 regularisation and prediction."""
import numpy as np

from ..layers import softmax_loss
from .base import Model


class Classifier(Model):
    """Base class: subclasses fill self.params and implement _forward and _backward.

    _forward(X, mode) -> (scores (N, C), cache) and _backward(dscores, cache) -> grads, where mode
    is 'train' or 'test'. Parameters whose name starts with 'W' are L2-regularised.
    """

    metric_name = "accuracy"

    def __init__(self, reg=0.0, dtype=np.float32, seed=None):
        super().__init__(dtype, seed)
        self.reg = reg

    def loss(self, X, y=None):
        """Scores (N, C) when y is None; otherwise (loss, grads) with grads keyed like params."""
        X = np.asarray(X).astype(self.dtype, copy=False)
        mode = "test" if y is None else "train"
        scores, cache = self._forward(X, mode)
        if y is None:
            return scores
        data_loss, dscores = softmax_loss(scores, np.asarray(y))
        grads = self._backward(dscores, cache)
        return data_loss + self._add_regularization(grads), grads

    def _add_regularization(self, grads):
        """Add reg * W to each weight gradient and return the penalty 0.5 * reg * sum(W ** 2)."""
        penalty = 0.0
        if self.reg == 0:
            return penalty
        ### BEGIN SOLUTION
        for name, w in self.params.items():
            if name.startswith("W"):
                penalty += 0.5 * self.reg * float(np.sum(w * w))
                grads[name] = grads[name] + self.reg * w
        ### END SOLUTION
        return penalty

    def predict(self, X, batch_size=256):
        """Predicted class labels (N,) for inputs X, computed in test mode batch by batch."""
        labels = [np.argmax(self.loss(X[i:i + batch_size]), axis=1)
                  for i in range(0, len(X), batch_size)]
        return np.concatenate(labels) if labels else np.zeros(0, dtype=int)

    def _init_weight(self, shape, weight_scale):
        """Gaussian weights of `shape`: std weight_scale, or 'he' for sqrt(2 / fan_in)."""
        fan_in = int(np.prod(shape[:-1])) if len(shape) == 2 else int(np.prod(shape[1:]))
        if weight_scale == "he":
            std = np.sqrt(2.0 / fan_in)
        elif isinstance(weight_scale, (int, float)) and weight_scale > 0:
            std = weight_scale
        else:
            raise ValueError(f"weight_scale must be a positive number or 'he', got {weight_scale!r}")
        return self._gaussian(shape, std)
