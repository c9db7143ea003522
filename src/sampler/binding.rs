//! napi surface of the sampler module.
