"""First-order update rules.

Every rule has the signature `rule(w, dw, config=None) -> (next_w, config)`:
  w, dw   the current weights and their gradient (same shape; neither is modified);
  config  a dict with the hyperparameters and the state the rule carries from one step to the next
          (velocity, running averages, step count). Missing entries are filled with defaults, and
          the same dict is returned, so pass it back in on the next call.
With a constant learning rate each rule follows the same trajectory as its torch.optim counterpart.
"""
import difflib

import numpy as np

from ._validate import require_float, require_shape


# other courses' and frameworks' names for our settings, for the message that refuses them
_ALIASES = {"lr": "'learning_rate'", "eps": "'epsilon'", "betas": "'beta1' and 'beta2'",
            "alpha": "'decay_rate'", "rho": "'decay_rate'", "mu": "'momentum'",
            "wd": "'weight_decay'"}
_RATES = ("momentum", "beta1", "beta2", "decay_rate")      # each must lie in [0, 1)


def _start(name, w, dw, config, state=(), **defaults):
    """Check w, dw and the config, fill the config's missing entries with defaults, return it.

    state names the arrays the rule keeps in config; any other key than those and the defaults
    is refused (a misspelt setting would otherwise be ignored without a word).
    """
    require_float(name, w=w, dw=dw)
    require_shape(name, "dw", dw, w.shape)
    config = {} if config is None else config
    for key in config:
        if key not in defaults and key not in state:
            raise ValueError(f"{name}: unknown setting {key!r} in config{_hint(key, defaults)}; "
                             f"{name} takes {sorted(defaults)}")
    for key, value in defaults.items():
        config.setdefault(key, value)
    for key in ("learning_rate", "epsilon", "weight_decay"):
        if key in config and not config[key] >= 0:
            raise ValueError(f"{name}: {key} must be >= 0, got {config[key]}")
    for key in _RATES:
        if key in config and not 0 <= config[key] < 1:
            raise ValueError(f"{name}: {key} must lie in [0, 1), got {config[key]}")
    return config


def _hint(key, known):
    """' (did you mean ...?)' for a setting known under another name, or a near miss."""
    close = difflib.get_close_matches(key, known, n=1)
    guess = _ALIASES.get(key) or (repr(close[0]) if close else None)
    return f" (did you mean {guess}?)" if guess else ""


def _state(config, key, w):
    """The state array config[key] (created as zeros shaped like w), which rules update in place."""
    if config.get(key) is None:
        config[key] = np.zeros_like(w)
    return config[key]


def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent: w - learning_rate * dw."""
    config = _start("sgd", w, dw, config, learning_rate=1e-2)
    lr = float(config["learning_rate"])
    ### BEGIN SOLUTION
    next_w = w - lr * dw
    ### END SOLUTION
    return next_w.astype(w.dtype, copy=False), config


def sgd_momentum(w, dw, config=None):
    """SGD with momentum: v = momentum * v - learning_rate * dw; w + v."""
    config = _start("sgd_momentum", w, dw, config, ("velocity",), learning_rate=1e-2, momentum=0.9)
    lr, mu = float(config["learning_rate"]), float(config["momentum"])
    v = _state(config, "velocity", w)
    ### BEGIN SOLUTION
    v *= mu                 # the state arrays belong to config: update them in place
    v -= lr * dw
    next_w = w + v
    ### END SOLUTION
    return next_w.astype(w.dtype, copy=False), config


def nesterov(w, dw, config=None):
    """Nesterov momentum: v = momentum * v - lr * dw; w + momentum * v - lr * dw.

    This is the form torch.optim.SGD(nesterov=True) uses: the step looks ahead along the new
    velocity instead of evaluating the gradient at a shifted point.
    """
    config = _start("nesterov", w, dw, config, ("velocity",), learning_rate=1e-2, momentum=0.9)
    lr, mu = float(config["learning_rate"]), float(config["momentum"])
    v = _state(config, "velocity", w)
    ### BEGIN SOLUTION
    v *= mu
    v -= lr * dw
    next_w = w + mu * v - lr * dw
    ### END SOLUTION
    return next_w.astype(w.dtype, copy=False), config


def adagrad(w, dw, config=None):
    """Adagrad: divide the step by the root of the sum of all squared gradients so far."""
    config = _start("adagrad", w, dw, config, ("cache",), learning_rate=1e-2, epsilon=1e-8)
    lr, eps = float(config["learning_rate"]), float(config["epsilon"])
    cache = _state(config, "cache", w)
    ### BEGIN SOLUTION
    cache += dw * dw
    next_w = w - lr * dw / (np.sqrt(cache) + eps)
    ### END SOLUTION
    return next_w.astype(w.dtype, copy=False), config


def rmsprop(w, dw, config=None):
    """RMSProp: divide the step by the root of a moving average of squared gradients."""
    config = _start("rmsprop", w, dw, config, ("cache",), learning_rate=1e-2, decay_rate=0.99,
                    epsilon=1e-8)
    lr, rho = float(config["learning_rate"]), float(config["decay_rate"])
    eps = float(config["epsilon"])
    cache = _state(config, "cache", w)
    ### BEGIN SOLUTION
    cache *= rho
    cache += (1 - rho) * (dw * dw)
    next_w = w - lr * dw / (np.sqrt(cache) + eps)
    ### END SOLUTION
    return next_w.astype(w.dtype, copy=False), config


_ADAM_DEFAULTS = dict(learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8, t=0)


def adam(w, dw, config=None):
    """Adam: momentum on the gradient and RMSProp-style scaling, both bias-corrected."""
    config = _start("adam", w, dw, config, ("m", "v"), **_ADAM_DEFAULTS)
    lr, eps = float(config["learning_rate"]), float(config["epsilon"])
    beta1, beta2 = float(config["beta1"]), float(config["beta2"])
    m, v = _state(config, "m", w), _state(config, "v", w)
    ### BEGIN SOLUTION
    t = config["t"] = config["t"] + 1
    m *= beta1                                  # m ← β1 m + (1 − β1) dw, kept in config
    m += (1 - beta1) * dw
    v *= beta2                                  # v ← β2 v + (1 − β2) dw², kept in config
    v += (1 - beta2) * (dw * dw)
    # lr m_hat / (sqrt(v_hat) + eps) with the bias corrections m_hat = m / (1 - beta1^t) and
    # v_hat = v / (1 - beta2^t) moved onto the scalars (Kingma & Ba's own ordering, section 2)
    correction = (1 - beta2 ** t) ** 0.5
    step_size = lr * correction / (1 - beta1 ** t)
    next_w = w - step_size * (m / (np.sqrt(v) + eps * correction))
    ### END SOLUTION
    return next_w.astype(w.dtype, copy=False), config


def adamw(w, dw, config=None):
    """AdamW: an Adam step, then weight decay applied to the weights directly, not through dw."""
    config = _start("adamw", w, dw, config, ("m", "v"), weight_decay=1e-2, **_ADAM_DEFAULTS)
    lr, decay = float(config["learning_rate"]), float(config["weight_decay"])
    adam_config = {key: value for key, value in config.items() if key != "weight_decay"}
    ### BEGIN SOLUTION
    next_w = adam(w, dw, adam_config)[0] - lr * decay * w
    ### END SOLUTION
    config.update(adam_config)                  # Adam's moments and step count, carried on
    return next_w.astype(w.dtype, copy=False), config


UPDATE_RULES = {rule.__name__: rule for rule in
                (sgd, sgd_momentum, nesterov, adagrad, rmsprop, adam, adamw)}


def get_update_rule(rule):
    """Return the update rule named `rule` (or `rule` itself if it is already a callable)."""
    if callable(rule):
        return rule
    if rule not in UPDATE_RULES:
        raise ValueError(f"unknown update rule {rule!r}; choose one of {sorted(UPDATE_RULES)} "
                         "or pass a function rule(w, dw, config) -> (next_w, config)")
    return UPDATE_RULES[rule]
