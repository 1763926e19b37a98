# The blog post's build_model.py, reconstructed from its text (its code was in screenshots that were
# lost). Only change: the paths come from the command line so the benchmark can point at its data.
# Run with TensorFlow installed: python build_model.py mnist.npz handwritten.keras
import sys

import tensorflow as tf
import numpy as np

path = sys.argv[1]
with np.load(path, allow_pickle=True) as f:
    x_train, y_train = f["x_train"], f["y_train"]
    x_test, y_test = f["x_test"], f["y_test"]

x_train = x_train / 255
x_test = x_test / 255

model = tf.keras.models.Sequential()
model.add(tf.keras.Input(shape=(28, 28)))
model.add(tf.keras.layers.Flatten())
model.add(tf.keras.layers.Dense(128, activation="relu"))
model.add(tf.keras.layers.Dense(128, activation="relu"))
model.add(tf.keras.layers.Dense(10, activation="softmax"))

model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

loss, accuracy = model.evaluate(x_test, y_test)
model.fit(x_train, y_train, epochs=3, validation_split=0.1)
loss, accuracy = model.evaluate(x_test, y_test)
print(accuracy)
print(loss)

model.save(sys.argv[2])
