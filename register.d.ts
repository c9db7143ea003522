// `leakguard/register` is imported for its effect: start() configured from
// LEAKGUARD_* environment variables (see docs/register.md).
export {};
