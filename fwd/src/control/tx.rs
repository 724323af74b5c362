//! How the control core transmits: on a TX queue of its own where the device has one to
//! spare, else through a ring that a worker drains into its own TX queue (TX queues are not
//! thread-safe, so two cores never share one).

use crate::dpdk::{self, Burst, Mbuf, BURST};
use crossbeam_queue::ArrayQueue;
use std::sync::Arc;

// The burst is inline on purpose: one per port, and no allocation to send.
#[allow(clippy::large_enum_variant)]
pub enum ControlTx {
    Queue {
        dpdk_port: u16,
        txq: u16,
        buf: Burst,
    },
    ViaWorker(Arc<ArrayQueue<Mbuf>>),
}

impl ControlTx {
    /// Queues a packet; Err(n) when n packets had to be dropped.
    pub fn send(&mut self, m: Mbuf) -> Result<(), usize> {
        match self {
            ControlTx::Queue { buf, .. } => {
                buf.push(m);
                if buf.len() == BURST {
                    return match self.flush() {
                        0 => Ok(()),
                        n => Err(n),
                    };
                }
                Ok(())
            }
            ControlTx::ViaWorker(ring) => ring.push(m).map_err(|_| 1),
        }
    }

    /// Sends what is queued; returns how many packets the device refused (dropped).
    pub fn flush(&mut self) -> usize {
        match self {
            ControlTx::Queue {
                dpdk_port,
                txq,
                buf,
            } => {
                if buf.is_empty() {
                    return 0;
                }
                dpdk::tx_burst(*dpdk_port, *txq, buf);
                let lost = buf.len();
                buf.clear();
                lost
            }
            ControlTx::ViaWorker(_) => 0,
        }
    }
}
