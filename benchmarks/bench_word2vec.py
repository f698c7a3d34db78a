"""Train word2vec with dlscratch and with gensim on the same corpus; compare speed and accuracy.

Same corpus (the planted corpus, or text8 once `make data` has fetched it), same settings: vector
size 100, window 5, 5 negative samples, subsampling 1e-3, min_count 5, one epoch, one thread.

  dlscratch  SkipGram / CBOW trained by the Solver with sgd on minibatches of --batch corpus
             positions, made on the fly by SkipGramExamples / CBOWExamples; constant learning
             rate 0.025 per example (0.05 for CBOW, word2vec's defaults)
  gensim     gensim.models.Word2Vec(workers=1), its compiled (Cython) training loop, whose rate
             decays linearly from the same start to 0.0001

Throughput is the corpus words of one epoch divided by the training time (building the vocabulary
is not timed, for either). The frameworks alternate in rounds; the median throughput is reported,
with the analogy accuracy on the planted questions (or Google's questions on text8), measured for
both by dlscratch.embeddings.analogy_accuracy.

    make bench
    python benchmarks/bench_word2vec.py [--sentences 200000] [--rounds 3] [--batch 1024] [--text8 N]

Needs gensim (pip install -e '.[bench]').
"""
import argparse
import os
import statistics
import sys
import time

# issue 18's targets: dlscratch's throughput at least this share of gensim's, at equal or better accuracy
import results

TARGET_RATIO = {"skip-gram": 1.0, "CBOW": 0.7}
SETTINGS = dict(vector_size=100, window=5, negative=5, sample=1e-3, min_count=5)
RATES = {"skip-gram": 0.025, "CBOW": 0.05}

# one thread for numpy's BLAS too, set before numpy is imported
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=200_000,
                        help="planted-corpus sentences (default: 200000, about 2 million words)")
    parser.add_argument("--text8", type=int, default=None, metavar="WORDS",
                        help="train on the first WORDS words of text8 instead (needs `make data`)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of both (default: 3)")
    parser.add_argument("--batch", type=int, default=1024,
                        help="corpus positions per dlscratch minibatch (default: 1024)")
    args = parser.parse_args(argv)
    for name in ("sentences", "rounds", "batch", "text8"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name} must be at least 1, got {value}")
    return args


def load_corpus(args):
    """(training sentences as lists of words, analogy questions) for the chosen corpus."""
    if args.text8:
        from dlscratch.embeddings import read_analogy_questions
        from dlscratch.data.words import analogy_questions_path, load_text8
        words = load_text8(max_words=args.text8)
        sentences = [words[i:i + 1000] for i in range(0, len(words), 1000)]   # as word2vec does
        return sentences, read_analogy_questions(analogy_questions_path())
    from dlscratch.data.planted_corpus import planted_corpus
    corpus = planted_corpus(num_sentences=args.sentences, seed=0)
    return corpus["train"], corpus["questions"]


def train_dlscratch(architecture, sentences, vocab, batch, seed):
    """Train one epoch; return (seconds, vectors)."""
    import numpy as np
    from dlscratch.models import CBOW, SkipGram
    from dlscratch.solver import Solver
    from dlscratch.data.words import CBOWExamples, SkipGramExamples

    model_class, examples_class = {"skip-gram": (SkipGram, SkipGramExamples),
                                   "CBOW": (CBOW, CBOWExamples)}[architecture]
    examples = examples_class(vocab.encode_sentences(sentences), vocab.counts,
                              window=SETTINGS["window"], sample=SETTINGS["sample"], seed=seed)
    X_val, y_val = examples.fixed_examples(max_positions=2000)
    model = model_class(len(vocab), SETTINGS["vector_size"], num_negative=SETTINGS["negative"],
                        word_counts=vocab.counts, vocab=vocab, dtype=np.float32, seed=seed)
    rate = RATES[architecture] * batch * examples.examples_per_position()
    solver = Solver(model, {"X_train": examples, "y_train": None, "X_val": X_val, "y_val": y_val},
                    update_rule="sgd", optim_config={"learning_rate": rate}, batch_size=batch,
                    num_epochs=1, num_train_samples=200, verbose=False, seed=seed)
    start = time.perf_counter()
    solver.train()
    return time.perf_counter() - start, model.word_vectors


def train_gensim(architecture, sentences, seed):
    """Train one epoch with gensim; return (seconds, vectors, Vocabulary in gensim's order)."""
    from gensim.models import Word2Vec
    from dlscratch.data.vocabulary import Vocabulary

    model = Word2Vec(sg=int(architecture == "skip-gram"), alpha=RATES[architecture], workers=1,
                     seed=seed, epochs=1, **SETTINGS)
    model.build_vocab(sentences)
    start = time.perf_counter()
    model.train(sentences, total_examples=model.corpus_count, epochs=1)
    seconds = time.perf_counter() - start
    words = model.wv.index_to_key
    counts = [model.wv.get_vecattr(w, "count") for w in words]
    return seconds, model.wv.vectors, Vocabulary(words, (), counts, characters=False)


def main(argv=None):
    args = parse_args(argv)
    try:
        import gensim
    except ImportError:
        print("gensim is not installed: pip install -e '.[bench]' (or make bench)", file=sys.stderr)
        return 2
    from dlscratch.embeddings import analogy_accuracy
    from dlscratch.data.vocabulary import Vocabulary

    sentences, questions = load_corpus(args)
    vocab = Vocabulary.from_sentences(sentences, min_count=SETTINGS["min_count"])
    num_words = sum(len(s) for s in sentences)
    print(f"corpus: {num_words:,} words, {len(vocab):,} in the vocabulary; gensim {gensim.__version__}; "
          f"one thread; {args.rounds} rounds; dlscratch batch {args.batch} positions")
    print(f"{'model':<10}{'dlscratch words/s':>19}{'gensim words/s':>16}{'ratio':>8}"
          f"{'dlscratch analogies':>21}{'gensim analogies':>18}")
    rows = []
    for architecture in RATES:
        ours, theirs, our_accuracy, their_accuracy = [], [], [], []
        for round_ in range(args.rounds):
            seconds, vectors = train_dlscratch(architecture, sentences, vocab, args.batch, round_)
            ours.append(num_words / seconds)
            our_accuracy.append(analogy_accuracy(vectors, vocab, questions).accuracy)
            seconds, vectors, gensim_vocab = train_gensim(architecture, sentences, round_ + 1)
            theirs.append(num_words / seconds)
            their_accuracy.append(analogy_accuracy(vectors, gensim_vocab, questions).accuracy)
        ratio = statistics.median(ours) / statistics.median(theirs)
        verdict = "met" if ratio >= TARGET_RATIO[architecture] else "NOT met"
        print(f"{architecture:<10}{statistics.median(ours):>19,.0f}{statistics.median(theirs):>16,.0f}"
              f"{ratio:>7.2f}x{statistics.median(our_accuracy):>21.1%}"
              f"{statistics.median(their_accuracy):>18.1%}   target {TARGET_RATIO[architecture]}x: {verdict}")
        rows.append({**results.row(f"word2vec {architecture}, one thread", statistics.median(ours),
                           statistics.median(theirs), 1 / TARGET_RATIO[architecture], "gensim", "words/s"),
                     "analogies": statistics.median(our_accuracy),
                     "reference_analogies": statistics.median(their_accuracy)})
    results.save("word2vec", rows, threads=1, words=num_words)
    return 0


if __name__ == "__main__":
    sys.exit(main())
