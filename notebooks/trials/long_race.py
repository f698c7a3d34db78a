"""Notebook 08's race run on by steps, far past its budget: do the LSTM's and the Transformer's
validation curves cross?

Trains one of notebook 08's two racers (the same corpus, split, model, learning rate and Solver
settings, seed 0) for a fixed number of steps, scores the validation bits per character on the
race's 256 validation chunks every few steps, and writes the curve to long_race_<kind>.json beside
this file. It counts steps, not seconds, so the two models can train at once, one BLAS thread each;
notebook 08 turns steps into seconds with the time per step it measures itself. About 22 minutes:

    OPENBLAS_NUM_THREADS=1 python notebooks/trials/long_race.py LSTM --steps 12000 --every 500 &
    OPENBLAS_NUM_THREADS=1 python notebooks/trials/long_race.py Transformer --steps 5000 --every 250
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np

from dlscratch.data.text import load_stdlib_corpus, stream_chunks
from dlscratch.data.vocabulary import Vocabulary
from dlscratch.models import RecurrentNet, TransformerLM
from dlscratch.solver import Solver, take_examples

LEARNING_RATES = {"LSTM": 1e-2, "Transformer": 3e-3}      # notebook 08's, each the best of its trials
B, T, SCORED = 32, 128, 256


def race_data():
    """Notebook 08's full-run corpus, vocabulary and chunks: (vocab, data dict for the Solver)."""
    corpus = load_stdlib_corpus(max_chars=1_500_000, val_fraction=0.1, seed=0)
    vocab = Vocabulary.from_text(corpus["train"], min_count=5)
    X_train, y_train = stream_chunks(vocab.encode(corpus["train"]), num_streams=B, seq_length=T)
    X_val, y_val = stream_chunks(vocab.encode(corpus["val"]), num_streams=B, seq_length=T)
    return vocab, {"X_train": X_train, "y_train": y_train, "X_val": X_val[:SCORED], "y_val": y_val[:SCORED]}


def make_model(kind, vocab, seed):
    """Notebook 08's racers: about 100,000 parameters each."""
    if kind == "LSTM":
        return RecurrentNet(len(vocab), wordvec_dim=32, hidden_dim=128, cell_type="lstm", seed=seed,
                            vocab=vocab)
    return TransformerLM(len(vocab), block_size=T, embed_dim=48, num_heads=2, num_layers=3, seed=seed,
                         vocab=vocab)


def train_by_steps(solver, steps, every):
    """Step the solver in order round its training set; {"steps", "bits", "seconds"} every `every` steps."""
    n, position, elapsed = len(solver.X_train), 0, 0.0
    curve = {"steps": [], "bits": [], "seconds": []}
    for step in range(steps + 1):
        if step % every == 0:
            curve["steps"].append(step)
            curve["seconds"].append(round(elapsed, 2))
            curve["bits"].append(float(np.log2(solver.check_accuracy(solver.X_val, solver.y_val))))
            print(f"step {step} bits {curve['bits'][-1]:.3f} seconds {elapsed:.0f}", flush=True)
        if step == steps:
            break
        if position >= n:               # round again, in order, as notebook 08's train_on_the_clock
            position = 0
        batch = np.arange(position, min(position + solver.batch_size, n))
        position += solver.batch_size
        start = time.perf_counter()
        solver._step(*take_examples(solver.X_train, solver.y_train, batch))
        elapsed += time.perf_counter() - start
    return curve


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=sorted(LEARNING_RATES))
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--every", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    vocab, data = race_data()
    model = make_model(args.kind, vocab, args.seed)
    solver = Solver(model, data, update_rule="adam", optim_config={"learning_rate": LEARNING_RATES[args.kind]},
                    batch_size=B, shuffle=False, grad_clip=5.0, verbose=False, seed=args.seed)
    curve = train_by_steps(solver, args.steps, args.every)
    record = {"kind": args.kind, "seed": args.seed, "parameters": model.num_parameters(),
              "note": "seconds: one BLAS thread, sharing the machine with the other run", **curve}
    out = Path(__file__).with_name(f"long_race_{args.kind.lower()}.json")
    out.write_text(json.dumps(record, indent=1) + "\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
