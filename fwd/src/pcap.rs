//! Reading and writing classic libpcap files (Ethernet link type), for the DPDK integration
//! tests and the benchmark's traffic, which replay and capture through `net_pcap`.

use std::io::{self, Read, Write};

const MAGIC_USEC: u32 = 0xa1b2_c3d4;
const LINKTYPE_ETHERNET: u32 = 1;
const SNAPLEN: u32 = 65535;

/// Writes a pcap file header.
pub fn write_header(w: &mut impl Write) -> io::Result<()> {
    w.write_all(&MAGIC_USEC.to_le_bytes())?;
    w.write_all(&2u16.to_le_bytes())?;
    w.write_all(&4u16.to_le_bytes())?;
    w.write_all(&0i32.to_le_bytes())?;
    w.write_all(&0u32.to_le_bytes())?;
    w.write_all(&SNAPLEN.to_le_bytes())?;
    w.write_all(&LINKTYPE_ETHERNET.to_le_bytes())
}

/// Writes one frame record; `usec` is the timestamp in microseconds.
pub fn write_frame(w: &mut impl Write, usec: u64, frame: &[u8]) -> io::Result<()> {
    w.write_all(&((usec / 1_000_000) as u32).to_le_bytes())?;
    w.write_all(&((usec % 1_000_000) as u32).to_le_bytes())?;
    let len = frame.len() as u32;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(frame)
}

/// Writes a whole file of frames.
pub fn write_file(path: &std::path::Path, frames: &[Vec<u8>]) -> io::Result<()> {
    let mut w = io::BufWriter::new(std::fs::File::create(path)?);
    write_header(&mut w)?;
    for (i, f) in frames.iter().enumerate() {
        write_frame(&mut w, i as u64, f)?;
    }
    w.flush()
}

/// Reads every frame of a pcap file (either byte order, microsecond or nanosecond stamps).
pub fn read(r: &mut impl Read) -> io::Result<Vec<Vec<u8>>> {
    let mut all = Vec::new();
    r.read_to_end(&mut all)?;
    let bad = |m: &str| io::Error::new(io::ErrorKind::InvalidData, m.to_string());
    if all.len() < 24 {
        return Err(bad("pcap: shorter than its header"));
    }
    let magic = u32::from_le_bytes(all[0..4].try_into().unwrap());
    let le = match magic {
        0xa1b2_c3d4 | 0xa1b2_3c4d => true,
        0xd4c3_b2a1 | 0x4d3c_b2a1 => false,
        _ => return Err(bad("pcap: bad magic")),
    };
    let u32_at = |b: &[u8]| {
        let a: [u8; 4] = b.try_into().unwrap();
        if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    let mut frames = Vec::new();
    let mut off = 24;
    while off + 16 <= all.len() {
        let caplen = u32_at(&all[off + 8..off + 12]) as usize;
        off += 16;
        if off + caplen > all.len() {
            return Err(bad("pcap: truncated record"));
        }
        frames.push(all[off..off + caplen].to_vec());
        off += caplen;
    }
    if off != all.len() {
        return Err(bad("pcap: truncated record header"));
    }
    Ok(frames)
}

pub fn read_file(path: &std::path::Path) -> io::Result<Vec<Vec<u8>>> {
    read(&mut std::fs::File::open(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let frames = vec![vec![1u8; 60], vec![2u8; 1514], vec![]];
        let mut buf = Vec::new();
        write_header(&mut buf).unwrap();
        for (i, f) in frames.iter().enumerate() {
            write_frame(&mut buf, i as u64 * 1_500_000, f).unwrap();
        }
        assert_eq!(read(&mut &buf[..]).unwrap(), frames);
        assert!(read(&mut &buf[..buf.len() - 1]).is_err());
        assert!(read(&mut &buf[..10]).is_err());
    }
}
