//! Terraform's IP network functions: `cidrhost`, `cidrnetmask`, `cidrsubnet` and
//! `cidrsubnets`, for IPv4 and IPv6 prefixes, following Terraform's documentation (the
//! address of a prefix is masked to its network, as Go's `ParseCIDR` does). Pure functions:
//! values in, a value (or the error Terraform reports) out. The caller makes the result unknown
//! when any argument is unknown.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::span::Span;
use crate::value::{Val, ValKind};

use super::eval::as_string;

/// The functions this family evaluates.
pub const NAMES: &[&str] = &["cidrhost", "cidrnetmask", "cidrsubnet", "cidrsubnets"];

/// An IP network as an integer address, its prefix length and its address width (32 or 128).
#[derive(Clone, Copy)]
struct Net {
    addr: u128,
    len: u32,
    bits: u32,
}

impl Net {
    fn parse(s: &str) -> Result<Net, String> {
        let bad = || format!("invalid CIDR expression: {s:?} is not an IP prefix");
        let (ip, len) = s.split_once('/').ok_or_else(bad)?;
        let ip: IpAddr = ip.parse().map_err(|_| bad())?;
        let (addr, bits) = match ip {
            IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
            IpAddr::V6(a) => (u128::from(a), 128),
        };
        if len.is_empty() || len.len() > 3 || !len.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let len: u32 = len.parse().map_err(|_| bad())?;
        if len > bits {
            return Err(bad());
        }
        Ok(Net {
            addr: addr & mask(len, bits),
            len,
            bits,
        })
    }

    fn with(self, addr: u128, len: u32) -> Net {
        Net { addr, len, ..self }
    }

    /// The last address of the network.
    fn last(self) -> u128 {
        self.addr | (full(self.bits) & !mask(self.len, self.bits))
    }

    fn contains(self, addr: u128) -> bool {
        addr & mask(self.len, self.bits) == self.addr
    }

    fn show(self) -> String {
        format!("{}/{}", ip(self.addr, self.bits), self.len)
    }

    fn family(self) -> u32 {
        if self.bits == 32 { 4 } else { 6 }
    }
}

fn full(bits: u32) -> u128 {
    if bits == 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    }
}

fn mask(len: u32, bits: u32) -> u128 {
    if len == 0 {
        0
    } else {
        (u128::MAX << (128 - len)) >> (128 - bits)
    }
}

fn ip(addr: u128, bits: u32) -> String {
    if bits == 32 {
        Ipv4Addr::from(addr as u32).to_string()
    } else {
        Ipv6Addr::from(addr).to_string()
    }
}

/// A whole number argument (numbers keep their text, so large IPv6 host numbers stay exact).
fn int(args: &[Val], i: usize, what: &str) -> Result<i128, String> {
    let v = args
        .get(i)
        .ok_or_else(|| format!("the {what} argument is missing"))?;
    let s = as_string(v).ok_or_else(|| format!("{what} must be a number"))?;
    let s = s.trim();
    if let Ok(n) = s.parse::<i128>() {
        return Ok(n);
    }
    match s.parse::<f64>() {
        Ok(f) if f.fract() == 0.0 && f.abs() < 1e30 => Ok(f as i128),
        _ => Err(format!("{what} must be a whole number, not {s}")),
    }
}

fn prefix(args: &[Val]) -> Result<Net, String> {
    let v = args.first().ok_or("the prefix argument is missing")?;
    let s = as_string(v).ok_or("prefix must be a string")?;
    Net::parse(&s)
}

/// Evaluates one of [`NAMES`] on known arguments.
pub fn call(name: &str, args: &[Val], span: Span) -> Result<Val, String> {
    let s = |v: String| Val::str(v, span);
    match name {
        "cidrhost" => {
            let net = prefix(args)?;
            let num = int(args, 1, "hostnum")?;
            let host_bits = net.bits - net.len;
            let max = if host_bits == 128 {
                u128::MAX
            } else {
                (1u128 << host_bits) - 1
            };
            let fits = |n: u128| n <= max;
            let offset = if num >= 0 {
                Some(num as u128).filter(|n| fits(*n))
            } else {
                // -1 is the last address, -2 the one before it, ...
                Some(num.unsigned_abs() - 1)
                    .filter(|n| fits(*n))
                    .map(|n| max - n)
            };
            let offset = offset.ok_or_else(|| {
                format!(
                    "prefix of {} does not accommodate a host numbered {num}",
                    net.len
                )
            })?;
            Ok(s(ip(net.addr | offset, net.bits)))
        }
        "cidrnetmask" => {
            let net = prefix(args)?;
            if net.bits != 32 {
                return Err("only IPv4 networks are supported".into());
            }
            Ok(s(ip(mask(net.len, 32), 32)))
        }
        "cidrsubnet" => {
            let net = prefix(args)?;
            let newbits = int(args, 1, "newbits")?;
            let netnum = int(args, 2, "netnum")?;
            let len = extend(net, newbits)?;
            let count_bits = len - net.len;
            if netnum < 0 || (count_bits < 127 && netnum as u128 >= (1u128 << count_bits)) {
                return Err(format!(
                    "prefix extension of {count_bits} does not accommodate a subnet numbered {netnum}"
                ));
            }
            let shift = net.bits - len;
            let offset = if shift >= 128 {
                0
            } else {
                (netnum as u128) << shift
            };
            Ok(s(net.with(net.addr | offset, len).show()))
        }
        "cidrsubnets" => {
            let net = prefix(args)?;
            let lens = (1..args.len())
                .map(|i| int(args, i, "newbits").and_then(|n| extend(net, n)))
                .collect::<Result<Vec<u32>, String>>()?;
            let Some(first) = lens.first() else {
                return Ok(Val::new(ValKind::List(Vec::new()), span));
            };
            // Terraform starts from the subnet just before the network and takes, for each
            // length, the next subnet of that length.
            let before = net.addr.wrapping_sub(1) & full(net.bits);
            let mut current = net.with(before & mask(*first, net.bits), *first);
            let mut out = Vec::with_capacity(lens.len());
            for len in lens {
                let last = net.with(current.last() & mask(len, net.bits), len).last();
                let next = last.wrapping_add(1) & full(net.bits);
                if next == 0 || !net.contains(next) {
                    return Err(format!(
                        "not enough remaining address space for a subnet with a prefix of {len} bits after {}",
                        current.show()
                    ));
                }
                current = net.with(next & mask(len, net.bits), len);
                out.push(s(current.show()));
            }
            Ok(Val::new(ValKind::List(out), span))
        }
        _ => Err(format!("{name} is not an IP network function")),
    }
}

/// The prefix length after adding `newbits` bits.
fn extend(net: Net, newbits: i128) -> Result<u32, String> {
    if newbits < 1 {
        return Err("must extend prefix by at least one bit".into());
    }
    let len = i128::from(net.len) + newbits;
    if len > i128::from(net.bits) {
        return Err(format!(
            "would extend prefix to {len} bits, which is too long for an IPv{} address",
            net.family()
        ));
    }
    Ok(len as u32)
}
