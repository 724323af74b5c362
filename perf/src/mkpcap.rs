//! mkpcap: writes a capture of UDP/IPv4 frames to replay through `net_pcap`, for the
//! forwarding benchmark (`perf/bench.sh`) and by hand.

use clap::Parser;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use wanfwd::firewall::pcc::{self, PccFields};
use wanfwd::flow::FlowKey;
use wanfwd::net::MacAddr;
use wanfwd::packet::ether::{self, EthernetFrame};
use wanfwd::packet::ipv4::{self, Ipv4Packet, Ipv4Repr};
use wanfwd::packet::udp::{self, UdpPacket};

#[derive(Parser)]
#[command(about = "Write a pcap of UDP frames for replay through net_pcap")]
struct Args {
    #[arg(long)]
    out: PathBuf,
    /// Frames in the file.
    #[arg(long, default_value_t = 1024)]
    count: usize,
    /// Frame size in bytes without the FCS (64-byte frames on the wire are 60 here).
    #[arg(long, default_value_t = 60)]
    size: usize,
    #[arg(long, default_value = "02:00:00:00:00:01")]
    dst_mac: MacAddr,
    #[arg(long, default_value = "02:00:00:00:01:10")]
    src_mac: MacAddr,
    #[arg(long, default_value = "192.168.1.10")]
    src: Ipv4Addr,
    /// First destination; without --vary-sport, flow f goes to dst + f.
    #[arg(long, default_value = "192.0.2.10")]
    dst: Ipv4Addr,
    /// Distinct flows: destination addresses, or sources with --vary-sport.
    #[arg(long, default_value_t = 1)]
    flows: u32,
    #[arg(long, default_value_t = 64)]
    ttl: u8,
    /// Flows that differ by source (for the stateful path: each one a connection) instead of
    /// by destination. Flow f goes to remote dst + (f % remotes), from LAN host
    /// src + (k % hosts) and port sport + k, where k = f / remotes: distinct for every f, and
    /// the source ports of one remote's flows all differ (masquerade keeps them).
    #[arg(long)]
    vary_sport: bool,
    /// First source port (with --vary-sport; otherwise ports cycle from 1024).
    #[arg(long, default_value_t = 1024)]
    sport: u16,
    /// With --vary-sport: destination addresses the flows are spread over.
    #[arg(long, default_value_t = 1)]
    remotes: u32,
    /// With --vary-sport: LAN source addresses the flows are spread over.
    #[arg(long, default_value_t = 1)]
    hosts: u32,
    /// Frames come in passes over the flows (frame i is of flow i % flows); with --shuffle,
    /// each pass in a different pseudo-random order from this seed (0: in flow order).
    #[arg(long, default_value_t = 0)]
    shuffle: u64,
    /// With --vary-sport: write each flow's reply instead, from its remote (port 9) to the
    /// address of these (comma-separated) that the guide's PCC picks for it
    /// (per-connection-classifier both-addresses-and-ports, denominator the number of
    /// addresses: remainder k goes out by the k-th address's WAN), at the flow's source port:
    /// what comes back through masquerade when it keeps the port.
    #[arg(long, value_delimiter = ',')]
    pcc_replies: Vec<Ipv4Addr>,
}

impl Args {
    /// Refuses flows that would not all be distinct.
    fn check(&self) -> Result<(), String> {
        if self.flows == 0 || self.remotes == 0 || self.hosts == 0 {
            return Err("--flows, --remotes and --hosts must be at least 1".into());
        }
        if !self.pcc_replies.is_empty() && !self.vary_sport {
            return Err("--pcc-replies goes with --vary-sport".into());
        }
        if self.vary_sport {
            let last = u32::from(self.sport) + (self.flows - 1) / self.remotes;
            if last > u32::from(u16::MAX) {
                return Err(format!(
                    "{} flows over {} remotes need source ports up to {last}: raise --remotes \
                     or lower --sport",
                    self.flows, self.remotes
                ));
            }
        }
        Ok(())
    }
}

/// Frame i's flow: passes over the flows, each pass in flow order or shuffled.
fn flow_order(a: &Args) -> Vec<u32> {
    let n = a.flows as usize;
    let mut order: Vec<u32> = Vec::with_capacity(a.count);
    let mut rng = wanfwd::rng::Rng(a.shuffle);
    while order.len() < a.count {
        let mut pass: Vec<u32> = (0..a.flows).collect();
        if a.shuffle != 0 {
            for i in (1..n).rev() {
                pass.swap(i, rng.below(i + 1));
            }
        }
        let take = (a.count - order.len()).min(n);
        order.extend_from_slice(&pass[..take]);
    }
    order
}

fn frame(a: &Args, i: usize, flow: u32) -> Vec<u8> {
    let hdr = ether::HEADER_LEN + ipv4::HEADER_LEN + udp::HEADER_LEN;
    let size = a.size.max(hdr);
    let mut f = vec![0u8; size];
    let (mut src, mut dst, mut sport, mut dport) = if a.vary_sport {
        let (d, k) = (flow % a.remotes, flow / a.remotes);
        (
            Ipv4Addr::from(u32::from(a.src).wrapping_add(k % a.hosts)),
            Ipv4Addr::from(u32::from(a.dst).wrapping_add(d)),
            a.sport + k as u16, // checked: fits
            9,
        )
    } else {
        (
            a.src,
            Ipv4Addr::from(u32::from(a.dst).wrapping_add(flow)),
            1024 + (i % 4096) as u16,
            9,
        )
    };
    if !a.pcc_replies.is_empty() {
        let key = FlowKey {
            src: src.into(),
            dst: dst.into(),
            sport,
            dport,
            proto: ipv4::PROTO_UDP,
        };
        let class = pcc::classify(PccFields::BothAddressesAndPorts, &key);
        let wan = a.pcc_replies[class as usize % a.pcc_replies.len()];
        (src, dst, sport, dport) = (dst, wan, dport, sport);
    }
    let mut eth = EthernetFrame::new_unchecked(&mut f[..]);
    eth.set_dst(a.dst_mac);
    eth.set_src(a.src_mac);
    eth.set_ethertype(ether::ETHERTYPE_IPV4);
    let l3 = eth.payload_mut();
    let payload_len = (size - ether::HEADER_LEN - ipv4::HEADER_LEN) as u16;
    Ipv4Repr {
        src,
        dst,
        protocol: ipv4::PROTO_UDP,
        ttl: a.ttl,
        payload_len,
        ident: i as u16,
        dont_frag: false,
    }
    .emit(&mut Ipv4Packet::new_unchecked(&mut *l3));
    let l4 = &mut l3[ipv4::HEADER_LEN..];
    l4[0..2].copy_from_slice(&sport.to_be_bytes());
    l4[2..4].copy_from_slice(&dport.to_be_bytes());
    l4[4..6].copy_from_slice(&payload_len.to_be_bytes());
    UdpPacket::new_unchecked(l4).fill_checksum(src, dst);
    f
}

fn main() -> std::process::ExitCode {
    let a = Args::parse();
    if let Err(e) = a.check() {
        eprintln!("mkpcap: {e}");
        return std::process::ExitCode::from(2);
    }
    let frames: Vec<Vec<u8>> = flow_order(&a)
        .into_iter()
        .enumerate()
        .map(|(i, flow)| frame(&a, i, flow))
        .collect();
    if let Err(e) = wanfwd::pcap::write_file(&a.out, &frames) {
        eprintln!("mkpcap: {}: {e}", a.out.display());
        return std::process::ExitCode::FAILURE;
    }
    eprintln!(
        "mkpcap: {} frames of {} bytes ({} flows) to {}",
        a.count,
        a.size,
        a.flows,
        a.out.display()
    );
    std::process::ExitCode::SUCCESS
}
