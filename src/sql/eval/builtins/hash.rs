//! The hashing functions of `iot-sql-functions` ("Hashing functions"): `md2`, `md5`, `sha1`, `sha224`, `sha256`,
//! `sha384` and `sha512`. Each takes one string (standard string conversions apply, so `md5(1)` hashes "1"),
//! hashes its UTF-8 bytes and gives the digest as lowercase hex, as the page's examples print it. Null and
//! Undefined have no string form and give Undefined. The digests are RustCrypto's (`md2`, `md-5`, `sha1`,
//! `sha2`): the maintained implementations of these standard algorithms.

use std::fmt::Write as _;

use sha2::Digest as _;

use crate::sql::eval::convert::map_string;
use crate::sql::eval::evaluated::Evaluated;
use crate::sql::eval::value::Value;
use crate::sql::functions::Builtin;

/// `f`'s digest of `x`'s string form, in lowercase hex; Undefined when `x` has none.
pub(super) fn digest(f: Builtin, x: &Evaluated<'_>) -> Value {
    map_string(x, |s| {
        let bytes = s.as_bytes();
        match f {
            Builtin::Md2 => hex(&md2::Md2::digest(bytes)),
            Builtin::Md5 => hex(&md5::Md5::digest(bytes)),
            Builtin::Sha1 => hex(&sha1::Sha1::digest(bytes)),
            Builtin::Sha224 => hex(&sha2::Sha224::digest(bytes)),
            Builtin::Sha256 => hex(&sha2::Sha256::digest(bytes)),
            Builtin::Sha384 => hex(&sha2::Sha384::digest(bytes)),
            _ => hex(&sha2::Sha512::digest(bytes)),
        }
    })
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::sql::eval::test_support::*;
    use serde_json::json;

    /// (expression, digest): the page's two examples (`md2("hello")`, `md5("hello")`), then the digests of
    /// "hello" by the other algorithms and of the empty string, as published for each standard (RFC 1319,
    /// RFC 1321, FIPS 180-4 test values), and the standard string conversion of a non-string argument.
    const DIGESTS: &[(&str, &str)] = &[
        ("md2('hello')", "a9046c73e00331af68917d3804f70655"),
        ("md5('hello')", "5d41402abc4b2a76b9719d911017c592"),
        ("md2('')", "8350e5a3e24c153df2275c9f80692773"),
        ("md5('')", "d41d8cd98f00b204e9800998ecf8427e"),
        ("md5(1)", "c4ca4238a0b923820dcc509a6f75849b"),
        ("sha1('hello')", "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
        ("sha1('abc')", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (
            "sha224('abc')",
            "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7",
        ),
        (
            "sha256('hello')",
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        ),
        (
            "sha256('')",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        (
            "sha384('abc')",
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
             8086072ba1e7cc2358baeca134c825a7",
        ),
        (
            "sha512('abc')",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
        // UTF-8 bytes: "€" is e2 82 ac.
        ("md5('€')", "bca53fde466a76b7bee3e18997e94a7a"),
        // Other types hash their standard string form: "true", and an array's JSON.
        ("sha1(true)", "5ffe533b830f08a0326348a9160afafc8ada44db"),
        (
            "sha256(['a'])",
            "0eb5b8d6f81bc677da8a08567cc4fa9a06a57e9ec8da85ed73a7f62727996002",
        ),
    ];

    #[test]
    fn hashing_functions_give_lowercase_hex_digests() {
        for (expr, digest) in DIGESTS {
            assert_eq!(js(expr), Some(json!(digest)), "{expr}");
        }
    }

    #[test]
    fn hashing_functions_of_null_and_undefined_are_undefined() {
        for f in ["md2", "md5", "sha1", "sha224", "sha256", "sha384", "sha512"] {
            assert_eq!(val(&format!("{f}(missing)")), U, "{f}");
            assert_eq!(val(&format!("{f}(null)")), U, "{f}");
        }
    }
}
