"""Prints the versions of the peer installed in the benchmark environment and its devices."""
import jax
import neural_tangents as nt

print(f"jax {jax.__version__}, neural-tangents {nt.__version__}, devices {jax.devices()}")
