"""The training path: architectures, synthetic data, augmentation, non-digits and recipes that produce the models the reading path loads. The only code that imports Keras, JAX or TensorFlow."""
