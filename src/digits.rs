//! The decimal digits of an integer, written without the formatting machinery: simulate's output lines, the flat
//! evaluator's `concat` and synth's string markers write integers per event or per string, where `write!` cost a
//! third of a simulated event.

/// The decimal digits of an unsigned integer, on the stack.
pub(crate) struct Digits {
    buf: [u8; 20],
    /// The digits are `buf[start..]`, written from the end.
    start: usize,
}

impl Digits {
    pub(crate) fn of_u64(mut n: u64) -> Digits {
        let mut buf = [0u8; 20];
        let mut start = buf.len();
        loop {
            start -= 1;
            buf[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        Digits { buf, start }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or("0")
    }
}

#[cfg(test)]
mod tests {
    use super::Digits;

    #[test]
    fn digits_are_what_display_writes() {
        for n in [0, 7, 10, 99, 12_345, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(Digits::of_u64(n).as_str(), n.to_string());
        }
    }
}
