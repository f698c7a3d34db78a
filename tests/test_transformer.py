"""TransformerLM beyond the model contract (gradients there): causality, the key/value cache,
sampling, the checks on its arguments, and that the Solver trains it on a task only attention
solves (its gradients are checked in test_model_contract.py)."""
import numpy as np
import pytest

from dlscratch.data.vocabulary import Vocabulary
from dlscratch.models import TransformerLM
from dlscratch.solver import Solver

V = 11


def small_model(dtype=np.float64, **kwargs):
    settings = dict(block_size=8, embed_dim=8, num_heads=2, num_layers=2, dtype=dtype, seed=0)
    settings.update(kwargs)
    model = TransformerLM(V, **settings)
    rng = np.random.default_rng(1)
    for key, value in model.params.items():     # larger weights: positions matter more
        if key.startswith("W"):
            model.params[key] = (0.4 * rng.standard_normal(value.shape)).astype(dtype)
    return model


@pytest.mark.parametrize("positions", ["learned", "sinusoidal"])
def test_a_position_never_sees_the_future(positions):
    model = small_model(positions=positions)
    X = np.random.default_rng(2).integers(V, size=(3, 8))
    changed = X.copy()
    changed[:, 5:] = (changed[:, 5:] + 1) % V
    scores, scores_changed = model.loss(X), model.loss(changed)
    assert np.allclose(scores[:, :5], scores_changed[:, :5])
    assert not np.allclose(scores[:, 5:], scores_changed[:, 5:])


def test_positions_make_order_matter():
    model = small_model()
    X = np.array([[1, 2, 3, 4]])
    # the last position's prediction depends on the order of what came before, not only the set
    assert not np.allclose(model.loss(X)[0, -1], model.loss(np.array([[3, 1, 2, 4]]))[0, -1])


@pytest.mark.parametrize("tie_weights", [False, True])
def test_the_cache_gives_the_scores_of_the_whole_context(tie_weights):
    model = small_model(tie_weights=tie_weights, positions="sinusoidal" if tie_weights else "learned")
    X = np.random.default_rng(3).integers(V, size=(2, 8))
    full = model.loss(X)
    cache = model.new_cache(N=2)
    parts = [model.extend(X[:, :3], cache)] + [model.extend(X[:, t:t + 1], cache)
                                               for t in range(3, 8)]
    assert cache.length == 8
    assert np.allclose(np.concatenate(parts, axis=1), full, atol=1e-12)
    with pytest.raises(ValueError, match="cannot take 1 more"):
        model.extend(X[:, :1], cache)
    primed = model.new_cache(N=2)
    model.extend(X[:, :3], primed)
    with pytest.raises(ValueError, match="a cache holding 3 positions takes one new token at a time"):
        model.extend(X[:, 3:5], primed)


def test_sampling_with_and_without_the_cache_agrees_within_a_block():
    model = small_model(block_size=16)
    for top_k in (None, 3):
        cached = model.sample([1, 2, 3], 12, temperature=1.0, top_k=top_k, seed=5)
        recomputed = model.sample([1, 2, 3], 12, temperature=1.0, top_k=top_k, seed=5,
                                  use_cache=False)
        assert cached.shape == (12,) and np.array_equal(cached, recomputed)
    greedy = model.sample([1, 2, 3], 12, temperature=0)
    assert np.array_equal(greedy, model.sample([1, 2, 3], 12, temperature=1.0, top_k=1, seed=9))


def test_sampling_goes_on_past_the_block_and_takes_text():
    vocab = Vocabulary.from_text("abcdefghijk")
    model = TransformerLM(len(vocab), block_size=6, embed_dim=8, num_heads=2, num_layers=1,
                          seed=0, vocab=vocab)
    text = model.sample("abcdefghij", 20, seed=1)     # the prime alone is longer than a block
    assert isinstance(text, str) and len(text) == 20 and vocab.decode(vocab.encode(text)) == text
    assert text == model.sample("abcdefghij", 20, seed=1)
    with pytest.raises(ValueError, match="text needs a vocabulary"):
        small_model().sample("abc", 3)
    with pytest.raises(ValueError, match="top_k must be a positive integer"):
        model.sample("abc", 3, top_k=0)


def test_top_k_draws_among_the_k_most_likely_tokens_only():
    model = small_model()
    scores = model.loss(np.array([[4, 5]]))[0, -1]
    allowed = set(np.argsort(scores)[-2:])
    drawn = {int(model.sample([4, 5], 1, top_k=2, seed=s)[0]) for s in range(40)}
    assert drawn <= allowed and len(drawn) == 2


def test_bad_arguments_get_one_clear_message():
    with pytest.raises(ValueError, match=r"num_heads \(3\) must divide embed_dim \(8\)"):
        TransformerLM(V, 8, 8, 3, 1)
    with pytest.raises(ValueError, match="positions must be one of"):
        TransformerLM(V, 8, 8, 2, 1, positions="rotary")
    with pytest.raises(ValueError, match="dropout_keep_ratio"):
        TransformerLM(V, 8, 8, 2, 1, dropout_keep_ratio=0)
    with pytest.raises(ValueError, match="at most block_size = 8 tokens long, got 9"):
        small_model().loss(np.zeros((1, 9), dtype=int))
    with pytest.raises(ValueError, match=r"\(N, T\)"):
        small_model().loss(np.zeros((2, 3)))


def test_tied_weights_share_the_embedding_and_learned_positions_are_parameters():
    tied = TransformerLM(V, 8, 8, 2, 1, tie_weights=True, positions="sinusoidal")
    assert "W_vocab" not in tied.params and "W_pos" not in tied.params
    untied = TransformerLM(V, 8, 8, 2, 3, mlp_ratio=4)
    assert untied.params["W_vocab"].shape == (8, V) and untied.params["W_pos"].shape == (8, 8)
    assert untied.params["W_up3"].shape == (8, 32) and untied.params["W_down3"].shape == (32, 8)
    assert untied.params["W_qkv2"].shape == (8, 24) and untied.params["b_qkv1"].shape == (24,)


def test_the_solver_trains_it_to_copy_the_first_half_of_a_sequence():
    """x1..x6 x1..x6: the second half is predictable only by attending six positions back."""
    rng = np.random.default_rng(0)
    first = rng.integers(1, V, size=(600, 6))
    sequences = np.concatenate([first, first], axis=1)
    X, y = sequences[:, :-1], sequences[:, 1:].copy()
    y[:, :5] = -1                                 # score the predictable half only
    data = {"X_train": X[:500], "y_train": y[:500], "X_val": X[500:], "y_val": y[500:]}
    model = TransformerLM(V, block_size=11, embed_dim=32, num_heads=2, num_layers=2, seed=0)
    solver = Solver(model, data, update_rule="adam", optim_config={"learning_rate": 3e-3},
                    batch_size=50, num_epochs=10, verbose=False, seed=0)
    solver.train()
    assert solver.metric_name == "perplexity"
    # a guess among the 10 tokens has perplexity 10; copying has perplexity 1
    assert solver.val_acc_history[0] > 5 and solver.val_acc_history[-1] < 1.1


def test_attention_maps_are_the_blocks_causal_attention_weights():
    from dlscratch import layers
    model = small_model()
    X = np.random.default_rng(2).integers(V, size=(3, 7))
    maps = model.attention_maps(X)
    assert maps.shape == (2, 3, 2, 7, 7)
    np.testing.assert_allclose(maps.sum(axis=-1), 1.0)
    assert np.all(np.triu(maps, 1) == 0)
    x, _ = model._embed(X)                         # layer 1 reads the normalised embeddings
    p = model.params
    h, _ = layers.layernorm_forward(x, p["attn_gamma1"], p["attn_beta1"], {})
    _, cache = layers.multihead_attention_forward(h, h, p["W_qkv1"], p["b_qkv1"], p["W_proj1"],
                                                  p["b_proj1"], 2, causal=True)
    np.testing.assert_allclose(maps[0], cache.weights)
    assert not np.allclose(maps[1], maps[0])


def test_num_parameters_counts_every_learnable_number():
    D, L = 8, 2
    model = TransformerLM(V, block_size=6, embed_dim=D, num_heads=2, num_layers=L, seed=0)
    per_block = 12 * D * D + 13 * D                 # attention 4D²+4D, MLP 8D²+5D, norms 4D
    assert model.num_parameters() == (V + 6) * D + L * per_block + 2 * D + D * V + V
    tied = TransformerLM(V, block_size=6, embed_dim=D, num_heads=2, num_layers=L, seed=0,
                         tie_weights=True)
    assert tied.num_parameters() == model.num_parameters() - D * V
