use super::tcp::{ACK, FIN, PSH, RST, SYN, URG};
use super::*;

mod table;
mod tcp;
use std::time::Duration;

const TCP: u8 = PROTO_TCP;
const UDP: u8 = PROTO_UDP;

fn key(src: u32, dst: u32, sport: u16, dport: u16, proto: u8) -> FlowKey {
    FlowKey {
        src,
        dst,
        sport,
        dport,
        proto,
    }
}

/// A small deterministic PRNG (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn key(&mut self, proto: u8) -> FlowKey {
        let r = self.next();
        let s = self.next();
        key(
            r as u32,
            (r >> 32) as u32,
            s as u16,
            (s >> 16) as u16,
            proto,
        )
    }
}

fn table(cap: usize) -> Table {
    Table::new(cap, &Timeouts::default())
}

const S: u64 = 1000;
