"""The reading path: decode an image, clean it up, find its line, read it (the line reader, or segmentation and a digit model), at run time with ONNX Runtime only."""
