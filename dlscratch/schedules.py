"""Learning-rate schedules for the Solver's lr_schedule: each is a function t -> learning rate.

t is the training time in epochs. The Solver calls a schedule made here before every minibatch
step with the fractional epoch (epoch + step / steps_per_epoch), so a cosine or a warm-up is smooth;
a plain function of your own is called once per epoch with the whole epoch number.

Loshchilov & Hutter (2017), "SGDR: Stochastic gradient descent with warm restarts" (cosine);
Goyal et al. (2017), "Accurate, large minibatch SGD: training ImageNet in 1 hour" (linear warm-up).
"""
import math

__all__ = ["constant", "step_decay", "exponential_decay", "cosine_decay", "linear_warmup"]


def _every_step(schedule, description):
    """Mark a schedule to be called before every step with the fractional epoch, and name it."""
    schedule.every_step = True
    schedule.description = description
    return schedule


def _check_positive(**values):
    for name, value in values.items():
        if not (isinstance(value, (int, float)) and value > 0):
            raise ValueError(f"{name} must be a positive number, got {value!r}")


def constant(learning_rate):
    """lr(t) = learning_rate."""
    _check_positive(learning_rate=learning_rate)
    return _every_step(lambda t: learning_rate, f"constant {learning_rate:g}")


def step_decay(learning_rate, every, factor=0.1):
    """lr(t) = learning_rate * factor ** floor(t / every): drops by `factor` every `every` epochs."""
    _check_positive(learning_rate=learning_rate, every=every, factor=factor)
    return _every_step(lambda t: learning_rate * factor ** math.floor(t / every),
                       f"step x{factor:g} every {every:g} epochs")


def exponential_decay(learning_rate, gamma):
    """lr(t) = learning_rate * gamma ** t: shrinks smoothly by `gamma` per epoch."""
    _check_positive(learning_rate=learning_rate, gamma=gamma)
    return _every_step(lambda t: learning_rate * gamma ** t, f"exponential x{gamma:g} per epoch")


def cosine_decay(learning_rate, num_epochs, final_learning_rate=0.0):
    """lr(t) = final + (learning_rate - final) * (1 + cos(pi * t / num_epochs)) / 2, then final."""
    _check_positive(learning_rate=learning_rate, num_epochs=num_epochs)

    def schedule(t):
        progress = min(t / num_epochs, 1.0)
        return final_learning_rate + (learning_rate - final_learning_rate) * 0.5 * (1 + math.cos(math.pi * progress))
    return _every_step(schedule, f"cosine over {num_epochs:g} epochs")


def linear_warmup(schedule, warmup_epochs, start_factor=0.1):
    """Scale `schedule` by a factor rising linearly from start_factor at t = 0 to 1 at t = warmup_epochs."""
    _check_positive(warmup_epochs=warmup_epochs, start_factor=start_factor)
    if not callable(schedule):
        raise ValueError(f"linear_warmup wraps a schedule t -> learning rate, got {schedule!r}")

    def warmed(t):
        factor = start_factor + (1.0 - start_factor) * min(t / warmup_epochs, 1.0)
        return factor * schedule(t)
    name = getattr(schedule, "description", "schedule")
    return _every_step(warmed, f"{name}, {warmup_epochs:g}-epoch linear warm-up")
