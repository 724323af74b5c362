//! The forwarding information base the workers read: a longest-prefix-match table that maps
//! destinations to shared nexthop objects, published by read-copy-update.

pub mod ecmp;
pub mod lpm;
pub mod publish;
pub mod snapshot;

pub use lpm::Lpm;
pub use publish::Publisher;
pub use snapshot::{
    Adjacency, Forwarding, LoadBalance, Neighbour, Neighbours, Nexthop, PortView, Snapshot, Tables,
};
