//! NAT ports in use: the translated connections of a table, in all and per translated
//! address. A connection holds its translated port (or echo id) from `insert` to `remove`,
//! so those two keep the count; nothing is counted per packet.

/// Translated addresses counted one by one; beyond them, only the total.
pub const NAT_ADDRESSES: usize = 8;

/// Translated connections: the total, and per address (address, count) in up to
/// [`NAT_ADDRESSES`] slots, a slot being free when its count is 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NatUse {
    pub total: u64,
    pub by_address: [(u32, u32); NAT_ADDRESSES],
}

impl NatUse {
    /// A connection translated to `addr` was added.
    pub fn bind(&mut self, addr: u32) {
        self.total += 1;
        if let Some(s) = self.slot(addr) {
            s.1 += 1;
        } else if let Some(s) = self.by_address.iter_mut().find(|s| s.1 == 0) {
            *s = (addr, 1);
        }
    }

    /// A connection translated to `addr` was removed.
    pub fn release(&mut self, addr: u32) {
        self.total = self.total.saturating_sub(1);
        if let Some(s) = self.slot(addr) {
            s.1 -= 1;
        }
    }

    fn slot(&mut self, addr: u32) -> Option<&mut (u32, u32)> {
        self.by_address.iter_mut().find(|s| s.1 != 0 && s.0 == addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_and_release_per_address() {
        let mut n = NatUse::default();
        n.bind(1);
        n.bind(2);
        n.bind(1);
        assert_eq!(n.total, 3);
        assert!(n.by_address.contains(&(1, 2)));
        assert!(n.by_address.contains(&(2, 1)));
        n.release(1);
        n.release(2);
        assert_eq!(n.total, 1);
        assert!(n.by_address.contains(&(1, 1)));
        // Address 2's slot is free again: more addresses than slots still count in the total.
        for a in 10..10 + NAT_ADDRESSES as u32 {
            n.bind(a);
        }
        assert_eq!(n.total, 1 + NAT_ADDRESSES as u64);
        assert_eq!(
            n.by_address.iter().map(|s| u64::from(s.1)).sum::<u64>(),
            n.total - 1
        );
        n.release(10 + NAT_ADDRESSES as u32 - 1);
        assert_eq!(n.total, NAT_ADDRESSES as u64);
    }
}
