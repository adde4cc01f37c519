"""Readers and writers of trained models (PyTorch, ONNX): float64 layers in, graphs out."""
