//! Nothing but a home for the peer benches (`benches/peers_*.rs`): they compare gclab's
//! backends with published Rust collectors, whose crates are this package's dev-dependencies
//! so that the workspace's tests never compile them. Run them with `cargo bench -p gclab-peers`.
