//! Checked conversion of C arguments.

use std::ffi::{c_char, CStr};

use omnisock_core::{Error, ErrorCode};

/// A required NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string valid for the call.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, name: &str) -> Result<&'a str, Error> {
    if p.is_null() {
        return Err(Error::invalid(format!("{name} must not be NULL")));
    }
    CStr::from_ptr(p)
        .to_str()
        .map_err(|e| Error::new(ErrorCode::InvalidUtf8, format!("{name} is not valid UTF-8: {e}")))
}

/// An optional string argument: NULL means `None`.
///
/// # Safety
/// As for [`str_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(p: *const c_char, name: &str) -> Result<Option<&'a str>, Error> {
    if p.is_null() {
        Ok(None)
    } else {
        str_arg(p, name).map(Some)
    }
}

/// A byte buffer argument; NULL is allowed only with length 0.
///
/// # Safety
/// `p` must be NULL or point to `len` readable bytes valid for the call.
pub(crate) unsafe fn bytes_arg<'a>(p: *const u8, len: usize, name: &str) -> Result<&'a [u8], Error> {
    if p.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(Error::invalid(format!("{name} is NULL but its length is {len}")));
    }
    if len > isize::MAX as usize {
        return Err(Error::invalid(format!("{name}: length {len} is too large")));
    }
    Ok(std::slice::from_raw_parts(p, len))
}

/// Refuses a NULL buffer with a non-zero length before anything else looks at the length.
pub(crate) fn check_ptr<T>(p: *const T, len: usize, name: &str) -> Result<(), Error> {
    if p.is_null() && len > 0 {
        return Err(Error::invalid(format!("{name} is NULL but its length is {len}")));
    }
    Ok(())
}

/// Copies the host's bytes into memory omnisock owns, failing cleanly (instead of aborting the
/// host process) when that much memory cannot be had.
pub(crate) fn copy_bytes(bytes: &[u8], name: &str) -> Result<Vec<u8>, Error> {
    let mut v = Vec::new();
    v.try_reserve_exact(bytes.len())
        .map_err(|_| Error::new(ErrorCode::MessageTooBig, format!("{name}: cannot allocate {} bytes for a copy", bytes.len())))?;
    v.extend_from_slice(bytes);
    Ok(v)
}

/// Writes an out-parameter after checking it is not NULL.
///
/// # Safety
/// `p` must be NULL or valid for a write of `T`.
pub(crate) unsafe fn write_out<T>(p: *mut T, value: T, name: &str) -> Result<(), Error> {
    if p.is_null() {
        return Err(Error::invalid(format!("{name} must not be NULL")));
    }
    p.write(value);
    Ok(())
}

/// Checks an out-parameter before doing work whose result would be lost.
pub(crate) fn need_out<T>(p: *mut T, name: &str) -> Result<(), Error> {
    if p.is_null() {
        Err(Error::invalid(format!("{name} must not be NULL")))
    } else {
        Ok(())
    }
}
