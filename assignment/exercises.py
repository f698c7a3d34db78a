"""The course's exercises: one registry read by the notebooks, the release tool and the grader.

Each exercise names
  id        a short name; stubs in the student version raise NotImplementedError("<id>: ...")
  notebook  the notebook that introduces it
  points    what it is worth
  covers    the fenced code it consists of: "path/to/file.py:function" (or "file.py:Class.method")
            for package code; "notebooks/<name>.ipynb" for solution cells, which carry a
            "# exercise: <id>" line
  requires  exercises whose code its checks also run (the grader reports those as blocking)
An exercise's checks are declared beside the checks themselves: the grader's probes in
assignment/probes/ carry @probe("<id>"), and a test of `make test` names its exercise when it
reaches a stub (the stub's NotImplementedError says which), so nothing here lists them again.
"""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Exercise:
    id: str
    notebook: str
    points: int
    covers: tuple
    requires: tuple = field(default=())


def code(path, *names):
    """The covers 'path:name' of the named functions (or Class.methods) of one file."""
    return tuple(f"{path}:{name}" for name in names)


EXERCISES = (
    # --- 01_fully_connected_nets ---
    Exercise("affine", "01_fully_connected_nets", 10,
             code("dlscratch/layers/core.py", "affine_forward", "affine_backward")),
    Exercise("relu", "01_fully_connected_nets", 5,
             code("dlscratch/layers/core.py", "relu_forward", "relu_backward")),
    Exercise("sigmoid_tanh", "01_fully_connected_nets", 5,
             code("dlscratch/layers/core.py", "sigmoid_forward", "sigmoid_backward", "tanh_forward",
                  "tanh_backward")),
    Exercise("softmax_loss", "01_fully_connected_nets", 10,
             code("dlscratch/layers/losses.py", "log_softmax", "softmax_loss")),
    Exercise("svm_loss", "01_fully_connected_nets", 10,
             code("dlscratch/layers/losses.py", "svm_loss")),
    Exercise("fc_net", "01_fully_connected_nets", 20,
             code("dlscratch/models/fc_net.py", "FullyConnectedNet._forward",
                  "FullyConnectedNet._backward")
             + code("dlscratch/models/classifier.py", "Classifier._add_regularization"),
             requires=("affine", "relu", "softmax_loss", "normalization", "dropout")),
    Exercise("solver_step", "01_fully_connected_nets", 10,
             code("dlscratch/solver.py", "Solver._update_parameter"),
             requires=("sgd",)),
    Exercise("initial_loss", "01_fully_connected_nets", 5,
             ("notebooks/01_fully_connected_nets.ipynb",)),
    Exercise("two_layer_net", "01_fully_connected_nets", 10,
             ("notebooks/01_fully_connected_nets.ipynb",),
             requires=("affine", "relu", "softmax_loss")),
    # --- 02_optimizers ---
    Exercise("sgd", "02_optimizers", 5, code("dlscratch/optimizations.py", "sgd")),
    Exercise("momentum", "02_optimizers", 10,
             code("dlscratch/optimizations.py", "sgd_momentum", "nesterov")),
    Exercise("adagrad_rmsprop", "02_optimizers", 10,
             code("dlscratch/optimizations.py", "adagrad", "rmsprop")),
    Exercise("adam", "02_optimizers", 10,
             code("dlscratch/optimizations.py", "adam", "adamw")),
    Exercise("moving_average", "02_optimizers", 5, ("notebooks/02_optimizers.ipynb",)),
    Exercise("valley_path", "02_optimizers", 5,
             ("notebooks/02_optimizers.ipynb",),
             requires=("sgd", "momentum", "adagrad_rmsprop", "adam", "fc_net", "solver_step")),
    # --- 03_normalization_and_dropout ---
    Exercise("normalization", "03_normalization_and_dropout", 20,
             code("dlscratch/layers/normalization.py", "standardize", "standardize_backward",
                  "batchnorm_forward", "batchnorm_backward", "layernorm_forward",
                  "layernorm_backward")),
    Exercise("batchnorm_alt", "03_normalization_and_dropout", 5,
             code("dlscratch/layers/normalization.py", "batchnorm_backward_alt"),
             requires=("normalization",)),
    Exercise("dropout", "03_normalization_and_dropout", 10,
             code("dlscratch/layers/dropout.py", "dropout_forward", "dropout_backward")),
    Exercise("mc_dropout", "03_normalization_and_dropout", 5,
             ("notebooks/03_normalization_and_dropout.ipynb",)),
    Exercise("activation_stds", "03_normalization_and_dropout", 10,
             ("notebooks/03_normalization_and_dropout.ipynb",)),
    # --- 04_convolutional_nets ---
    Exercise("conv_naive", "04_convolutional_nets", 15,
             code("dlscratch/layers/conv.py", "conv_forward_naive", "conv_backward_naive")),
    Exercise("max_pool_naive", "04_convolutional_nets", 10,
             code("dlscratch/layers/conv.py", "max_pool_forward_naive", "max_pool_backward_naive")),
    Exercise("conv_dx_full", "04_convolutional_nets", 5,
             ("notebooks/04_convolutional_nets.ipynb",), requires=("conv_naive",)),
    Exercise("conv_fast", "04_convolutional_nets", 20,
             code("dlscratch/layers/conv.py", "conv_forward", "conv_backward"),
             requires=("conv_naive", "relu")),
    Exercise("max_pool_fast", "04_convolutional_nets", 10,
             code("dlscratch/layers/conv.py", "max_pool_forward", "max_pool_backward"),
             requires=("max_pool_naive", "conv_fast", "relu")),
    Exercise("receptive_field", "04_convolutional_nets", 5,
             ("notebooks/04_convolutional_nets.ipynb",)),
    Exercise("spatial_norm", "04_convolutional_nets", 15,
             code("dlscratch/layers/normalization.py", "spatial_batchnorm_forward",
                  "spatial_batchnorm_backward", "spatial_groupnorm_forward",
                  "spatial_groupnorm_backward"),
             requires=("normalization", "conv_fast", "max_pool_fast", "relu")),
    Exercise("conv_net", "04_convolutional_nets", 20,
             code("dlscratch/models/conv_net.py", "ThreeLayerConvNet._forward",
                  "ThreeLayerConvNet._backward", "ConvNet._conv_block_forward",
                  "ConvNet._conv_block_backward", "ConvNet._forward", "ConvNet._backward"),
             requires=("conv_fast", "max_pool_fast", "spatial_norm", "affine", "relu",
                       "softmax_loss", "fc_net", "adam", "solver_step")),
    # --- 05_recurrent_nets ---
    Exercise("rnn", "05_recurrent_nets", 15,
             code("dlscratch/layers/recurrent.py", "rnn_cell_forward", "rnn_cell_backward",
                  "rnn_step_forward", "rnn_step_backward", "recurrence_forward",
                  "recurrence_backward", "temporal_affine_forward", "temporal_affine_backward")),
    Exercise("bptt", "05_recurrent_nets", 10, ("notebooks/05_recurrent_nets.ipynb",)),
    Exercise("lstm", "05_recurrent_nets", 20,
             code("dlscratch/layers/recurrent.py", "lstm_cell_forward", "lstm_cell_backward",
                  "lstm_step_forward", "lstm_step_backward"),
             requires=("rnn",)),
    Exercise("gru", "05_recurrent_nets", 15,
             code("dlscratch/layers/recurrent.py", "gru_cell_forward", "gru_cell_backward",
                  "gru_step_forward", "gru_step_backward"),
             requires=("rnn",)),
    Exercise("word_embedding", "05_recurrent_nets", 5,
             code("dlscratch/layers/recurrent.py", "word_embedding_forward",
                  "word_embedding_backward")),
    Exercise("temporal_loss", "05_recurrent_nets", 5,
             code("dlscratch/layers/losses.py", "temporal_softmax_loss"),
             requires=("softmax_loss",)),
    Exercise("entropy", "05_recurrent_nets", 5, ("notebooks/05_recurrent_nets.ipynb",)),
    Exercise("recurrent_net", "05_recurrent_nets", 20,
             code("dlscratch/models/recurrent_net.py", "RecurrentNet._forward",
                  "RecurrentNet._backward"),
             requires=("rnn", "lstm", "gru", "word_embedding", "temporal_loss", "softmax_loss",
                       "adam", "solver_step")),
    # --- 06_word2vec ---
    Exercise("word2vec", "06_word2vec", 20,
             code("dlscratch/models/word2vec.py", "Word2Vec._forward", "Word2Vec._backward"),
             requires=("softmax_loss", "solver_step")),
    Exercise("cosine_neighbours", "06_word2vec", 5, ("notebooks/06_word2vec.ipynb",)),
    Exercise("analogy", "06_word2vec", 5, ("notebooks/06_word2vec.ipynb",)),
    # --- 07_seq2seq_attention ---
    Exercise("attention", "07_seq2seq_attention", 10,
             code("dlscratch/layers/attention.py", "attention_forward", "attention_backward"),
             requires=("softmax_loss",)),
    Exercise("softmax_backward", "07_seq2seq_attention", 5,
             ("notebooks/07_seq2seq_attention.ipynb",)),
    Exercise("attention_scores", "07_seq2seq_attention", 5,
             ("notebooks/07_seq2seq_attention.ipynb",)),
    Exercise("seq2seq", "07_seq2seq_attention", 20,
             code("dlscratch/models/seq2seq.py", "Seq2Seq._encode", "Seq2Seq._decode",
                  "Seq2Seq._forward", "Seq2Seq._backward"),
             requires=("attention", "lstm", "gru", "rnn", "word_embedding", "temporal_loss",
                       "softmax_loss", "sigmoid_tanh")),
    Exercise("seq2seq_decoding", "07_seq2seq_attention", 10,
             code("dlscratch/models/seq2seq.py", "Seq2Seq._search"),
             requires=("seq2seq", "attention", "adam", "solver_step")),
    # --- 08_transformers ---
    Exercise("causal_mask", "08_transformers", 5,
             code("dlscratch/layers/attention.py", "causal_mask"),
             requires=("attention", "softmax_loss")),
    Exercise("heads", "08_transformers", 10,
             code("dlscratch/layers/attention.py", "split_heads", "merge_heads"),
             requires=("attention", "causal_mask", "softmax_loss")),
    Exercise("transformer_block", "08_transformers", 15,
             code("dlscratch/layers/sandwiches.py", "residual_mlp_backward",
                  "transformer_block_backward"),
             requires=("heads", "attention", "causal_mask", "normalization", "dropout", "rnn",
                       "softmax_loss")),
    Exercise("kv_cache", "08_transformers", 10,
             code("dlscratch/models/transformer.py", "TransformerLM.extend"),
             requires=("heads", "attention", "causal_mask", "normalization", "word_embedding",
                       "rnn", "softmax_loss")),
    Exercise("positions_table", "08_transformers", 5, ("notebooks/08_transformers.ipynb",)),
    Exercise("parameter_count", "08_transformers", 5, ("notebooks/08_transformers.ipynb",)),
)

BY_ID = {exercise.id: exercise for exercise in EXERCISES}


def exercises_for(notebook):
    """The exercises a notebook (name without .ipynb) introduces, in order."""
    return [e for e in EXERCISES if e.notebook == notebook]


def show(notebook):
    """Print the exercises of a notebook as a small table (the notebooks call this first)."""
    rows = exercises_for(notebook)
    if not rows:
        print("This notebook has no exercises.")
        return
    print(f"{'exercise':<16}{'points':>6}  code to write")
    for e in rows:
        where = ", ".join(c.split(":")[-1] if ":" in c else "a cell in this notebook"
                          for c in e.covers)
        print(f"{e.id:<16}{e.points:>6}  {where}")
