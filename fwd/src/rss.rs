//! Receive-side scaling as a NIC does it, in software: the Toeplitz hash of a packet's
//! addresses (and ports) under the device's key, and the redirection table (RETA) that maps
//! the hash to an RX queue. With it a worker predicts which queue, hence which worker, the
//! NIC will give a packet it has not seen yet — the reply of a connection it is about to
//! translate — and chooses the NAT port so that the reply comes back to itself (design
//! invariant 2) instead of being handed over by another worker.
//!
//! The hash is Microsoft's RSS Toeplitz hash ("Verifying the RSS hash calculation", the
//! verification suite also in the 82599 datasheet 7.1.2.8.3): over the input bytes
//! `source address, destination address[, source port, destination port]`, most significant
//! bit first, every set input bit XORs into the result the 32 bits of the key that start at
//! that bit's position. The queue is `RETA[hash mod RETA size]` (the low bits of the hash;
//! RETA sizes are powers of two: 64 virtio, 128 ixgbe, 512 i40e, up to 2048 ice).
//!
//! Nothing here touches DPDK: the router reads the key, the RETA and the hashed fields from
//! each device at start (`dpdk::PortInfo::rss`) and builds a [`Steering`] from them.

use crate::flow::FlowKey;
use crate::packet::ipv4::{PROTO_TCP, PROTO_UDP};
use std::sync::Arc;

/// Input bytes of the longest IPv4 tuple: two addresses and two ports.
const INPUT: usize = 12;
/// Key bytes that tuple needs: one 32-bit window past its last bit.
pub const KEY_MIN: usize = INPUT + 4;

/// The Toeplitz hash under one key, as per-byte tables: `tables[i][b]` is what input byte
/// `i` with value `b` contributes, so a 12-byte tuple costs 12 loads and XORs (12 KiB).
///
/// A key that repeats every 16 bits (the symmetric 0x6d5a key) makes tables `i` and `i + 2`
/// equal: the hash then uses tables 0 and 1 only, 2 KiB that stay in L1 while a million
/// connections stream through the caches.
#[derive(Clone)]
pub struct Toeplitz {
    tables: Box<[[u32; 256]; INPUT]>,
    periodic: bool,
}

impl std::fmt::Debug for Toeplitz {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Toeplitz { .. }")
    }
}

impl Toeplitz {
    /// The hash under `key` (a key shorter than [`KEY_MIN`] bytes counts as zero-padded:
    /// those input bits then contribute nothing).
    pub fn new(key: &[u8]) -> Toeplitz {
        let bit = |n: usize| -> u32 {
            key.get(n / 8)
                .map_or(0, |b| u32::from(b >> (7 - n % 8) & 1))
        };
        // The 32 key bits starting at bit n.
        let window = |n: usize| (0..32).fold(0u32, |w, k| w << 1 | bit(n + k));
        let mut tables = Box::new([[0u32; 256]; INPUT]);
        for (i, t) in tables.iter_mut().enumerate() {
            let w: [u32; 8] = std::array::from_fn(|j| window(8 * i + j));
            for (b, v) in t.iter_mut().enumerate() {
                *v = (0..8)
                    .filter(|j| b >> (7 - j) & 1 == 1)
                    .fold(0, |h, j| h ^ w[j]);
            }
        }
        let periodic = (0..INPUT - 2).all(|i| tables[i] == tables[i + 2]);
        Toeplitz { tables, periodic }
    }

    /// The table of input byte `i`.
    #[inline]
    fn table(&self, i: usize) -> &[u32; 256] {
        &self.tables[if self.periodic { i & 1 } else { i }]
    }

    /// The hash of `input` (at most 12 bytes; more are ignored).
    pub fn hash(&self, input: &[u8]) -> u32 {
        input
            .iter()
            .zip(self.tables.iter())
            .fold(0, |h, (&b, t)| h ^ t[usize::from(b)])
    }

    /// What the 4 bytes of `v` contribute at input bytes `at..at + 4`.
    #[inline]
    fn word(&self, at: usize, v: u32) -> u32 {
        let b = v.to_be_bytes();
        self.table(at)[usize::from(b[0])]
            ^ self.table(at + 1)[usize::from(b[1])]
            ^ self.table(at + 2)[usize::from(b[2])]
            ^ self.table(at + 3)[usize::from(b[3])]
    }

    /// What port `p` contributes as input bytes `at..at + 2`.
    #[inline]
    fn port(&self, at: usize, p: u16) -> u32 {
        self.table(at)[usize::from(p >> 8)] ^ self.table(at + 1)[usize::from(p & 0xff)]
    }

    /// The hash of an IPv4 packet by its addresses (DPDK's "IPv4" / "IPv4 other" types).
    #[inline]
    pub fn ipv4(&self, src: u32, dst: u32) -> u32 {
        self.word(0, src) ^ self.word(4, dst)
    }

    /// The hash of an IPv4 TCP or UDP packet by addresses and ports.
    #[inline]
    pub fn ipv4_l4(&self, src: u32, dst: u32, sport: u16, dport: u16) -> u32 {
        self.ipv4(src, dst) ^ self.port(8, sport) ^ self.port(10, dport)
    }
}

/// Which of a packet's fields a device hashes, for one kind of IPv4 packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Fields {
    /// Not hashed: the device gives it to queue `RETA[0]` (hash 0).
    #[default]
    None,
    /// Source and destination addresses.
    L3,
    /// Addresses and TCP/UDP ports.
    L4,
}

/// What a device hashes, per kind of packet (DPDK's `rss_hf` flow types).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Hashing {
    pub tcp: Fields,
    pub udp: Fields,
    /// Other protocols (ICMP...), and fragments.
    pub other: Fields,
}

/// How one device spreads IPv4 packets over its RX queues: key, RETA, hashed fields.
#[derive(Clone, Debug)]
pub struct Steering {
    toeplitz: Toeplitz,
    reta: Box<[u16]>,
    mask: u32,
    hashing: Hashing,
    symmetric: bool,
}

impl PartialEq for Steering {
    fn eq(&self, o: &Steering) -> bool {
        self.reta == o.reta
            && self.hashing == o.hashing
            && self.toeplitz.tables == o.toeplitz.tables
    }
}

impl Steering {
    /// A device's steering from its key, its RETA (the RX queue of each entry; the size a
    /// power of two) and its hashed fields; `None` for an empty or odd-sized RETA.
    pub fn new(key: &[u8], reta: &[u16], hashing: Hashing) -> Option<Steering> {
        if reta.is_empty() || !reta.len().is_power_of_two() {
            return None;
        }
        // Swapping source and destination moves the addresses by 32 input bits and the
        // ports by 16: a key that repeats every 16 bits over the bytes the tuple uses (the
        // 0x6d5a key wanfwd gives devices) hashes both directions of a flow alike.
        let k = |i: usize| key.get(i).copied().unwrap_or(0);
        let symmetric = (0..KEY_MIN - 2).all(|i| k(i) == k(i + 2));
        Some(Steering {
            toeplitz: Toeplitz::new(key),
            reta: reta.into(),
            mask: reta.len() as u32 - 1,
            hashing,
            symmetric,
        })
    }

    /// The default RETA of `queues` queues as drivers fill it: entry i -> queue i mod n.
    pub fn default_reta(size: usize, queues: u16) -> Vec<u16> {
        (0..size)
            .map(|i| (i % usize::from(queues.max(1))) as u16)
            .collect()
    }

    /// Whether the RETA spreads over exactly queues `0..queues`, each at least once: else some
    /// worker could never find a port whose reply comes to it (net_null, for one, accepts RSS
    /// settings but reports a RETA of queue 0 only).
    pub fn covers(&self, queues: usize) -> bool {
        let mut seen = vec![false; queues];
        for &q in self.reta.iter() {
            match seen.get_mut(usize::from(q)) {
                Some(s) => *s = true,
                None => return false,
            }
        }
        seen.iter().all(|&s| s)
    }

    /// Whether both directions of every flow reach the same queue.
    pub fn symmetric(&self) -> bool {
        self.symmetric
    }

    /// The fields hashed for packets of `proto`.
    #[inline]
    pub fn fields(&self, proto: u8) -> Fields {
        match proto {
            PROTO_TCP => self.hashing.tcp,
            PROTO_UDP => self.hashing.udp,
            _ => self.hashing.other,
        }
    }

    /// Whether the ports of `proto` packets choose their queue (so NAT can steer replies).
    #[inline]
    pub fn steers_ports(&self, proto: u8) -> bool {
        self.fields(proto) == Fields::L4
    }

    #[inline]
    fn queue_of(&self, hash: u32) -> u16 {
        self.reta[(hash & self.mask) as usize]
    }

    /// The RX queue the device gives a packet of flow `k` (as the packet carries it).
    #[inline]
    pub fn queue(&self, k: &FlowKey) -> u16 {
        let h = match self.fields(k.proto) {
            Fields::None => 0,
            Fields::L3 => self.toeplitz.ipv4(k.src, k.dst),
            Fields::L4 => self.toeplitz.ipv4_l4(k.src, k.dst, k.sport, k.dport),
        };
        self.queue_of(h)
    }

    /// The queues of packets from `remote:remote_port` to `local:p`, for every local port p
    /// (the replies of a connection being translated to `local`): the part of the hash that
    /// does not depend on p is computed once.
    #[inline]
    pub fn replies(&self, remote: u32, remote_port: u16, local: u32) -> Replies<'_> {
        Replies {
            s: self,
            partial: self.toeplitz.ipv4(remote, local) ^ self.toeplitz.port(8, remote_port),
        }
    }
}

/// The queues of the replies to one local address from one remote address and port, by
/// local port ([`Steering::replies`]; for TCP/UDP hashed with their ports).
#[derive(Clone, Copy, Debug)]
pub struct Replies<'a> {
    s: &'a Steering,
    partial: u32,
}

impl Replies<'_> {
    /// The queue of the reply to local port `p`: two loads and the RETA.
    #[inline]
    pub fn queue(&self, p: u16) -> u16 {
        self.s.queue_of(self.partial ^ self.s.toeplitz.port(10, p))
    }
}

/// The steering of each of the router's ports (by port number) whose device spreads packets
/// over the workers' RX queues (queue w is worker w's) in a way wanfwd can predict.
#[derive(Clone, Debug, Default)]
pub struct RssPorts {
    ports: Vec<Option<Arc<Steering>>>,
    flows: Option<Arc<Steering>>,
}

impl RssPorts {
    /// From each port's steering, `None` for a port without RSS (or an unpredictable one).
    pub fn new(ports: Vec<Option<Steering>>) -> RssPorts {
        let ports: Vec<Option<Arc<Steering>>> =
            ports.into_iter().map(|s| s.map(Arc::new)).collect();
        let flows = ports.iter().flatten().find(|s| s.symmetric()).cloned();
        RssPorts { ports, flows }
    }

    pub fn is_empty(&self) -> bool {
        self.ports.iter().all(Option::is_none)
    }

    /// The steering of port `port`, if it has RSS.
    #[inline]
    pub fn port(&self, port: u16) -> Option<&Steering> {
        self.ports.get(usize::from(port))?.as_deref()
    }

    /// A symmetric steering that decides the owner of flows that are not replies to a
    /// translated port: the first RSS port's, when its key is symmetric. Packets of those flows
    /// then reach their owner directly on that device (and on any with the same steering).
    #[inline]
    pub fn flows(&self) -> Option<&Steering> {
        self.flows.as_deref()
    }

    /// Whether some ports steer differently: their packets are then handed over more often.
    pub fn mixed(&self) -> bool {
        let mut all = self.ports.iter().flatten();
        all.next().is_some_and(|first| all.any(|s| **s != **first))
    }
}

/// The worker of RX queue `q` out of `workers` (queue w is worker w's; a RETA entry beyond
/// the configured queues, which no device should hold, is folded back).
#[inline]
pub fn worker_of(q: u16, workers: usize) -> usize {
    usize::from(q) % workers.max(1)
}

#[cfg(test)]
mod tests;
