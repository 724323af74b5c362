//! fwd-micro: the cost of the forwarding decision alone, on frames in memory (no DPDK), in
//! nanoseconds per packet. Use it to see what a change to the packet path costs before
//! measuring the whole router with perf/bench.sh.

use std::hint::black_box;
use std::time::Instant;
use wanfwd::fib::{Lpm, Neighbours, Nexthop, PortView, Snapshot};
use wanfwd::forward::{self, Verdict};
use wanfwd::net::{Ipv4Prefix, MacAddr};
use wanfwd::packet::ether::{self, EthernetFrame};
use wanfwd::packet::ipv4::{self, Ipv4Packet, Ipv4Repr};

const OUR: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);

fn frame(i: u32) -> Vec<u8> {
    let mut f = vec![0u8; 60];
    let mut eth = EthernetFrame::new_unchecked(&mut f[..]);
    eth.set_dst(OUR);
    eth.set_src(MacAddr([2, 0, 0, 0, 1, 10]));
    eth.set_ethertype(ether::ETHERTYPE_IPV4);
    Ipv4Repr {
        src: [192, 168, 1, 10].into(),
        dst: (u32::from_be_bytes([192, 0, 2, 0]) + i).into(),
        protocol: ipv4::PROTO_UDP,
        ttl: 255,
        payload_len: 26,
        ident: 0,
        dont_frag: false,
    }
    .emit(&mut Ipv4Packet::new_unchecked(eth.payload_mut()));
    f
}

fn main() {
    let routes: Vec<(Ipv4Prefix, u32)> = vec![
        ("0.0.0.0/0".parse().unwrap(), 1),
        ("192.168.1.0/24".parse().unwrap(), 2),
        ("10.0.0.0/8".parse().unwrap(), 1),
    ];
    let snap = Snapshot::direct(
        Lpm::build(&routes),
        vec![
            Nexthop::Local,
            Nexthop::Gateway {
                port: 1,
                addr: 0xcb00_7101,
                mac: Some(MacAddr([2, 0, 0, 0, 2, 1])),
            },
            Nexthop::Connected { port: 0 },
        ],
        Neighbours::default(),
        vec![
            PortView {
                mac: OUR,
                mtu: 1500,
                enabled: true,
                addr: 0,
            },
            PortView {
                mac: MacAddr([2, 0, 0, 0, 0, 2]),
                mtu: 1500,
                enabled: true,
                addr: 0,
            },
        ],
    );
    let t = snap.tables();
    let mut frames: Vec<Vec<u8>> = (0..32).map(frame).collect();
    let rounds = 2_000_000u64;
    let eth_hdr: [u8; 14] = frames[0][..14].try_into().unwrap();
    let mut forwarded = 0u64;
    let start = Instant::now();
    for r in 0..rounds {
        // As a PMD does, write the whole burst first (forwarding rewrote the MACs; TTL 255
        // lasts 254 hops), then forward it: reading a header right after writing it would
        // measure store-forwarding stalls, not the router.
        for f in frames.iter_mut() {
            f[..14].copy_from_slice(&eth_hdr);
            if r % 200 == 0 {
                f[22] = 255;
                Ipv4Packet::new_unchecked(&mut f[ether::HEADER_LEN..]).fill_checksum();
            }
        }
        for f in frames.iter_mut() {
            if let Verdict::Forward { .. } =
                forward::forward(black_box(&mut f[..]), 0, None, black_box(&t))
            {
                forwarded += 1;
            }
        }
    }
    let ns = start.elapsed().as_nanos() as f64 / (rounds * 32) as f64;
    assert_eq!(forwarded, rounds * 32, "every frame must be forwarded");
    println!(
        "forward(): {ns:.2} ns/packet ({:.1} Mpps on one core)",
        1e3 / ns
    );
}
