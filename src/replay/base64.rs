//! Standard base64 (RFC 4648, `+` and `/`), the alphabet of `base64OriginalPayload`. Strict: a payload that does
//! not decode exactly is reported rather than guessed at, because a wrong guess would write a wrong item.

/// Decode `text`; padding is optional, whitespace and other characters are not allowed. The error says where
/// the text stops being base64.
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    let bytes = text.as_bytes();
    let unpadded = bytes
        .strip_suffix(b"==")
        .or_else(|| bytes.strip_suffix(b"="))
        .unwrap_or(bytes);
    if bytes.len() != unpadded.len() && !bytes.len().is_multiple_of(4) {
        return Err(format!(
            "is {} characters with padding; padded base64 comes in groups of 4",
            bytes.len()
        ));
    }
    let mut out = Vec::with_capacity(unpadded.len() / 4 * 3 + 2);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for (i, &b) in unpadded.iter().enumerate() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => {
                let c = text[i..].chars().next().unwrap_or('?');
                return Err(format!(
                    "has {c:?} at character {}, which is not base64",
                    i + 1
                ));
            }
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if unpadded.len() % 4 == 1 {
        return Err(format!(
            "is {} characters long, which no base64 text is",
            unpadded.len()
        ));
    }
    if acc != 0 {
        return Err("ends in bits that encode nothing: it was cut or altered".to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decodes_what_encoders_write() {
        assert_eq!(decode("").unwrap(), b"");
        assert_eq!(decode("Zg==").unwrap(), b"f");
        assert_eq!(decode("Zm8=").unwrap(), b"fo");
        assert_eq!(decode("Zm9v").unwrap(), b"foo");
        assert_eq!(decode("Zm9vYg").unwrap(), b"foob", "padding is optional");
        // The example of the AWS IoT developer guide's "Error handling" page.
        assert_eq!(
            decode("ewogICJtZXNzYWdlIjogIkhlbGxvIHZyb20gQVdTIElvVCBjb25zb2xlIgp9").unwrap(),
            b"{\n  \"message\": \"Hello vrom AWS IoT console\"\n}"
        );
        assert_eq!(decode("+/+/").unwrap(), [0xfb, 0xff, 0xbf]);
    }

    #[test]
    fn refuses_what_is_not_base64() {
        assert!(decode("Zm9v!").unwrap_err().contains("'!' at character 5"));
        assert!(decode("Zm9 v").is_err(), "no whitespace");
        assert!(decode("Z").is_err(), "one character is no byte");
        assert!(decode("Zh==").is_err(), "leftover bits");
        assert!(decode("Zm8==").is_err(), "bad padding");
        assert!(decode("Zm9v-_").is_err(), "not the URL alphabet");
        assert!(decode("ü").is_err());
    }
}
