//! Standard base64 (RFC 4648, `+` and `/`), the alphabet of `base64OriginalPayload`, decoded by the `base64`
//! crate in its strict form. Strict: a payload that does not decode exactly is reported rather than guessed at,
//! because a wrong guess would write a wrong item.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Padding optional (the error action pads; a hand-copied record may not), trailing bits refused.
const STRICT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(false),
);

/// Decode `text`; padding is optional, whitespace and other characters are not allowed. The error says where
/// the text stops being base64.
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    // The crate's `Indifferent` mode takes partial padding (`Zg=`); padding, when present, completes a group.
    if text.ends_with('=') && !text.len().is_multiple_of(4) {
        return Err(padding(text));
    }
    STRICT.decode(text).map_err(|e| match e {
        base64::DecodeError::InvalidByte(at, b'=')
        | base64::DecodeError::InvalidLastSymbol(at, b'=') => {
            format!(
                "has padding at character {}, where padded base64 has none",
                at + 1
            )
        }
        base64::DecodeError::InvalidByte(at, _) => {
            // The offset is in bytes; the character there may take several.
            let c = text.get(at..).and_then(|t| t.chars().next()).unwrap_or('?');
            let chars = text.get(..at).map_or(at, |t| t.chars().count());
            format!("has {c:?} at character {}, which is not base64", chars + 1)
        }
        base64::DecodeError::InvalidLength(len) => {
            format!("is {len} characters long, which no base64 text is")
        }
        base64::DecodeError::InvalidLastSymbol(..) => {
            "ends in bits that encode nothing: it was cut or altered".to_owned()
        }
        base64::DecodeError::InvalidPadding => padding(text),
    })
}

fn padding(text: &str) -> String {
    format!(
        "is {} characters with padding; padded base64 comes in groups of 4",
        text.len()
    )
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
        assert!(decode("ü").unwrap_err().contains("'ü' at character 1"));
        assert!(decode("aüb").unwrap_err().contains("'ü' at character 2"));
        assert!(decode("Zg=").unwrap_err().contains("groups of 4"));
        assert!(decode("Zh==").unwrap_err().contains("encode nothing"));
        assert!(decode("Z").unwrap_err().contains("1 characters long"));
    }
}
