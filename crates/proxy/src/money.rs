//! The commission the reports and the outgoing events write, in minor units. Integer
//! arithmetic only; the decimal text of an amount is `simology_proxy_api::Decimal`'s
//! (`Price::decimal`).

/// Commission on `net` minor units at `bps` basis points: `net × bps / 10,000`, rounded
/// half up (half away from zero for a negative net, which refunds of the same orders
/// cannot make).
pub fn commission_minor(net: i64, bps: u32) -> i64 {
    let product = i128::from(net) * i128::from(bps);
    let half = if product < 0 { -5_000 } else { 5_000 };
    let rounded = (product + half) / 10_000;
    i64::try_from(rounded).unwrap_or(if rounded < 0 { i64::MIN } else { i64::MAX })
}
