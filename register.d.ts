// `leakguard/register` is imported for its effect: start() configured from
// LEAKGUARD_* environment variables (see README "## Sampler").
export {};
