"""Models: each keeps its learnable parameters in self.params and has loss(X, y=None)."""
from .classifier import Classifier
from .fc_net import FullyConnectedNet

__all__ = ["Classifier", "FullyConnectedNet"]
from .conv_net import ConvNet, ThreeLayerConvNet  # noqa: E402
__all__ += ["ConvNet", "ThreeLayerConvNet"]
from .recurrent_net import RecurrentNet  # noqa: E402
__all__ += ["RecurrentNet"]
from .seq2seq import Seq2Seq  # noqa: E402
__all__ += ["Seq2Seq"]
from .word2vec import CBOW, SkipGram  # noqa: E402
__all__ += ["CBOW", "SkipGram"]
