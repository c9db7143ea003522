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

/// Runs `f`, turning a Rust panic into an `ErrorCode::Native` error instead of
/// letting it unwind: every entry from JavaScript (the `#[napi]` functions and
/// the raw `extern "C"` callbacks of the bindings) goes through this, because
/// a panic unwinding out of an `extern "C"` function aborts the process.
/// `what` names the entry in the message. The payload is forgotten, not
/// dropped: a payload whose destructor panics again must not abort either.
pub fn catch_panic<R>(what: &str, f: impl FnOnce() -> R) -> Result<R, CoreError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        let detail = if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "no message".to_string()
        };
        std::mem::forget(payload);
        CoreError::new(
            ErrorCode::Native,
            format!("internal error in {what} (a Rust panic: {detail}); this is a leakguard bug, please report it"),
        )
    })
}

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

    #[test]
    fn catch_panic_turns_a_panic_into_a_native_error() {
        assert_eq!(catch_panic("ok", || 7), Ok(7));
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {})); // keep the expected panics off the test output
        let e =
            catch_panic("entryA", || -> u32 { panic!("index {} out of range", 3) }).unwrap_err();
        let s = catch_panic("entryB", || -> u32 { panic!("static message") }).unwrap_err();
        let any = catch_panic("entryC", || -> u32 { std::panic::panic_any(42u8) }).unwrap_err();
        std::panic::set_hook(hook);
        assert_eq!(e.code, ErrorCode::Native);
        assert!(
            e.message.contains("entryA") && e.message.contains("index 3 out of range"),
            "{}",
            e.message
        );
        assert!(s.message.contains("static message"), "{}", s.message);
        assert!(any.message.contains("no message"), "{}", any.message);
    }
}
