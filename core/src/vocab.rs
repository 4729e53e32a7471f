//! The vocabulary every binding shares: numbered, named constants defined once, here.
//!
//! [`ErrorCode`](crate::ErrorCode), [`EventKind`](crate::event::EventKind) and
//! [`ClientState`](crate::ClientState) are declared with [`numbered!`], which gives each enum
//! its numbers, a constant name (`INVALID_ARGUMENT`), its doc text and the list of every
//! value. The C header gets them through `ffi-c/src/vocab.rs`; the Java, C# and Python
//! constants are generated from [`vocabularies`] by the `vocab_generated` test of this crate
//! (`scripts/gen-vocab.sh` rewrites them; the test fails while any of them is stale).
//!
//! Adding a value: add a variant here (never reuse a number), run `scripts/gen-vocab.sh` and
//! `scripts/gen-header.sh`, and commit the regenerated files.

/// One named, numbered value of a [`Vocabulary`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    /// The stable number (what crosses every boundary).
    pub number: i64,
    /// The Rust variant name, `InvalidArgument` (C# uses it as is).
    pub variant: &'static str,
    /// The constant name without prefix, `INVALID_ARGUMENT`.
    pub name: &'static str,
    /// The documentation of the value (one line per doc comment line).
    pub doc: &'static str,
}

/// A named set of [`Term`]s, e.g. the error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vocabulary {
    /// What the set is, `error`, `event` or `state`.
    pub kind: &'static str,
    /// Every value, in number order.
    pub terms: &'static [Term],
}

/// Declares a numbered enum of the shared vocabulary (see the module docs).
///
/// Each variant is `/// doc` + `Variant = number => "CONSTANT_NAME"`.
macro_rules! numbered {
    (
        $(#[$meta:meta])*
        pub enum $name:ident : $repr:ident {
            $( $(#[doc = $doc:literal])+ $variant:ident = $num:literal => $cname:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr($repr)]
        pub enum $name {
            $( $(#[doc = $doc])+ $variant = $num, )+
        }

        impl $name {
            /// Every value with its number, name and doc, in number order.
            pub const TERMS: &'static [$crate::vocab::Term] = &[
                $( $crate::vocab::Term {
                    number: $num,
                    variant: stringify!($variant),
                    name: $cname,
                    doc: concat!($($doc, "\n"),+),
                }, )+
            ];
            /// Every value, in number order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable number of this value.
            pub fn number(self) -> $repr {
                self as $repr
            }
            /// The value with this number, if there is one.
            pub fn from_number(n: i64) -> Option<Self> {
                match n {
                    $( $num => Some($name::$variant), )+
                    _ => None,
                }
            }
            /// The constant name without prefix, e.g. `INVALID_ARGUMENT`.
            pub fn const_name(self) -> &'static str {
                match self {
                    $( $name::$variant => $cname, )+
                }
            }
        }
    };
}
pub(crate) use numbered;

/// Every vocabulary the bindings share: error codes, event kinds, client states.
pub fn vocabularies() -> [Vocabulary; 3] {
    [
        Vocabulary { kind: "error", terms: crate::ErrorCode::TERMS },
        Vocabulary { kind: "event", terms: crate::event::EventKind::TERMS },
        Vocabulary { kind: "state", terms: crate::ClientState::TERMS },
    ]
}

/// `flags` bit of a close event: the closing handshake completed.
pub const EVENT_FLAG_CLEAN: u32 = 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names_are_unique_and_round_trip() {
        for v in vocabularies() {
            let mut numbers: Vec<i64> = v.terms.iter().map(|t| t.number).collect();
            numbers.sort();
            numbers.dedup();
            assert_eq!(numbers.len(), v.terms.len(), "{}: a number is used twice", v.kind);
            let mut names: Vec<&str> = v.terms.iter().map(|t| t.name).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), v.terms.len(), "{}: a name is used twice", v.kind);
            for t in v.terms {
                assert!(!t.doc.trim().is_empty(), "{}::{} has no doc", v.kind, t.variant);
            }
        }
        for c in crate::ErrorCode::ALL {
            assert_eq!(crate::ErrorCode::from_number(c.number() as i64), Some(*c));
            assert_ne!(c.number(), 0, "0 is success, never an error code");
        }
        for k in crate::event::EventKind::ALL {
            assert_eq!(crate::event::EventKind::from_number(k.number() as i64), Some(*k));
        }
    }

    #[test]
    fn numbers_c_hosts_compile_against_stay() {
        use crate::event::EventKind;
        // Published in include/omnisock.h: these may never change.
        assert_eq!(EventKind::Pong.number(), 7);
        assert_eq!(EventKind::Handshake.number(), 8);
        assert_eq!(EventKind::Rejected.number(), 9);
        assert_eq!(crate::ErrorCode::InvalidUrl.number(), 18);
    }
}
