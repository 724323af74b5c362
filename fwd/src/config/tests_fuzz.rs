//! Mutated configuration files: whatever the file says, loading it gives a configuration or
//! an error that names where (line, or the key path), never a panic; and a configuration
//! that loads writes out (`to_yaml`) to a file that loads to the same configuration.

use super::tests_emit::EVERYTHING;
use super::Config;
use proptest::prelude::*;

/// Values that fit some keys and not others.
const VALUES: &[&str] = &[
    "0",
    "-1",
    "65536",
    "99999999999999999999",
    "yes",
    "no",
    "\"\"",
    "[]",
    "{}",
    "~",
    "0.0.0.0/0",
    "203.0.113.1",
    "192.168.1.1/33",
    "ether1",
    "ether9",
    "WAN",
    "10s",
    "1d2h",
    "-5s",
    "to_wan1",
    "main",
    "both-addresses:2/0",
    "src-port:16/16",
    "prerouting",
    "mark-routing",
    "masquerade",
    "\"a: b\"",
    "[1, 2]",
    "{ x: 1 }",
];

/// EVERYTHING with its `n`th value (what follows a `: ` in a flow mapping or a mapping)
/// replaced by `v`.
fn replace_value(n: usize, v: &str) -> String {
    let spots: Vec<usize> = EVERYTHING.match_indices(": ").map(|(i, _)| i + 2).collect();
    let at = spots[n % spots.len()];
    let rest = &EVERYTHING[at..];
    let end = rest.find([',', '}', '\n']).unwrap_or(rest.len());
    format!("{}{}{}", &EVERYTHING[..at], v, &rest[end..])
}

fn check(text: &str) -> Result<(), TestCaseError> {
    match Config::from_yaml_str(text, "f.yaml") {
        Err(e) => {
            let shown = e.to_string();
            prop_assert!(shown.starts_with("f.yaml"), "{}", shown);
            prop_assert!(shown.len() > "f.yaml: ".len(), "{}", shown);
        }
        Ok(cfg) => {
            let yaml = cfg.to_yaml("/");
            prop_assert!(yaml.is_ok(), "{:?}\n{}", yaml.err(), text);
            let yaml = yaml.unwrap();
            let again = Config::from_yaml_str(&yaml, "export.yaml");
            prop_assert!(
                again.is_ok(),
                "{}\nexport:\n{}\nfrom:\n{}",
                again.unwrap_err(),
                yaml,
                text
            );
            prop_assert_eq!(again.unwrap(), cfg, "{}", yaml);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn a_value_replaced_loads_or_is_refused_with_its_place(
        n in 0usize..1000, v in proptest::sample::select(VALUES)
    ) {
        check(&replace_value(n, v))?;
    }

    #[test]
    fn bytes_cut_or_inserted_load_or_are_refused_with_their_place(
        at in 0usize..4000, cut in 0usize..8, insert in "[ -~\n]{0,4}"
    ) {
        let mut text: String = EVERYTHING.chars().take(at).collect();
        text.push_str(&insert);
        text.extend(EVERYTHING.chars().skip(at + cut));
        check(&text)?;
    }
}
