"""The course's exercises: one registry read by the notebooks, the release tool and the grader.

Each exercise names
  id        a short name; stubs in the student version raise NotImplementedError("<id>: ...")
  notebook  the notebook that introduces it
  covers    the fenced code it consists of: "path/to/file.py:function" (or "file.py:Class.method")
            for package code; "notebooks/<name>.ipynb" for solution cells, which carry a
            "# exercise: <id>" line
  points    what it is worth
  tests     the tests that check it in `make test`: pytest node ids in which '*' matches
            anything, or a notebook path; a test that would pass without the exercise's code must
            not be listed
  requires  exercises whose code these tests also run (a failure there blocks this one)
The grader does not run these tests: it judges each exercise with the probes in the instructors'
assignment/probes/, which run the submission's code in a sandbox and compare with the solution.
"""
from dataclasses import dataclass, field

LAYERS, TORCH = "tests/test_layers.py::", "tests/test_against_torch.py::"
RULES = "tests/test_optimizations.py::"
CONV, CONV_TORCH = "tests/test_conv_layers.py::", "tests/test_conv_against_torch.py::"
CONV_NET = "tests/test_conv_net.py::"
RNN, RNN_TORCH = "tests/test_rnn_layers.py::", "tests/test_rnn_against_torch.py::"
RNN_NET = "tests/test_recurrent_net.py::"
W2V = "tests/test_word2vec.py::"


@dataclass(frozen=True)
class Exercise:
    id: str
    notebook: str
    covers: tuple
    points: int
    tests: tuple
    requires: tuple = field(default=())


def _layer_tests(*names):
    """The shared parametrised layer tests (gradients, dtypes, inputs untouched) for these layers."""
    return tuple(f"{LAYERS}{test}[{name}{suffix}]" for name in names
                 for test, suffix in (("test_layer_gradients", ""),
                                      ("test_layer_does_not_modify_inputs", ""),
                                      ("test_layer_keeps_dtype", "-*")))


def _loss_tests(name):
    """The shared parametrised loss tests for one loss function."""
    return (f"{LAYERS}test_loss_gradients[{name}]", f"{LAYERS}test_loss_keeps_dtype[{name}-*]",
            f"{LAYERS}test_loss_does_not_modify_inputs[{name}]")


def _rule_tests(*names):
    """The shared update-rule tests (dtypes, inputs untouched, agreement with torch.optim)."""
    return tuple(pattern for name in names for pattern in (
        f"{RULES}test_w_and_dw_are_not_modified[{name}]", f"{RULES}test_dtype_is_preserved[{name}-*]",
        f"{TORCH}test_update_rule_vs_torch_*[{name}]"))


EXERCISES = (
    Exercise("affine", "01_fully_connected_nets",
             ("dlscratch/layers/core.py:affine_forward", "dlscratch/layers/core.py:affine_backward"), 10,
             (f"{LAYERS}test_affine_known_values", f"{LAYERS}test_affine_multidimensional_shapes",
              *_layer_tests("affine"), f"{TORCH}test_affine_multidimensional")),
    Exercise("relu", "01_fully_connected_nets",
             ("dlscratch/layers/core.py:relu_forward", "dlscratch/layers/core.py:relu_backward"), 5,
             (f"{LAYERS}test_relu_known_values", *_layer_tests("relu"),
              f"{TORCH}test_elementwise[relu]")),
    Exercise("sigmoid_tanh", "01_fully_connected_nets",
             ("dlscratch/layers/core.py:sigmoid_forward", "dlscratch/layers/core.py:sigmoid_backward",
              "dlscratch/layers/core.py:tanh_forward", "dlscratch/layers/core.py:tanh_backward"), 5,
             (f"{LAYERS}test_sigmoid_and_tanh_known_values",
              f"{LAYERS}test_sigmoid_tanh_stable_for_large_inputs[*]",
              *_layer_tests("sigmoid", "tanh"), f"{TORCH}test_elementwise[sigmoid]",
              f"{TORCH}test_elementwise[tanh]", f"{TORCH}test_sigmoid_extreme_values_match_torch")),
    Exercise("softmax_loss", "01_fully_connected_nets",
             ("dlscratch/layers/losses.py:log_softmax", "dlscratch/layers/losses.py:softmax_loss"), 10,
             (f"{LAYERS}test_softmax_loss_*", f"{LAYERS}test_log_softmax_*", *_loss_tests("softmax_loss"),
              f"{TORCH}test_softmax_loss_vs_cross_entropy")),
    Exercise("svm_loss", "01_fully_connected_nets", ("dlscratch/layers/losses.py:svm_loss",), 10,
             (f"{LAYERS}test_svm_loss_hand_computed", *_loss_tests("svm_loss"),
              f"{TORCH}test_svm_loss_vs_torch_hinge")),
    Exercise("fc_net", "01_fully_connected_nets",
             ("dlscratch/models/fc_net.py:FullyConnectedNet._forward",
              "dlscratch/models/fc_net.py:FullyConnectedNet._backward",
              "dlscratch/models/classifier.py:Classifier._add_regularization"), 20,
             tuple(f"tests/test_models.py::{test}" for test in (
                 "test_gradients_of_every_configuration[*]",
                 "test_initial_loss_is_log_of_the_number_of_classes",
                 "test_regularisation_adds_half_reg_times_squared_weights",
                 "test_dtype_is_kept_everywhere[*]",
                 "test_test_mode_returns_scores_and_uses_batchnorm_running_statistics",
                 "test_dropout_mask_is_fixed_per_batch_but_differs_between_batches_and_layers",
                 "test_unseeded_dropout_draws_fresh_masks")),
             requires=("affine", "relu", "softmax_loss", "normalization", "dropout")),
    Exercise("solver_step", "01_fully_connected_nets",
             ("dlscratch/solver.py:Solver._update_parameter",), 10,
             tuple(f"tests/test_solver.py::{test}" for test in (
                 "test_each_epoch_visits_every_example_exactly_once",
                 "test_best_parameters_follow_the_model_metric_and_are_restored",
                 "test_callable_update_rule_is_used",
                 "test_shuffle_false_feeds_the_examples_in_order_every_epoch")),
             requires=("sgd",)),
    Exercise("sgd", "02_optimizers", ("dlscratch/optimizations.py:sgd",), 5,
             (f"{RULES}test_sgd_default_learning_rate", f"{RULES}test_sgd_given_learning_rate",
              *_rule_tests("sgd"))),
    Exercise("momentum", "02_optimizers",
             ("dlscratch/optimizations.py:sgd_momentum", "dlscratch/optimizations.py:nesterov"), 10,
             (f"{RULES}test_sgd_momentum_defaults_and_velocity", f"{RULES}test_nesterov_two_steps",
              f"{RULES}test_state_is_carried_in_config[sgd_momentum]",
              f"{RULES}test_state_is_carried_in_config[nesterov]",
              *_rule_tests("sgd_momentum", "nesterov"))),
    Exercise("adagrad_rmsprop", "02_optimizers",
             ("dlscratch/optimizations.py:adagrad", "dlscratch/optimizations.py:rmsprop"), 10,
             (f"{RULES}test_adagrad_defaults_and_cache", f"{RULES}test_rmsprop_defaults_and_cache",
              f"{RULES}test_state_is_carried_in_config[adagrad]",
              f"{RULES}test_state_is_carried_in_config[rmsprop]",
              f"{TORCH}test_update_rule_vs_torch_*[rmsprop_defaults]",
              *_rule_tests("adagrad", "rmsprop"))),
    Exercise("adam", "02_optimizers",
             ("dlscratch/optimizations.py:_adam_step", "dlscratch/optimizations.py:adamw"), 10,
             (f"{RULES}test_adam_*", f"{RULES}test_adamw_*",
              f"{RULES}test_state_is_carried_in_config[adam]",
              f"{RULES}test_state_is_carried_in_config[adamw]",
              f"{TORCH}test_update_rule_vs_torch_*[adam_defaults]", *_rule_tests("adam", "adamw"))),
    Exercise("valley_path", "02_optimizers", ("notebooks/02_optimizers.ipynb",), 5,
             ("notebooks/02_optimizers.ipynb",),
             requires=("sgd", "momentum", "adagrad_rmsprop", "adam", "fc_net", "solver_step")),
    Exercise("normalization", "03_normalization_and_dropout",
             ("dlscratch/layers/normalization.py:_normalize", "dlscratch/layers/normalization.py:_normalize_backward",
              "dlscratch/layers/normalization.py:batchnorm_forward", "dlscratch/layers/normalization.py:batchnorm_backward",
              "dlscratch/layers/normalization.py:layernorm_forward", "dlscratch/layers/normalization.py:layernorm_backward"), 20,
             (f"{LAYERS}test_batchnorm_running_*", f"{LAYERS}test_batchnorm_test_mode_*",
              f"{LAYERS}test_batchnorm_train_output_statistics", f"{LAYERS}test_layernorm_*",
              f"{LAYERS}test_float32_kept_with_numpy_float64_hyperparameters[batchnorm-*]",
              f"{LAYERS}test_float32_kept_with_numpy_float64_hyperparameters[layernorm-*]",
              *_layer_tests("batchnorm_train", "batchnorm_test", "layernorm"),
              f"{TORCH}test_batchnorm_*", f"{TORCH}test_layernorm_vs_torch")),
    Exercise("dropout", "03_normalization_and_dropout",
             ("dlscratch/layers/dropout.py:dropout_forward", "dlscratch/layers/dropout.py:dropout_backward"), 10,
             (f"{LAYERS}test_dropout_backward_uses_the_forward_mask",
              f"{LAYERS}test_dropout_p_one_keeps_everything", f"{LAYERS}test_dropout_seed_reproducible",
              f"{LAYERS}test_dropout_train_keeps_fraction_p_and_preserves_the_mean[*]",
              f"{LAYERS}test_float32_kept_with_numpy_float64_hyperparameters[dropout-*]",
              *_layer_tests("dropout"), f"{TORCH}test_dropout_backward_is_mask_over_p")),
    Exercise("conv_naive", "04_convolutional_nets",
             ("dlscratch/layers/conv.py:conv_forward_naive", "dlscratch/layers/conv.py:conv_backward_naive"), 15,
             tuple(f"{CONV}{test}" for test in (
                 "test_conv_known_values[naive]", "test_conv_zero_padding_and_cross_correlation[naive]",
                 "test_conv_output_shape_is_rounded_down[*naive*]", "test_conv_naive_gradients[*]",
                 "test_conv_keeps_dtype_and_inputs[*naive*]"))
             + (f"{CONV_TORCH}test_conv_matches_conv2d[*naive*]",)),
    Exercise("max_pool_naive", "04_convolutional_nets",
             ("dlscratch/layers/conv.py:max_pool_forward_naive",
              "dlscratch/layers/conv.py:max_pool_backward_naive"), 10,
             tuple(f"{CONV}{test}" for test in (
                 "test_max_pool_known_values[naive]",
                 "test_overlapping_windows_accumulate_at_a_shared_maximum[naive]",
                 "test_max_pool_output_shape_is_rounded_down[*naive*]", "test_max_pool_gradients[*naive*]",
                 "test_max_pool_keeps_dtype_and_input[*naive*]"))
             + (f"{CONV_TORCH}test_max_pool_matches_max_pool2d[*naive*]",)),
    Exercise("conv_fast", "04_convolutional_nets",
             ("dlscratch/layers/conv.py:_im2col", "dlscratch/layers/conv.py:_col2im",
              "dlscratch/layers/conv.py:conv_forward", "dlscratch/layers/conv.py:conv_backward"), 20,
             tuple(f"{CONV}{test}" for test in (
                 "test_conv_known_values[fast]", "test_conv_zero_padding_and_cross_correlation[fast]",
                 "test_conv_output_shape_is_rounded_down[*fast*]", "test_conv_fast_gradients[*]",
                 "test_conv_fast_equals_naive[*]", "test_conv_fast_accepts_any_memory_layout",
                 "test_conv_keeps_dtype_and_inputs[*fast*]", "test_conv_float32_matches_float64",
                 "test_conv_sandwich_gradients[conv_relu]"))
             + (f"{CONV_TORCH}test_conv_matches_conv2d[*fast*]", f"{CONV_TORCH}test_conv_float32_matches_conv2d"),
             requires=("conv_naive", "relu")),
    Exercise("max_pool_fast", "04_convolutional_nets",
             ("dlscratch/layers/conv.py:_windows", "dlscratch/layers/conv.py:max_pool_forward",
              "dlscratch/layers/conv.py:max_pool_backward"), 10,
             tuple(f"{CONV}{test}" for test in (
                 "test_max_pool_known_values[fast]",
                 "test_overlapping_windows_accumulate_at_a_shared_maximum[fast]",
                 "test_max_pool_output_shape_is_rounded_down[*fast*]", "test_max_pool_gradients[*fast*]",
                 "test_max_pool_fast_equals_naive[*]", "test_max_pool_reads_the_convolutions_output_layout",
                 "test_max_pool_keeps_dtype_and_input[*fast*]", "test_conv_sandwich_gradients[conv_relu_pool]"))
             + (f"{CONV_TORCH}test_max_pool_matches_max_pool2d[*fast*]",),
             requires=("max_pool_naive", "conv_fast", "relu")),
    Exercise("spatial_norm", "04_convolutional_nets",
             ("dlscratch/layers/normalization.py:spatial_batchnorm_forward",
              "dlscratch/layers/normalization.py:spatial_batchnorm_backward",
              "dlscratch/layers/normalization.py:spatial_groupnorm_forward",
              "dlscratch/layers/normalization.py:spatial_groupnorm_backward"), 15,
             tuple(f"{CONV}{test}" for test in (
                 "test_spatial_batchnorm_standardises_each_channel", "test_spatial_batchnorm_gradients[*]",
                 "test_spatial_groupnorm_gradients[*]",
                 "test_spatial_groupnorm_standardises_each_group_of_each_example",
                 "test_spatial_norms_keep_dtype[*]", "test_conv_norm_relu_gradients[*]"))
             + (f"{CONV_TORCH}test_spatial_batchnorm_matches_batch_norm",
                f"{CONV_TORCH}test_spatial_groupnorm_matches_group_norm[*]"),
             requires=("normalization", "conv_fast", "max_pool_fast", "relu")),
    Exercise("conv_net", "04_convolutional_nets",
             ("dlscratch/models/conv_net.py:ThreeLayerConvNet._forward",
              "dlscratch/models/conv_net.py:ThreeLayerConvNet._backward",
              "dlscratch/models/conv_net.py:ConvNet._conv_block_forward",
              "dlscratch/models/conv_net.py:ConvNet._conv_block_backward",
              "dlscratch/models/conv_net.py:ConvNet._forward",
              "dlscratch/models/conv_net.py:ConvNet._backward"), 20,
             tuple(f"{CONV_NET}{test}" for test in (
                 "test_three_layer_gradients[*]", "test_three_layer_parameter_shapes_with_odd_image_size",
                 "test_three_layer_defaults_follow_cs231n", "test_three_layer_dtype_is_kept",
                 "test_convnet_gradients_of_every_configuration[*]", "test_convnet_parameter_names_and_shapes",
                 "test_convnet_he_initialisation_and_initial_loss",
                 "test_regularisation_adds_half_reg_times_squared_weights", "test_dtype_is_kept_everywhere[*]",
                 "test_batchnorm_test_mode_uses_running_statistics", "test_overfits_a_tiny_dataset[*]")),
             requires=("conv_fast", "max_pool_fast", "spatial_norm", "affine", "relu", "softmax_loss",
                       "fc_net", "adam", "solver_step")),
    Exercise("rnn", "05_recurrent_nets",
             tuple(f"dlscratch/layers/recurrent.py:{name}" for name in (
                 "rnn_cell_forward", "rnn_cell_backward", "rnn_step_forward", "rnn_step_backward",
                 "rnn_forward", "rnn_backward", "temporal_affine_forward",
                 "temporal_affine_backward")), 15,
             tuple(f"{RNN}{test}" for test in (
                 "test_layer_gradients[rnn]", "test_layer_gradients[rnn_step]",
                 "test_cell_gradients_of_its_projection_and_state[rnn]",
                 "test_a_step_is_its_cell_after_the_input_projection[rnn]",
                 "test_layer_gradients[temporal_affine]", "test_rnn_step_known_values",
                 "test_sequence_forward_equals_a_loop_of_steps[rnn]",
                 "test_sequence_backward_equals_a_loop_of_steps[rnn]",
                 "test_temporal_affine_matches_affine_at_every_step",
                 "test_layer_keeps_dtype[rnn-*]", "test_layer_keeps_dtype[rnn_step-*]",
                 "test_layer_keeps_dtype[temporal_affine-*]",
                 "test_layer_does_not_modify_inputs[rnn]",
                 "test_layer_does_not_modify_inputs[rnn_step]",
                 "test_layer_does_not_modify_inputs[temporal_affine]"))
             + (f"{RNN_TORCH}test_rnn_against_a_torch_loop",
                f"{RNN_TORCH}test_temporal_affine_against_torch")),
    Exercise("lstm", "05_recurrent_nets",
             tuple(f"dlscratch/layers/recurrent.py:{name}" for name in (
                 "lstm_cell_forward", "lstm_cell_backward", "lstm_step_forward",
                 "lstm_step_backward", "lstm_forward", "lstm_backward")), 20,
             tuple(f"{RNN}{test}" for test in (
                 "test_layer_gradients[lstm]", "test_lstm_step_gradients",
                 "test_cell_gradients_of_its_projection_and_state[lstm]",
                 "test_a_step_is_its_cell_after_the_input_projection[lstm]",
                 "test_lstm_gradients_with_an_initial_cell_state",
                 "test_lstm_step_with_zero_weights",
                 "test_lstm_gate_order_is_i_f_o_g",
                 "test_sequence_forward_equals_a_loop_of_steps[lstm]",
                 "test_sequence_backward_equals_a_loop_of_steps[lstm]",
                 "test_lstm_forward_c0_and_cell_states_in_cache", "test_layer_keeps_dtype[lstm-*]",
                 "test_layer_keeps_dtype[lstm_step-*]", "test_layer_does_not_modify_inputs[lstm]",
                 "test_layer_does_not_modify_inputs[lstm_step]"))
             + (f"{RNN_TORCH}test_lstm_against_torch_nn_lstm[*]",
                f"{RNN_TORCH}test_lstm_step_against_torch_lstm_cell"),
             requires=("rnn",)),
    Exercise("gru", "05_recurrent_nets",
             tuple(f"dlscratch/layers/recurrent.py:{name}" for name in (
                 "gru_cell_forward", "gru_cell_backward", "gru_step_forward",
                 "gru_step_backward", "gru_forward", "gru_backward")), 15,
             tuple(f"{RNN}{test}" for test in (
                 "test_layer_gradients[gru]", "test_layer_gradients[gru_step]",
                 "test_cell_gradients_of_its_projection_and_state[gru]",
                 "test_a_step_is_its_cell_after_the_input_projection[gru]",
                 "test_gru_step_known_values",
                 "test_gru_reset_gate_multiplies_prev_h_before_Wh",
                 "test_sequence_forward_equals_a_loop_of_steps[gru]",
                 "test_sequence_backward_equals_a_loop_of_steps[gru]",
                 "test_layer_keeps_dtype[gru-*]",
                 "test_layer_keeps_dtype[gru_step-*]", "test_layer_does_not_modify_inputs[gru]",
                 "test_layer_does_not_modify_inputs[gru_step]"))
             + (f"{RNN_TORCH}test_gru_against_a_torch_loop",
                f"{RNN_TORCH}test_gru_against_torch_nn_gru",
                f"{RNN_TORCH}test_gru_step_against_a_torch_step"),
             requires=("rnn",)),
    Exercise("word_embedding", "05_recurrent_nets",
             ("dlscratch/layers/recurrent.py:word_embedding_forward",
              "dlscratch/layers/recurrent.py:word_embedding_backward"), 5,
             (f"{RNN}test_word_embedding_gradient_with_repeated_ids",
              f"{RNN}test_word_embedding_forward_values",
              f"{RNN}test_layer_keeps_dtype[word_embedding-*]",
              f"{RNN}test_layer_does_not_modify_inputs[word_embedding]",
              f"{RNN_TORCH}test_word_embedding_against_torch")),
    Exercise("temporal_loss", "05_recurrent_nets",
             ("dlscratch/layers/losses.py:temporal_softmax_loss",), 5,
             (f"{RNN}test_temporal_softmax_loss_gradient_with_mask",
              f"{RNN}test_temporal_softmax_loss_of_equal_scores_is_T_log_V",
              f"{RNN}test_temporal_softmax_loss_mask_leaves_steps_out",
              f"{RNN}test_temporal_softmax_loss_keeps_dtype[*]",
              f"{RNN_TORCH}test_temporal_softmax_loss_against_torch"),
             requires=("softmax_loss",)),
    Exercise("recurrent_net", "05_recurrent_nets",
             ("dlscratch/models/recurrent_net.py:RecurrentNet._forward",
              "dlscratch/models/recurrent_net.py:RecurrentNet._backward"), 20,
             tuple(f"{RNN_NET}{test}" for test in (
                 "test_gradients[*]", "test_gradients_from_a_carried_state[*]",
                 "test_loss_is_per_token_and_starts_near_log_V[*]", "test_dtype_is_kept[*]",
                 "test_scores_shape", "test_uniform_model_has_perplexity_vocab_size",
                 "test_evaluate_averages_over_tokens_and_skips_negative_targets",
                 "test_state_is_carried_between_training_calls_and_reset[*]",
                 "test_two_chunks_with_a_carried_state_equal_one_long_sequence[*]",
                 "test_state_is_not_carried_when_switched_off_or_batch_size_changes",
                 "test_scoring_and_evaluation_leave_the_state_alone",
                 "test_sample_shapes_and_determinism[*]", "test_sample_follows_the_model",
                 "test_sample_with_a_vocabulary_and_unseen_characters",
                 "test_solver_learns_a_repeating_text_with_truncated_bptt")),
             requires=("rnn", "lstm", "gru", "word_embedding", "temporal_loss", "softmax_loss",
                       "adam", "solver_step")),
    # --- 06_word2vec ---
    Exercise("word2vec", "06_word2vec",
             ("dlscratch/models/word2vec.py:Word2Vec._forward",
              "dlscratch/models/word2vec.py:Word2Vec._backward"), 20,
             (*(f"{W2V}{test}" for test in (
                 "test_gradients[*]", "test_loss_at_word2vec_initialisation[*]",
                 "test_skipgram_negative_sampling_known_values", "test_repeated_words_accumulate[*]",
                 "test_noise_equal_to_the_true_word_is_ignored[*]",
                 "test_sparse_loss_holds_the_same_gradients[*]", "test_float32_is_kept[*]",
                 "test_negative_sampling_draws_noise_when_y_holds_only_true_words",
                 "test_solver_row_updates_equal_dense_sgd[*]",
                 "test_skipgram_learns_the_planted_analogies", "test_cbow_and_softmax_learn_too")),
              "tests/test_word2vec_torch.py::*"),
             requires=("softmax_loss", "solver_step")),
    # --- 07_seq2seq_attention ---
    Exercise("attention", "07_seq2seq_attention",
             ("dlscratch/layers/attention.py:attention_forward",
              "dlscratch/layers/attention.py:attention_backward"), 10,
             tuple(f"tests/test_attention.py::{test}" for test in (
                 "test_attention_gradients[*]", "test_attention_equals_the_formula_written_out",
                 "test_masked_keys_get_exactly_zero_weight_and_rows_sum_to_one",
                 "test_masked_keys_and_values_do_not_matter_and_get_no_gradient",
                 "test_an_all_true_mask_equals_no_mask", "test_large_scores_do_not_overflow",
                 "test_attention_keeps_dtype[*]", "test_attention_does_not_modify_inputs"))
             + ("tests/test_attention_torch.py::test_attention_matches_scaled_dot_product_attention[*]",
                "tests/test_attention_torch.py::test_attention_weights_match_autograd_of_the_formula"),
             requires=("softmax_loss",)),
    Exercise("seq2seq", "07_seq2seq_attention",
             ("dlscratch/models/seq2seq.py:recurrence_forward",
              "dlscratch/models/seq2seq.py:recurrence_backward",
              "dlscratch/models/seq2seq.py:Seq2Seq._encode", "dlscratch/models/seq2seq.py:Seq2Seq._decode",
              "dlscratch/models/seq2seq.py:Seq2Seq._forward",
              "dlscratch/models/seq2seq.py:Seq2Seq._backward"), 20,
             tuple(f"tests/test_seq2seq.py::{test}" for test in (
                 "test_gradients[*]", "test_padding_changes_nothing[*]",
                 "test_final_encoder_state_is_the_state_at_the_last_real_token[*]",
                 "test_padded_source_positions_get_no_attention",
                 "test_loss_is_per_target_token_and_starts_near_log_V", "test_dtype_is_kept[*]")),
             requires=("attention", "lstm", "gru", "rnn", "word_embedding", "temporal_loss",
                       "softmax_loss", "sigmoid_tanh")),
    Exercise("seq2seq_decoding", "07_seq2seq_attention",
             ("dlscratch/models/seq2seq.py:Seq2Seq._search",), 10,
             tuple(f"tests/test_seq2seq.py::{test}" for test in (
                 "test_greedy_decoding_picks_the_most_likely_token_at_every_step[*]",
                 "test_translations_do_not_depend_on_padding[*]",
                 "test_beam_search_finds_the_most_likely_sequence",
                 "test_beam_search_scores_at_least_as_high_as_greedy",
                 "test_decoding_stops_at_the_end_token[*]", "test_translate_accepts_lists_of_sequences",
                 "test_exact_match_and_token_accuracy", "test_solver_learns_to_reverse_sequences")),
             requires=("seq2seq", "attention", "adam", "solver_step")),
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
