//! mkpcap: writes a capture of UDP/IPv4 frames to replay through `net_pcap`, for the
//! forwarding benchmark (`perf/bench.sh`) and by hand.

use clap::Parser;
use std::net::Ipv4Addr;
use std::path::PathBuf;
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
    /// First destination; frame i goes to dst + (i % flows).
    #[arg(long, default_value = "192.0.2.10")]
    dst: Ipv4Addr,
    /// Distinct destination addresses (flows).
    #[arg(long, default_value_t = 1)]
    flows: u32,
    #[arg(long, default_value_t = 64)]
    ttl: u8,
    /// Vary the UDP source port instead of the destination: frame i goes from port
    /// sport + (i % flows) to dst, so that flows differ by port (for the stateful path).
    #[arg(long)]
    vary_sport: bool,
    /// First source port (with --vary-sport; otherwise ports cycle from 1024).
    #[arg(long, default_value_t = 1024)]
    sport: u16,
}

fn frame(a: &Args, i: usize) -> Vec<u8> {
    let hdr = ether::HEADER_LEN + ipv4::HEADER_LEN + udp::HEADER_LEN;
    let size = a.size.max(hdr);
    let mut f = vec![0u8; size];
    let flow = i as u32 % a.flows.max(1);
    let (dst, sport) = if a.vary_sport {
        (a.dst, a.sport.wrapping_add(flow as u16))
    } else {
        (
            Ipv4Addr::from(u32::from(a.dst).wrapping_add(flow)),
            1024 + (i % 4096) as u16,
        )
    };
    let mut eth = EthernetFrame::new_unchecked(&mut f[..]);
    eth.set_dst(a.dst_mac);
    eth.set_src(a.src_mac);
    eth.set_ethertype(ether::ETHERTYPE_IPV4);
    let l3 = eth.payload_mut();
    let payload_len = (size - ether::HEADER_LEN - ipv4::HEADER_LEN) as u16;
    Ipv4Repr {
        src: a.src,
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
    l4[2..4].copy_from_slice(&9u16.to_be_bytes());
    l4[4..6].copy_from_slice(&payload_len.to_be_bytes());
    UdpPacket::new_unchecked(l4).fill_checksum(a.src, dst);
    f
}

fn main() -> std::io::Result<()> {
    let a = Args::parse();
    let frames: Vec<Vec<u8>> = (0..a.count).map(|i| frame(&a, i)).collect();
    wanfwd::pcap::write_file(&a.out, &frames)?;
    eprintln!(
        "mkpcap: {} frames of {} bytes to {}",
        a.count,
        a.size,
        a.out.display()
    );
    Ok(())
}
