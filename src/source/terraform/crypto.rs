//! Terraform's hash, encoding and UUID functions, on plain values: `md5`, `sha1`, `sha256`,
//! `sha512` (lowercase hex of the UTF-8 bytes), `base64sha256`, `base64sha512`, `base64encode`,
//! `base64decode` and `uuidv5` (RFC 4122 version 5, with Terraform's `dns`, `url`, `oid` and
//! `x500` namespaces). Pure functions: values in, a value (or why not) out.

use md5::Md5;
use sha1::{Digest, Sha1};
use sha2::{Sha256, Sha512};

/// The raw digest of `data` for a hash function name (`md5`, `sha1`, `sha256`, `sha512`).
pub fn digest(name: &str, data: &[u8]) -> Option<Vec<u8>> {
    Some(match name {
        "md5" => Md5::digest(data).to_vec(),
        "sha1" => Sha1::digest(data).to_vec(),
        "sha256" => Sha256::digest(data).to_vec(),
        "sha512" => Sha512::digest(data).to_vec(),
        _ => return None,
    })
}

/// Lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648), as Terraform's `base64encode`.
pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 (padding required, as Go's `StdEncoding`) to bytes.
pub fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return Err("the string is not valid base64 (its length is not a multiple of 4)".into());
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (ci, chunk) in bytes.chunks(4).enumerate() {
        let last = ci + 1 == bytes.len() / 4;
        let mut n = 0u32;
        let mut pad = 0;
        for (i, &c) in chunk.iter().enumerate() {
            let v = match c {
                b'=' if last && i >= 2 => {
                    pad += 1;
                    0
                }
                _ if pad > 0 => return Err("the string is not valid base64".into()),
                _ => match B64.iter().position(|&x| x == c) {
                    Some(p) => p as u32,
                    None => return Err(format!("`{}` is not a base64 character", char::from(c))),
                },
            };
            n = (n << 6) | v;
        }
        let three = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&three[..3 - pad]);
    }
    Ok(out)
}

/// A UUID from its text form (`6ba7b810-9dad-11d1-80b4-00c04fd430c8`, dashes optional).
fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let hexs: Vec<u8> = s.bytes().filter(|b| *b != b'-').collect();
    if hexs.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in hexs.chunks(2).enumerate() {
        let t = std::str::from_utf8(pair).ok()?;
        *out.get_mut(i)? = u8::from_str_radix(t, 16).ok()?;
    }
    Some(out)
}

/// `uuidv5(namespace, name)`: the namespace is `dns`, `url`, `oid`, `x500` or a UUID.
pub fn uuidv5(namespace: &str, name: &str) -> Result<String, String> {
    let ns = match namespace {
        "dns" => "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        "url" => "6ba7b811-9dad-11d1-80b4-00c04fd430c8",
        "oid" => "6ba7b812-9dad-11d1-80b4-00c04fd430c8",
        "x500" => "6ba7b814-9dad-11d1-80b4-00c04fd430c8",
        other => other,
    };
    let ns = parse_uuid(ns)
        .ok_or_else(|| format!("`{namespace}` is not dns, url, oid, x500 or a UUID"))?;
    let mut h = Sha1::new();
    h.update(ns);
    h.update(name.as_bytes());
    let d = h.finalize();
    let mut u = [0u8; 16];
    u.copy_from_slice(&d[..16]);
    u[6] = (u[6] & 0x0f) | 0x50;
    u[8] = (u[8] & 0x3f) | 0x80;
    let x = hex(&u);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_known_values() {
        let h = |n: &str, s: &str| hex(&digest(n, s.as_bytes()).unwrap_or_default());
        assert_eq!(h("md5", "hello"), "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(
            h("sha1", "hello"),
            "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"
        );
        assert_eq!(
            h("sha256", "hello"),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert!(h("sha512", "hello").starts_with("9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caa"));
        let b = |n: &str, s: &str| base64_encode(&digest(n, s.as_bytes()).unwrap_or_default());
        assert_eq!(
            b("sha256", "hello world"),
            "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="
        );
        assert!(b("sha512", "hello world").starts_with("MJ7MSJwS1utMxA9QyQLytNDtd"));
    }

    #[test]
    fn base64_round_trips() {
        for s in ["", "f", "fo", "foo", "foob", "fooba", "foobar"] {
            let e = base64_encode(s.as_bytes());
            assert_eq!(base64_decode(&e).as_deref(), Ok(s.as_bytes()), "{s}");
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert!(base64_decode("Zm9").is_err());
        assert!(base64_decode("Zm=v").is_err());
    }

    #[test]
    fn uuidv5_follows_rfc_4122() {
        assert_eq!(
            uuidv5("dns", "www.example.com").as_deref(),
            Ok("2ed6657d-e927-568b-95e1-2665a8aea6a2")
        );
        assert_eq!(
            uuidv5(
                "6ba7b811-9dad-11d1-80b4-00c04fd430c8",
                "https://example.com/"
            ),
            uuidv5("url", "https://example.com/")
        );
        assert!(uuidv5("nope", "x").is_err());
    }
}
