//! The JSON of every spec that carries explicit training and test points (ensembles,
//! one-network runs, width sweeps and trainability grids on points): read and written back
//! byte for byte, with the spec hashes the specs had when each defined its own four data
//! fields (a change of a field's name, order or number format changes these hashes, and every
//! result file, link and worker message written before it).

use ntk_core::experiments::single::SingleSpec;
use ntk_core::experiments::trainability::TrainabilitySpec;
use ntk_core::experiments::widths::WidthSweepSpec;
use ntk_core::nets::ensemble::EnsembleSpec;
use ntk_core::results::spec_hash;
use serde::de::DeserializeOwned;
use serde::Serialize;

const ARCH: &str = r#"{"depth":2,"activation":{"kind":"erf"},"sw2":2.25,"sb2":0.0025,"param":"ntk"}"#;

/// `json` read as a `T` and written back: the same bytes; its spec hash.
fn round_trip<T: Serialize + DeserializeOwned>(json: &str) -> String {
    let spec: T = serde_json::from_str(json).unwrap();
    assert_eq!(serde_json::to_string(&spec).unwrap(), json);
    spec_hash(&spec).unwrap()
}

fn ensemble(y_test: &str) -> String {
    format!(
        r#"{{"arch":{ARCH},"width":8,"x_train":[[0.5],[-1.25],[3.0]],"y_train":[0.1,-0.2,1e-7],"x_test":[[0.0],[1.0]],"y_test":{y_test},"learning_rate":0.5,"steps":10,"momentum":0.0,"readout_only":false,"seed":3,"members":2,"checkpoints":4}}"#
    )
}

fn single(y_test: &str) -> String {
    format!(
        r#"{{"arch":{ARCH},"width":16,"x_train":[[0.5,-0.25],[1.5,2.0]],"y_train":[1.0,-1.0],"x_test":[[0.0,0.0]],"y_test":{y_test},"loss":"mse","learning_rate":0.25,"momentum":0.0,"batch_size":null,"steps":100,"seed":7,"checkpoints":12,"alpha":2.0,"quadratic":true}}"#
    )
}

fn sweep(y_test: &str) -> String {
    format!(
        r#"{{"arch":{ARCH},"data":{{"kind":"points","x_train":[[0.5],[-1.0]],"y_train":[0.25,-0.75],"x_test":[[0.1]],"y_test":{y_test}}},"learning_rate":{{"absolute":0.5}},"steps":30,"seed":4,"widths":[16,32],"seeds":2,"axis":"none","checkpoints":5}}"#
    )
}

fn grid(y_test: &str) -> String {
    format!(
        r#"{{"activation":{{"kind":"relu"}},"sb2":0.05,"sw2":[1.0,2.0],"depths":[1,3],"width":32,"data":{{"kind":"points","x_train":[[0.5,1.0],[-1.0,2.0]],"y_train":[1.0,-1.0],"x_test":[[0.1,0.2]],"y_test":{y_test}}},"learning_rate":{{"critical_fraction":0.5}},"steps":20,"seeds":2,"seed":9}}"#
    )
}

/// A spec's JSON, how to read it, and the hash it had.
type Pinned = (String, fn(&str) -> String, &'static str);

#[test]
fn specs_on_explicit_points_keep_their_json_and_hashes() {
    let pinned: [Pinned; 8] = [
        (ensemble("null"), |j| round_trip::<EnsembleSpec>(j), "fnv1a128:89b569f3ac873a761f8d0674c570d29f"),
        (
            ensemble("[0.0,0.5]"),
            |j| round_trip::<EnsembleSpec>(j),
            "fnv1a128:96ae90a272099cf220804bf59497aa07",
        ),
        (single("null"), |j| round_trip::<SingleSpec>(j), "fnv1a128:eceb60a3d9654ed9b57edd3758d5863f"),
        (single("[1.0]"), |j| round_trip::<SingleSpec>(j), "fnv1a128:96b9895fc61f760f3b72534957bc2ed3"),
        (sweep("null"), |j| round_trip::<WidthSweepSpec>(j), "fnv1a128:5e408655765870728c8f326e9408d410"),
        (sweep("[0.5]"), |j| round_trip::<WidthSweepSpec>(j), "fnv1a128:135c63f9e2879b2045a0942f05fbb342"),
        (grid("null"), |j| round_trip::<TrainabilitySpec>(j), "fnv1a128:152ae84cce432070d144044248b00928"),
        (grid("[-1.0]"), |j| round_trip::<TrainabilitySpec>(j), "fnv1a128:c2a706865971e2217f8d48e0a0e1960d"),
    ];
    for (json, hash, digest) in &pinned {
        assert_eq!(hash(json), *digest, "{json}");
    }
}

/// Files without test targets (`y_test` absent) are read as having none, and written back
/// with `"y_test":null` in its place.
#[test]
fn absent_test_targets_are_none() {
    let absent = |json: String| json.replace(r#","y_test":null"#, "");
    let e: EnsembleSpec = serde_json::from_str(&absent(ensemble("null"))).unwrap();
    assert_eq!(serde_json::to_string(&e).unwrap(), ensemble("null"));
    let s: SingleSpec = serde_json::from_str(&absent(single("null"))).unwrap();
    assert_eq!(serde_json::to_string(&s).unwrap(), single("null"));
    let w: WidthSweepSpec = serde_json::from_str(&absent(sweep("null"))).unwrap();
    assert_eq!(serde_json::to_string(&w).unwrap(), sweep("null"));
    let t: TrainabilitySpec = serde_json::from_str(&absent(grid("null"))).unwrap();
    assert_eq!(serde_json::to_string(&t).unwrap(), grid("null"));
}
