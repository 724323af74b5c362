//! The stateful path on frames built as bytes: see tests in `tests/e2e/pcc.sh` for the
//! end-to-end behaviour.
