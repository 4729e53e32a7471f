//! Line framing (MMDAgent-EX style): text is a stream of `"\n"`-terminated lines.

/// Splits received text into lines, keeping an unterminated tail for the next message.
#[derive(Debug, Default)]
pub struct LineSplitter {
    tail: String,
}

impl LineSplitter {
    /// Feeds one text message and returns the complete lines in it (without `"\n"` or a
    /// trailing `"\r"`). Empty lines are skipped.
    pub fn feed(&mut self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(i) = rest.find('\n') {
            let mut line = std::mem::take(&mut self.tail);
            line.push_str(&rest[..i]);
            if line.ends_with('\r') {
                line.pop();
            }
            if !line.is_empty() {
                out.push(line);
            }
            rest = &rest[i + 1..];
        }
        self.tail.push_str(rest);
        out
    }

    /// Returns the unterminated tail, if any (called when the connection ends).
    pub fn finish(&mut self) -> Option<String> {
        let t = std::mem::take(&mut self.tail);
        (!t.is_empty()).then_some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_joins_across_messages() {
        let mut s = LineSplitter::default();
        assert_eq!(s.feed("a\nb\n"), vec!["a", "b"]);
        assert_eq!(s.feed("par"), Vec::<String>::new());
        assert_eq!(s.feed("tial\r\n\nnext"), vec!["partial"]);
        assert_eq!(s.finish().as_deref(), Some("next"));
        assert_eq!(s.finish(), None);
    }
}
