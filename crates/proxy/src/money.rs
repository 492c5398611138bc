//! Money as the reports and the outgoing events write it: a commission in minor units,
//! and minor units as a decimal amount. Integer arithmetic only.

/// Commission on `net` minor units at `bps` basis points: `net × bps / 10,000`, rounded
/// half up (half away from zero for a negative net, which refunds of the same orders
/// cannot make).
pub fn commission_minor(net: i64, bps: u32) -> i64 {
    let product = i128::from(net) * i128::from(bps);
    let half = if product < 0 { -5_000 } else { 5_000 };
    let rounded = (product + half) / 10_000;
    i64::try_from(rounded).unwrap_or(if rounded < 0 { i64::MIN } else { i64::MAX })
}

/// Minor units as a decimal amount: `1499` with 2 decimals is `14.99`.
pub fn amount(minor: i64, decimals: u8) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let digits = minor.unsigned_abs().to_string();
    let decimals = usize::from(decimals);
    if decimals == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (units, cents) = padded.split_at(padded.len() - decimals);
    format!("{sign}{units}.{cents}")
}
