//! Generators shared by the targets: strings made of hostile fragments, biased numbers.

use proptest::prelude::*;
use proptest::sample::select;

/// Any short run of characters: printable ASCII mostly, sometimes any `char` or raw bytes read
/// as UTF-8 (lossy).
pub(crate) fn noise() -> BoxedStrategy<String> {
    prop_oneof![
        6 => proptest::collection::vec(0x20u8..0x7f, 1..6).prop_map(|b| String::from_utf8(b).expect("ASCII")),
        2 => any::<char>().prop_map(String::from),
        1 => proptest::collection::vec(any::<u8>(), 1..6).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
    .boxed()
}

/// A string of up to `max` pieces, each one of `fragments` (weight 4) or [`noise`] (weight 1).
pub(crate) fn text_of(fragments: &'static [&'static str], max: usize) -> BoxedStrategy<String> {
    let piece = prop_oneof![4 => select(fragments).prop_map(str::to_owned), 1 => noise()];
    proptest::collection::vec(piece, 0..max).prop_map(|pieces| pieces.concat()).boxed()
}

/// `unit` repeated a biased number of times: usually a few, sometimes hundreds or thousands,
/// rarely `huge`.
pub(crate) fn repeated(units: &'static [&'static str], huge: usize) -> BoxedStrategy<String> {
    let count = prop_oneof![
        20 => 1usize..8,
        4 => 8usize..300,
        2 => 300usize..3_000,
        1 => Just(huge),
    ];
    (select(units), count).prop_map(|(unit, n)| unit.repeat(n)).boxed()
}

/// Numbers that sit on the edges: 0, 1, small, powers of two around the caps, 1e15, the maxima.
pub(crate) fn edgy_u64() -> BoxedStrategy<u64> {
    prop_oneof![
        4 => 0u64..4,
        3 => 0u64..5_000,
        2 => select(&[
            255u64,
            256,
            1023,
            1024,
            4095,
            4096,
            4097,
            65_535,
            65_536,
            1 << 20,
            (1 << 20) + 1,
            16 << 20,
            (16 << 20) + 1,
            1 << 32,
            1_000_000_000_000_000,
            i64::MAX as u64,
            (i64::MAX as u64) + 1,
            u64::MAX,
        ][..]),
        1 => any::<u64>(),
    ]
    .boxed()
}

/// Bytes that print as an escaped byte string (`b"--x\r\n\x89PNG"`), not a list of numbers.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Bytes(pub(crate) Vec<u8>);

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "b\"{}\"", self.0.escape_ascii())
    }
}

impl std::ops::Deref for Bytes {
    type Target = Vec<u8>;

    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}
