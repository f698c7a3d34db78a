"""Models: each keeps its learnable parameters in self.params and has loss(X, y=None).

  base           Model: params, dtype, seed and random generator, the weight initialiser
  classifier     Classifier(Model): softmax loss, L2 regularisation, predict
  fc_net         FullyConnectedNet                         (notebooks 01-03)
  conv_net       ThreeLayerConvNet, ConvNet                (04)
  recurrent_net  RecurrentNet, a character language model  (05)
  word2vec       SkipGram, CBOW                            (06)
  seq2seq        Seq2Seq, an encoder-decoder with attention (07)
  transformer    TransformerLM, a GPT-style character model (08)
  language_model LanguageModel, what RecurrentNet and TransformerLM share
"""
from .base import Model
from .classifier import Classifier
from .conv_net import ConvNet, ThreeLayerConvNet
from .fc_net import FullyConnectedNet
from .recurrent_net import RecurrentNet
from .seq2seq import Seq2Seq
from .transformer import TransformerLM
from .word2vec import CBOW, SkipGram

__all__ = ["Model", "Classifier", "FullyConnectedNet", "ThreeLayerConvNet", "ConvNet",
           "RecurrentNet", "SkipGram", "CBOW", "Seq2Seq", "TransformerLM"]
