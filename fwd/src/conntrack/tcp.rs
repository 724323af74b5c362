//! Loose TCP state tracking, as RouterOS does it (Linux nf_conntrack with `tcp_loose=1`,
//! without the sequence-number window checks).
//!
//! The transition table is Linux's (`tcp_conntrack_states` in nf_conntrack_proto_tcp.c),
//! simplified: simultaneous open (Linux's SYN_SENT2) is not modelled — a SYN from the reply
//! side in `SynSent` is ignored; "ignore" entries leave the state unchanged and accept the
//! packet.

use super::timeouts::TimeoutsMs;
use super::Dir;

pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;
pub const URG: u8 = 0x20;
pub const ECE: u8 = 0x40;
pub const CWR: u8 = 0x80;

/// A TCP connection's state, with Linux's and RouterOS's meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum TcpState {
    /// Not tracked yet (also the state of non-TCP connections).
    #[default]
    None = 0,
    SynSent = 1,
    SynReceived = 2,
    Established = 3,
    FinWait = 4,
    CloseWait = 5,
    LastAck = 6,
    TimeWait = 7,
    Close = 8,
}

/// The packet does not fit the connection's state (or has an impossible flag combination).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invalid;

impl TcpState {
    /// RouterOS's name (`/ip/firewall/connection print`'s tcp-state); "" for `None`.
    pub fn name(self) -> &'static str {
        match self {
            TcpState::None => "",
            TcpState::SynSent => "syn-sent",
            TcpState::SynReceived => "syn-received",
            TcpState::Established => "established",
            TcpState::FinWait => "fin-wait",
            TcpState::CloseWait => "close-wait",
            TcpState::LastAck => "last-ack",
            TcpState::TimeWait => "time-wait",
            TcpState::Close => "close",
        }
    }

    /// The idle timeout of a connection in this state, in milliseconds.
    pub(crate) fn timeout_ms(self, t: &TimeoutsMs) -> u64 {
        match self {
            TcpState::None | TcpState::Close => t.tcp_close,
            TcpState::SynSent => t.tcp_syn_sent,
            TcpState::SynReceived => t.tcp_syn_received,
            TcpState::Established => t.tcp_established,
            TcpState::FinWait => t.tcp_fin_wait,
            TcpState::CloseWait => t.tcp_close_wait,
            TcpState::LastAck => t.tcp_last_ack,
            TcpState::TimeWait => t.tcp_time_wait,
        }
    }
}

/// The packet classes of Linux's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Syn = 0,
    SynAck = 1,
    Fin = 2,
    Ack = 3,
    Rst = 4,
}

/// Linux's `tcp_valid_flags`: the combinations a TCP segment may carry (PSH, ECE and CWR
/// aside). Anything else — SYN+FIN, SYN+RST, RST+FIN, FIN without ACK, no flag at all — is
/// invalid.
fn classify(flags: u8) -> Result<Class, Invalid> {
    let f = flags & !(PSH | ECE | CWR);
    const SYN_URG: u8 = SYN | URG;
    const SYN_ACK: u8 = SYN | ACK;
    const RST_ACK: u8 = RST | ACK;
    const FIN_ACK: u8 = FIN | ACK;
    const FIN_ACK_URG: u8 = FIN | ACK | URG;
    const ACK_URG: u8 = ACK | URG;
    match f {
        SYN | SYN_URG => Ok(Class::Syn),
        SYN_ACK => Ok(Class::SynAck),
        RST | RST_ACK => Ok(Class::Rst),
        FIN_ACK | FIN_ACK_URG => Ok(Class::Fin),
        ACK | ACK_URG => Ok(Class::Ack),
        _ => Err(Invalid),
    }
}

use TcpState as S;

/// What a table entry says: go to a state, leave it unchanged (Linux's sIG), or refuse.
#[derive(Clone, Copy)]
enum To {
    S(TcpState),
    Ignore,
    Invalid,
}

const IV: To = To::Invalid;
const IG: To = To::Ignore;
const SS: To = To::S(S::SynSent);
const SR: To = To::S(S::SynReceived);
const ES: To = To::S(S::Established);
const FW: To = To::S(S::FinWait);
const CW: To = To::S(S::CloseWait);
const LA: To = To::S(S::LastAck);
const TW: To = To::S(S::TimeWait);
const CL: To = To::S(S::Close);

/// `[dir][class][state]`; states in `TcpState` order: None, SynSent, SynReceived,
/// Established, FinWait, CloseWait, LastAck, TimeWait, Close.
#[rustfmt::skip]
const TABLE: [[[To; 9]; 5]; 2] = [
    // Original
    [
        /* syn    */ [SS, SS, IG, IG, IG, IG, IG, SS, SS],
        /* synack */ [IV, IV, SR, IV, IV, IV, IV, IV, IV],
        /* fin    */ [IV, IV, FW, FW, LA, LA, LA, TW, CL],
        /* ack    */ [ES, IV, ES, ES, CW, CW, TW, TW, CL],
        /* rst    */ [IV, CL, CL, CL, CL, CL, CL, CL, CL],
    ],
    // Reply
    [
        /* syn    */ [IV, IG, IV, IV, IV, IV, IV, SS, IV],
        /* synack */ [IV, SR, IG, IG, IG, IG, IG, IG, IG],
        /* fin    */ [IV, IV, FW, FW, LA, LA, LA, TW, CL],
        /* ack    */ [IV, IG, SR, ES, CW, CW, TW, TW, CL],
        /* rst    */ [IV, CL, CL, CL, CL, CL, CL, CL, CL],
    ],
];

/// The state after a packet with TCP header flag byte `flags` (FIN=0x01 SYN=0x02 RST=0x04
/// ACK=0x10) going in direction `dir`, or `Invalid` (the connection is then left as it was).
///
/// From `None` (no entry yet) only the original direction may start a connection: a SYN
/// without ACK opens `SynSent`; a plain ACK is picked up loosely, mid-stream, straight into
/// `Established`. A SYN+ACK, FIN or RST cannot create a connection.
pub fn next(state: TcpState, dir: Dir, flags: u8) -> Result<TcpState, Invalid> {
    let class = classify(flags)?;
    match TABLE[dir as usize][class as usize][state as usize] {
        To::S(s) => Ok(s),
        To::Ignore => Ok(state),
        To::Invalid => Err(Invalid),
    }
}

/// Whether a packet with these flags, matching no connection, may create one.
pub fn can_create(flags: u8) -> bool {
    next(TcpState::None, Dir::Original, flags).is_ok()
}
