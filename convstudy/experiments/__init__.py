"""The experiments on convolution itself, before any network is trained (the report's sections
1-3): edge detection with hand-designed kernels, the shape arithmetic of convolution layers, and
1x1 convolution as a matrix product. Each builder computes its tables and figures from its
inputs; the report reads them (convstudy.report)."""
