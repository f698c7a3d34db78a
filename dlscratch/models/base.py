"""What every model shares: its parameters, its dtype and random generator, one weight initialiser."""
import numpy as np

from .._validate import model_dtype


class Model:
    """Base class of every model: self.params holds every learnable array (name -> array).

    Subclasses fill self.params and implement loss(X, y=None): the scores when y is None,
    otherwise (loss, grads) with grads keyed exactly like params.
    """

    def __init__(self, dtype=np.float32, seed=None):
        self.dtype = model_dtype(dtype)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.params = {}

    def _gaussian(self, shape, std):
        """Weights of `shape` drawn from N(0, std²) with the model's generator, in its dtype."""
        return (std * self.rng.standard_normal(shape)).astype(self.dtype)

    def num_parameters(self):
        """How many learnable numbers the model holds (the sizes of its params, summed)."""
        return sum(int(p.size) for p in self.params.values())
