//! The 64-bit finalizer of MurmurHash3 (`fmix64`): spreads every input bit over the output.
//! Shared by the capability features and the injection model's feature hashing; both models'
//! weights are trained against it, so it must never change.

#[inline]
pub fn fmix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}
