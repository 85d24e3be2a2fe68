//! A linear model over `hashing` features, loaded from a versioned, checksummed artifact.
//!
//! File layout (little endian): magic `RCLM`, u32 format version, u32 feature version, u32
//! n_buckets, u32 n_dense, u32 n_out, u32 name length + UTF-8 name, n_out × f32 column scale,
//! n_buckets × n_out i8 (weight = q × scale of its column), n_dense × n_out f32, then a u64
//! FNV-1a checksum of all preceding bytes. Anything that fails a check is an error and the
//! router keeps its fallback (the keyword model).
//!
//! Quantised weights are padded to `K` lanes per bucket so one lookup is one aligned load and
//! the per-zone sums are plain integer vector adds.

use super::hashing::{self, Sink, FEATURE_VERSION, N_BUCKETS, N_DENSE, ZONES};

pub const MAGIC: &[u8; 4] = b"RCLM";
pub const FORMAT_VERSION: u32 = 1;

pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[derive(Debug, Clone)]
pub struct LinearModel<const K: usize> {
    pub name: String,
    pub n_out: usize,
    scale: [f32; K],
    weights: Vec<[i8; K]>,
    dense: Vec<[f32; K]>,
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or_else(|| "artifact truncated".to_string())?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, String> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn f32(&mut self) -> Result<f32, String> {
        Ok(f32::from_bits(self.u32()?))
    }
}

impl<const K: usize> LinearModel<K> {
    /// Parse and verify an artifact with at most `K` outputs.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() < 12 || &bytes[..4] != MAGIC {
            return Err("not a routecore model artifact (bad magic)".into());
        }
        let body = &bytes[..bytes.len() - 8];
        let mut sum = [0u8; 8];
        sum.copy_from_slice(&bytes[bytes.len() - 8..]);
        if fnv1a(body) != u64::from_le_bytes(sum) {
            return Err("model artifact checksum mismatch".into());
        }
        let mut r = Reader { b: body, at: 4 };
        let format = r.u32()?;
        if format != FORMAT_VERSION {
            return Err(format!("model format {format}, expected {FORMAT_VERSION}"));
        }
        let fv = r.u32()?;
        if fv != FEATURE_VERSION {
            return Err(format!(
                "model trained on feature version {fv}, this build computes {FEATURE_VERSION}"
            ));
        }
        let (nb, nd, n_out) = (r.u32()? as usize, r.u32()? as usize, r.u32()? as usize);
        if nb != N_BUCKETS || nd != N_DENSE || n_out == 0 || n_out > K {
            return Err(format!(
                "model shape {nb}×{nd}×{n_out} does not fit {N_BUCKETS}×{N_DENSE}×{K}"
            ));
        }
        let name_len = r.u32()? as usize;
        let name = std::str::from_utf8(r.take(name_len.min(256))?)
            .map_err(|_| "model name is not UTF-8".to_string())?
            .to_string();
        let mut scale = [0.0f32; K];
        for s in scale.iter_mut().take(n_out) {
            *s = r.f32()?;
        }
        let raw = r.take(nb * n_out)?;
        let weights = raw
            .chunks_exact(n_out)
            .map(|c| {
                let mut w = [0i8; K];
                for (o, &q) in w.iter_mut().zip(c) {
                    *o = q as i8;
                }
                w
            })
            .collect();
        let mut dense = vec![[0.0f32; K]; nd];
        for row in dense.iter_mut() {
            for v in row.iter_mut().take(n_out) {
                *v = r.f32()?;
            }
        }
        if r.at != body.len() {
            return Err("trailing bytes in model artifact".into());
        }
        if scale
            .iter()
            .chain(dense.iter().flatten())
            .any(|v| !v.is_finite())
        {
            return Err("non-finite value in model artifact".into());
        }
        Ok(LinearModel {
            name,
            n_out,
            scale,
            weights,
            dense,
        })
    }

    /// Copy a one-output model into lane `n_out` (a padding lane), so one lookup per feature
    /// feeds both heads. Exact: each lane keeps its own scale and dense row, and the zone
    /// normalisation depends only on the feature counts, which both heads share.
    pub fn with_extra_lane(mut self, other: &LinearModel<1>) -> Result<Self, String> {
        let k = self.n_out;
        if k >= K {
            return Err(format!("no free lane for a second head ({k} of {K} used)"));
        }
        self.scale[k] = other.scale[0];
        for (row, w) in self.weights.iter_mut().zip(&other.weights) {
            row[k] = w[0];
        }
        for (row, d) in self.dense.iter_mut().zip(&other.dense) {
            row[k] = d[0];
        }
        self.n_out = k + 1;
        Ok(self)
    }

    /// Finish a pass: logits from the per-zone integer sums and the dense features.
    pub fn logits(&self, acc: &Accumulator<K>, dense: &[f32; N_DENSE]) -> [f32; K] {
        let zs = hashing::zone_scale(&acc.counts);
        let mut out = [0.0f32; K];
        for (k, o) in out.iter_mut().enumerate().take(self.n_out) {
            let s: f32 = zs
                .iter()
                .zip(acc.sums.iter())
                .map(|(scale, sums)| scale * sums[k] as f32)
                .sum();
            *o = s * self.scale[k];
        }
        for (d, row) in dense.iter().zip(&self.dense) {
            for (o, w) in out.iter_mut().zip(row) {
                *o += d * w;
            }
        }
        out
    }
}

/// Per-zone integer sums of one model's quantised weights.
pub struct Accumulator<const K: usize> {
    pub sums: [[i32; K]; ZONES],
    pub counts: [u32; ZONES],
}

impl<const K: usize> Default for Accumulator<K> {
    fn default() -> Self {
        Accumulator {
            sums: [[0; K]; ZONES],
            counts: [0; ZONES],
        }
    }
}

impl<const K: usize> Accumulator<K> {
    #[inline]
    pub fn add(&mut self, model: &LinearModel<K>, zone: usize, bucket: u32) {
        let w = &model.weights[bucket as usize & (N_BUCKETS - 1)];
        let s = &mut self.sums[zone];
        for k in 0..K {
            s[k] += i32::from(w[k]);
        }
        self.counts[zone] += 1;
    }

    /// `add` for each bucket, summing in locals (registers) and storing once.
    #[inline]
    pub fn add_many(&mut self, model: &LinearModel<K>, zone: usize, buckets: &[u32]) {
        let mut local = [0i32; K];
        for &b in buckets {
            let w = &model.weights[b as usize & (N_BUCKETS - 1)];
            for k in 0..K {
                local[k] += i32::from(w[k]);
            }
        }
        let s = &mut self.sums[zone];
        for k in 0..K {
            s[k] += local[k];
        }
        self.counts[zone] += buckets.len() as u32;
    }
}

/// One pass feeding one model.
pub struct One<'m, const K: usize> {
    pub model: &'m LinearModel<K>,
    pub acc: Accumulator<K>,
}

impl<const K: usize> Sink for One<'_, K> {
    #[inline]
    fn feature(&mut self, zone: usize, bucket: u32) {
        self.acc.add(self.model, zone, bucket);
    }

    fn features(&mut self, zone: usize, buckets: &[u32]) {
        self.acc.add_many(self.model, zone, buckets);
    }
}

/// Serialise a model (the Python trainer writes the same bytes; used by tests).
pub fn to_bytes(name: &str, scale: &[f32], q: &[i8], dense: &[f32]) -> Vec<u8> {
    let n_out = scale.len();
    let mut b = Vec::with_capacity(64 + q.len() + dense.len() * 4);
    b.extend_from_slice(MAGIC);
    for v in [
        FORMAT_VERSION,
        FEATURE_VERSION,
        N_BUCKETS as u32,
        N_DENSE as u32,
        n_out as u32,
        name.len() as u32,
    ] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(name.as_bytes());
    for s in scale {
        b.extend_from_slice(&s.to_le_bytes());
    }
    b.extend(q.iter().map(|&v| v as u8));
    for d in dense {
        b.extend_from_slice(&d.to_le_bytes());
    }
    let sum = fnv1a(&b);
    b.extend_from_slice(&sum.to_le_bytes());
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tiny(n_out: usize) -> Vec<u8> {
        let q: Vec<i8> = (0..N_BUCKETS * n_out).map(|i| (i % 7) as i8 - 3).collect();
        let dense: Vec<f32> = (0..N_DENSE * n_out).map(|i| i as f32 * 0.01).collect();
        to_bytes("t", &vec![0.01; n_out], &q, &dense)
    }

    #[test]
    fn round_trip_and_checks() {
        let b = tiny(10);
        let m = LinearModel::<16>::from_bytes(&b).unwrap();
        assert_eq!(m.n_out, 10);
        assert_eq!(m.name, "t");
        let mut bad = b.clone();
        bad[100] ^= 1;
        assert!(LinearModel::<16>::from_bytes(&bad).is_err());
        assert!(LinearModel::<1>::from_bytes(&b).is_err());
        assert!(LinearModel::<16>::from_bytes(&b[..b.len() - 1]).is_err());
        assert!(LinearModel::<1>::from_bytes(&tiny(1)).is_ok());
    }

    /// `add_many` (register sums) adds exactly what `add` does, at the weights' extremes.
    #[test]
    fn add_many_matches_add_at_extremes() {
        for fill in [i8::MIN, i8::MAX] {
            let q = vec![fill; N_BUCKETS * 16];
            let bytes = to_bytes("x", &[0.01; 16], &q, &[0.0; N_DENSE * 16]);
            let m = LinearModel::<16>::from_bytes(&bytes).unwrap();
            let buckets: Vec<u32> = (0..700u32).map(|i| i * 97).collect();
            let (mut one, mut many) = (Accumulator::default(), Accumulator::default());
            for &b in &buckets {
                one.add(&m, 1, b);
            }
            many.add_many(&m, 1, &buckets);
            assert_eq!(one.sums, many.sums);
            assert_eq!(one.counts, many.counts);
            assert_eq!(many.sums[1][0], 700 * i32::from(fill));
        }
    }

    proptest! {
        #[test]
        fn garbage_never_panics(v in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = LinearModel::<16>::from_bytes(&v);
            let mut w = MAGIC.to_vec();
            w.extend_from_slice(&v);
            let _ = LinearModel::<16>::from_bytes(&w);
        }
    }
}
