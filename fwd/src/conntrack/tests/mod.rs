use super::tcp::{ACK, FIN, PSH, RST, SYN, URG};
use super::*;

mod path;
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

use crate::rng::Rng;

trait RngExt {
    fn key(&mut self, proto: u8) -> FlowKey;
}

impl RngExt for Rng {
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
