//! The one error-code table shared by the Rust core and `lib/internal/errors.js`.
//! Codes are part of the public API: never rename one.

/// A stable, documented error code (`err.code` in JavaScript).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// An option has the wrong type or an out-of-range value.
    InvalidOption,
    /// A size (entry size, `maxSize`) is not a positive finite number or exceeds the bound.
    InvalidSize,
    /// A value of a type the store cannot hold.
    InvalidValue,
    /// An injected clock's `now()` threw or returned something other than a
    /// finite number of milliseconds >= 0 (raised by the JS half of the caches).
    InvalidClock,
    /// A cache was configured with no bound at all.
    Unbounded,
    /// A second opener of a shared store asked for different options.
    CacheMismatch,
    /// A native resource (thread, memory) could not be obtained.
    Native,
    /// `metrics.register()` was given no registry and the application resolves
    /// no prom-client to take the default one from (raised in JavaScript).
    NoRegistry,
    /// `checkLeaks()` of `leakguard/test` was called while another check runs
    /// in the same thread (raised in JavaScript).
    CheckRunning,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidOption => "ERR_LEAKGUARD_INVALID_OPTION",
            ErrorCode::InvalidSize => "ERR_LEAKGUARD_INVALID_SIZE",
            ErrorCode::InvalidValue => "ERR_LEAKGUARD_INVALID_VALUE",
            ErrorCode::InvalidClock => "ERR_LEAKGUARD_INVALID_CLOCK",
            ErrorCode::Unbounded => "ERR_LEAKGUARD_UNBOUNDED",
            ErrorCode::CacheMismatch => "ERR_LEAKGUARD_CACHE_MISMATCH",
            ErrorCode::Native => "ERR_LEAKGUARD_NATIVE",
            ErrorCode::NoRegistry => "ERR_LEAKGUARD_NO_REGISTRY",
            ErrorCode::CheckRunning => "ERR_LEAKGUARD_CHECK_RUNNING",
        }
    }
}

/// An error raised by a core module; the bindings turn it into a JS error whose
/// `code` is `code.as_str()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreError {
    pub code: ErrorCode,
    pub message: String,
}

impl CoreError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        CoreError {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for CoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]", self.message, self.code.as_str())
    }
}

impl std::error::Error for CoreError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_prefixed() {
        for code in [
            ErrorCode::InvalidOption,
            ErrorCode::InvalidSize,
            ErrorCode::InvalidValue,
            ErrorCode::InvalidClock,
            ErrorCode::Unbounded,
            ErrorCode::CacheMismatch,
            ErrorCode::Native,
            ErrorCode::NoRegistry,
            ErrorCode::CheckRunning,
        ] {
            assert!(code.as_str().starts_with("ERR_LEAKGUARD_"));
        }
        let e = CoreError::new(ErrorCode::InvalidSize, "too big");
        assert_eq!(e.to_string(), "too big [ERR_LEAKGUARD_INVALID_SIZE]");
    }
}
