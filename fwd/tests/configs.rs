//! Every example configuration in configs/ is valid.

use std::path::Path;
use wanfwd::config::Config;

#[test]
fn every_example_configuration_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("configs/ exists") {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "yaml") {
            let cfg = Config::load(&p).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                !cfg.interfaces.is_empty(),
                "{} has no interface",
                p.display()
            );
            n += 1;
        }
    }
    assert!(
        n >= 2,
        "expected the example configurations in {}",
        dir.display()
    );
}
