//! What the unit tests share: a small deterministic random generator for property tests.

/// xorshift64*: the same cases on every run, so a failure is reproducible.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn bits(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.bits() % n as u64) as usize
    }

    /// One of `items`.
    pub fn pick<'x>(&mut self, items: &[&'x str]) -> &'x str {
        items[self.below(items.len())]
    }
}
