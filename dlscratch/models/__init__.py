"""Models: each keeps its learnable parameters in self.params and has loss(X, y=None)."""
from .classifier import Classifier
from .fc_net import FullyConnectedNet

__all__ = ["Classifier", "FullyConnectedNet"]
