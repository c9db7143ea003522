//! napi surface of the offheap module.
