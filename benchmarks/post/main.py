# The blog post's main.py, reconstructed from its text. Only change: the image and model paths
# come from the command line. Run: python main.py digit.png handwritten.keras
import sys

import cv2
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

model = tf.keras.models.load_model(sys.argv[2])

img = cv2.imread(sys.argv[1], cv2.IMREAD_GRAYSCALE)
img = cv2.resize(img, (28, 28))
img = np.invert(np.array([img]))
prediction = model.predict(img / 255)
print(f"This digit is probably a {np.argmax(prediction)}")
plt.imshow(img[0], cmap=plt.cm.binary)
plt.show()
