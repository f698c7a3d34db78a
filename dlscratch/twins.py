"""twin_of(function): the function to call for one of the package's exercise functions.

The solved course keeps, in dlscratch/fast.py, twins of a few exercise functions on the training
loop's hot path: the same numbers, computed faster. A student's copy of the course has no such
file, so there every function is its own twin and the code the student wrote is what runs.
"""
try:
    from .fast import TWINS
except ModuleNotFoundError as missing:
    if missing.name != f"{__package__}.fast":
        raise
    TWINS = {}


def twin_of(function):
    """The fast twin of function where this copy of the course has one, else function itself."""
    return TWINS.get(function, function)
