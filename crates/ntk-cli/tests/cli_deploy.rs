//! The cluster recipes of docs/cluster.md, checked without a cluster:
//!
//! - the Slurm scripts (`deploy/slurm/`) run as written by a stand-in `sbatch` that executes
//!   the array's tasks concurrently with the variables Slurm sets, and a stand-in `srun` that
//!   runs its command; their merged result equals the job run as a single shard;
//! - the Kubernetes manifests (`deploy/kubernetes/`) read into typed structs that refuse
//!   unknown keys (a misspelt key fails), checked for an Indexed Job whose completions,
//!   parallelism and shard count agree and whose volumes are declared, then their container
//!   commands run by `/bin/sh` as the pods would, one per completion index, and merged;
//! - the `Dockerfile` parsed instruction by instruction and checked against the repository.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde::Deserialize;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ntk-cli-deploy-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// PATH with the directory of the built `ntk` (and `extra`) first.
fn path_with(extra: &[&Path]) -> String {
    let ntk_dir = Path::new(env!("CARGO_BIN_EXE_ntk")).parent().unwrap().to_path_buf();
    let mut dirs: Vec<PathBuf> = extra.iter().map(|p| p.to_path_buf()).collect();
    dirs.push(ntk_dir);
    dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    std::env::join_paths(dirs).unwrap().into_string().unwrap()
}

fn succeeded(out: &Output) {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Small sizes for the tests (the recipes default to the paper-scale cookbook run).
const SMALL: [(&str, &str); 3] = [("WIDTH", "16"), ("MEMBERS", "7"), ("STEPS", "40")];

fn write_executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    Command::new("chmod").arg("+x").arg(path).status().unwrap();
}

/// A stand-in for `sbatch`: logs its arguments; runs an array script's tasks (its
/// `#SBATCH --array=A-B` line, or an `--array=A-B` argument) concurrently with
/// SLURM_ARRAY_TASK_ID/MIN/MAX/COUNT and SLURM_CPUS_PER_TASK set, a plain script once; the
/// scripts' output goes to $SLURM_LOG (as to Slurm's output files); prints a job id.
const FAKE_SBATCH: &str = r#"#!/bin/bash
set -euo pipefail
echo "sbatch $*" >> "$SBATCH_LOG"
array=""; script=""
for a in "$@"; do
  case "$a" in
    --array=*) array="${a#--array=}" ;;
    --*) ;;
    *) script="$a" ;;
  esac
done
[ -n "$array" ] || array=$(sed -n 's/^#SBATCH --array=//p' "$script")
if [ -n "$array" ]; then
  lo=${array%-*}; hi=${array#*-}; pids=()
  for i in $(seq "$lo" "$hi"); do
    SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_MIN=$lo SLURM_ARRAY_TASK_MAX=$hi \
      SLURM_ARRAY_TASK_COUNT=$((hi - lo + 1)) SLURM_CPUS_PER_TASK=1 \
      bash "$script" >> "$SLURM_LOG" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
else
  bash "$script" >> "$SLURM_LOG" 2>&1
fi
echo "4242;testcluster"
"#;

#[test]
fn slurm_recipe_runs_as_written_and_merges_to_the_single_shard_run() {
    let root = repo();
    let dir = tmpdir("slurm");
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    write_executable(&bin.join("srun"), "#!/bin/sh\nexec \"$@\"\n");
    write_executable(&bin.join("sbatch"), FAKE_SBATCH);
    let script = std::fs::read_to_string(root.join("deploy/slurm/ensemble.sbatch")).unwrap();
    assert!(script.contains("\n#SBATCH --array=0-3\n"), "4 array tasks by default");
    assert!(
        script.contains("INDEX=$((SLURM_ARRAY_TASK_ID - ") && script.contains("--shard \"$INDEX/$SHARDS\"")
    );

    let run = |parts: &Path, result: &Path, submit_args: &[&str], base: &str| {
        let mut cmd = Command::new("bash");
        cmd.arg(root.join("deploy/slurm/submit.sh"))
            .args(submit_args)
            .current_dir(&root)
            .env("PATH", path_with(&[&bin]))
            .env("PARTS", parts)
            .env("RESULT", result)
            .env("ARRAY_BASE", base)
            .env("SBATCH_LOG", dir.join("sbatch.log"))
            .env("SLURM_LOG", dir.join("slurm.log"));
        for (k, v) in SMALL {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let log = std::fs::read_to_string(dir.join("slurm.log")).unwrap_or_default();
        assert!(
            out.status.success(),
            "{}\n{}\n{log}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("submitted array job 4242 and merge job 4242"));
        std::fs::read(result).unwrap()
    };
    // As written: four tasks (0-3); and with task ids not starting at 0 (--array=1-3).
    let four = run(&dir.join("parts4"), &dir.join("four.json"), &[], "0");
    assert_eq!(std::fs::read_dir(dir.join("parts4")).unwrap().count(), 4);
    let three = run(&dir.join("parts3"), &dir.join("three.json"), &["--array=1-3"], "1");
    let one = run(&dir.join("parts1"), &dir.join("one.json"), &["--array=0-0"], "0");
    assert_eq!(four, one, "4 shards vs 1");
    assert_eq!(three, one, "3 shards vs 1");
    let v: serde_json::Value = serde_json::from_slice(&one).unwrap();
    assert_eq!(
        (v["kind"].as_str(), v["spec"]["members"].as_u64(), v["spec"]["width"].as_u64()),
        (Some("ensemble"), Some(7), Some(16))
    );
    // Rerunning one task alone, as docs/cluster.md says, rewrites its part to the same bytes.
    let part2 = std::fs::read(dir.join("parts4/part-2.json")).unwrap();
    std::fs::remove_file(dir.join("parts4/part-2.json")).unwrap();
    let mut cmd = Command::new(bin.join("sbatch"));
    cmd.args(["--array=2", root.join("deploy/slurm/ensemble.sbatch").to_str().unwrap()])
        .current_dir(&root)
        .env("PATH", path_with(&[&bin]))
        .env("PARTS", dir.join("parts4"))
        .env("SHARDS", "4")
        .env("SBATCH_LOG", dir.join("sbatch.log"))
        .env("SLURM_LOG", dir.join("slurm.log"));
    for (k, v) in SMALL {
        cmd.env(k, v);
    }
    succeeded(&cmd.output().unwrap());
    assert_eq!(std::fs::read(dir.join("parts4/part-2.json")).unwrap(), part2);
    let log = std::fs::read_to_string(dir.join("sbatch.log")).unwrap();
    assert!(
        log.contains("--dependency=afterok:4242 "),
        "the merge waits for the array's id (cluster suffix cut): {log}"
    );
}

// --- Kubernetes: the fields the manifests use, unknown keys refused. ---

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Object {
    api_version: String,
    kind: String,
    metadata: Metadata,
    spec: serde_yaml::Value,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct Metadata {
    name: String,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PvcSpec {
    access_modes: Vec<String>,
    resources: Resources,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct JobSpec {
    completion_mode: Option<String>,
    completions: u32,
    parallelism: u32,
    backoff_limit: u32,
    template: PodTemplate,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct PodTemplate {
    spec: PodSpec,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PodSpec {
    restart_policy: String,
    security_context: SecurityContext,
    containers: Vec<Container>,
    volumes: Vec<Volume>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SecurityContext {
    run_as_non_root: bool,
    run_as_user: u32,
    fs_group: u32,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Container {
    name: String,
    image: String,
    env: Vec<EnvVar>,
    command: Vec<String>,
    args: Vec<String>,
    resources: Resources,
    volume_mounts: Vec<VolumeMount>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct EnvVar {
    name: String,
    value: String,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct Resources {
    requests: BTreeMap<String, String>,
    #[serde(default)]
    limits: BTreeMap<String, String>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VolumeMount {
    name: String,
    mount_path: String,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Volume {
    name: String,
    persistent_volume_claim: ClaimRef,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClaimRef {
    claim_name: String,
}

fn objects(file: &str) -> Vec<Object> {
    let text = std::fs::read_to_string(repo().join(file)).unwrap();
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| Object::deserialize(doc).unwrap_or_else(|e| panic!("{file}: {e}")))
        .collect()
}

fn job(objects: &[Object]) -> (String, JobSpec) {
    let jobs: Vec<_> = objects.iter().filter(|o| o.kind == "Job").collect();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].api_version, "batch/v1");
    let spec: JobSpec = serde_yaml::from_value(jobs[0].spec.clone()).unwrap();
    (jobs[0].metadata.name.clone(), spec)
}

fn env_of(c: &Container) -> BTreeMap<String, String> {
    c.env.iter().map(|e| (e.name.clone(), e.value.clone())).collect()
}

/// Runs a container's command as its pod would (`command` + `args`, the container's env),
/// with `ntk` from this build on PATH and some env values replaced.
fn run_container(c: &Container, overrides: &[(&str, String)]) -> std::process::Child {
    let mut cmd = Command::new(&c.command[0]);
    cmd.args(&c.command[1..])
        .args(&c.args)
        .env("PATH", path_with(&[]))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env_of(c) {
        cmd.env(k, v);
    }
    for (k, v) in overrides {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

#[test]
fn kubernetes_indexed_job_is_valid_and_its_pods_commands_merge_to_the_single_shard_run() {
    let ensemble = objects("deploy/kubernetes/ensemble-job.yaml");
    let pvc = ensemble.iter().find(|o| o.kind == "PersistentVolumeClaim").expect("a claim for the parts");
    assert_eq!(pvc.api_version, "v1");
    let pvc_spec: PvcSpec = serde_yaml::from_value(pvc.spec.clone()).unwrap();
    assert!(pvc_spec.access_modes.contains(&"ReadWriteMany".into()), "pods on several nodes write parts");
    assert!(pvc_spec.resources.requests.contains_key("storage"));

    let (name, spec) = job(&ensemble);
    assert_eq!(name, "ntk-ensemble");
    assert_eq!(spec.completion_mode.as_deref(), Some("Indexed"));
    assert!(spec.backoff_limit > 0, "a failed pod is retried (its part is rewritten whole)");
    let pod = &spec.template.spec;
    assert!(["Never", "OnFailure"].contains(&pod.restart_policy.as_str()));
    assert_eq!(pod.containers.len(), 1);
    assert_eq!(pod.containers[0].name, "ntk");
    let c = &pod.containers[0];
    let env = env_of(c);
    let shards: u32 = env["SHARDS"].parse().unwrap();
    assert_eq!(
        (spec.completions, spec.parallelism),
        (shards, shards),
        "completions, parallelism and SHARDS agree"
    );
    assert_eq!(c.image, format!("ntk:{}", env!("CARGO_PKG_VERSION")), "the image of this release");
    assert_eq!(c.command, ["/bin/sh", "-c"], "the image's shell expands the index");
    assert_eq!(c.args.len(), 1);
    assert!(c.args[0].contains("--shard \"$JOB_COMPLETION_INDEX/$SHARDS\""), "{}", c.args[0]);
    assert!(c.args[0].contains("--partial \"$PARTS/part-$JOB_COMPLETION_INDEX.json\""), "{}", c.args[0]);
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    assert!(dockerfile.contains(&format!("USER {}", pod.security_context.run_as_user)));
    assert!(
        pod.security_context.run_as_non_root
            && pod.security_context.fs_group == pod.security_context.run_as_user
    );
    assert!(c.resources.requests.contains_key("cpu") && c.resources.limits.contains_key("memory"));

    let merge_objects = objects("deploy/kubernetes/merge-job.yaml");
    let (_, merge_spec) = job(&merge_objects);
    assert_eq!(merge_spec.completion_mode, None);
    let m = &merge_spec.template.spec.containers[0];
    assert_eq!(m.image, c.image);
    for (pod, container) in [(pod, c), (&merge_spec.template.spec, m)] {
        // Every mount is a declared volume, the parts volume is the claim, at $PARTS.
        assert_eq!(container.volume_mounts.len(), 1);
        let mount = &container.volume_mounts[0];
        let volume =
            pod.volumes.iter().find(|v| v.name == mount.name).expect("the mounted volume is declared");
        assert_eq!(volume.persistent_volume_claim.claim_name, pvc.metadata.name);
        assert_eq!(env_of(container)["PARTS"], mount.mount_path);
    }

    // The pods' commands, as written, on this machine: the parts volume and the data directory
    // replaced by local directories, the sizes by small ones.
    let dir = tmpdir("k8s");
    let data = repo().join("crates/ntk-cli/examples");
    let run_job = |parts: &Path, shards: u32| {
        std::fs::create_dir_all(parts).unwrap();
        let mut overrides: Vec<(&str, String)> = SMALL.iter().map(|(k, v)| (*k, v.to_string())).collect();
        overrides.push(("PARTS", parts.to_str().unwrap().into()));
        overrides.push(("DATA", data.to_str().unwrap().into()));
        overrides.push(("SHARDS", shards.to_string()));
        let pods: Vec<_> = (0..shards)
            .map(|i| {
                let mut o = overrides.clone();
                o.push(("JOB_COMPLETION_INDEX", i.to_string()));
                run_container(c, &o)
            })
            .collect();
        for p in pods {
            succeeded(&p.wait_with_output().unwrap());
        }
        let out = run_container(m, &[("PARTS", parts.to_str().unwrap().into())]).wait_with_output().unwrap();
        succeeded(&out);
        assert_eq!(
            std::fs::read(parts.join("result.json")).unwrap(),
            out.stdout,
            "the merge job prints its result"
        );
        out.stdout
    };
    let all = run_job(&dir.join("four"), shards);
    assert_eq!(std::fs::read_dir(dir.join("four")).unwrap().count(), shards as usize + 1);
    let one = run_job(&dir.join("one"), 1);
    assert_eq!(all, one, "{shards} pods vs 1");
}

// --- Dockerfile ---

/// One instruction: keyword (upper case) and its arguments, continuation lines joined.
#[derive(Debug)]
struct Instruction {
    keyword: String,
    args: String,
}

fn dockerfile() -> Vec<Instruction> {
    let text = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let t = line.trim();
        if pending.is_empty() && (t.is_empty() || t.starts_with('#')) {
            continue;
        }
        if let Some(head) = t.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(t);
        let (keyword, args) = pending.split_once(char::is_whitespace).expect("an instruction with arguments");
        out.push(Instruction { keyword: keyword.to_string(), args: args.trim().to_string() });
        pending.clear();
    }
    assert!(pending.is_empty(), "a continuation line at the end");
    out
}

fn rust_version_requirements(root: &Path) -> Vec<(String, String)> {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(root)
        .output()
        .unwrap();
    succeeded(&out);
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = meta["packages"].as_array().unwrap();
    let nodes = meta["resolve"]["nodes"].as_array().unwrap();
    let id_of = |name: &str| packages.iter().find(|p| p["name"] == name).unwrap()["id"].clone();
    // ntk-cli's normal dependencies, transitively.
    let mut todo = vec![id_of("ntk-cli")];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(id) = todo.pop() {
        if !seen.insert(id.to_string()) {
            continue;
        }
        let node = nodes.iter().find(|n| n["id"] == id).unwrap();
        for dep in node["deps"].as_array().unwrap() {
            if dep["dep_kinds"].as_array().unwrap().iter().any(|k| k["kind"].is_null()) {
                todo.push(dep["pkg"].clone());
            }
        }
    }
    packages
        .iter()
        .filter(|p| seen.contains(&p["id"].to_string()))
        .filter_map(|p| Some((p["name"].as_str()?.to_string(), p["rust_version"].as_str()?.to_string())))
        .collect()
}

fn version_tuple(v: &str) -> (u32, u32) {
    let mut it = v.split('.').map(|x| x.parse::<u32>().unwrap());
    (it.next().unwrap(), it.next().unwrap_or(0))
}

#[test]
fn dockerfile_builds_the_released_command_portably_into_a_small_image() {
    let root = repo();
    let ins = dockerfile();
    let known = ["FROM", "ARG", "ENV", "WORKDIR", "COPY", "RUN", "USER", "ENTRYPOINT", "CMD"];
    for i in &ins {
        assert!(known.contains(&i.keyword.as_str()), "unknown instruction {i:?}");
    }
    let arg = |name: &str| {
        ins.iter()
            .filter(|i| i.keyword == "ARG")
            .find_map(|i| i.args.strip_prefix(&format!("{name}=")).map(str::to_string))
            .unwrap_or_else(|| panic!("ARG {name}=… with a default"))
    };
    let froms: Vec<usize> =
        ins.iter().enumerate().filter(|(_, i)| i.keyword == "FROM").map(|(k, _)| k).collect();
    assert_eq!(froms.len(), 2, "a build stage and a runtime stage");
    let (build, runtime) = (&ins[froms[0]..froms[1]], &ins[froms[1]..]);

    // Build stage: the pinned toolchain is new enough for every dependency of ntk-cli.
    assert_eq!(build[0].args, "rust:${RUST_VERSION}-slim-bookworm AS build");
    let rust = arg("RUST_VERSION");
    let needed = rust_version_requirements(&root);
    assert!(needed.iter().any(|(n, _)| n == "clap"), "{needed:?}");
    for (name, v) in &needed {
        assert!(version_tuple(v) <= version_tuple(&rust), "{name} needs Rust {v}, the image has {rust}");
    }
    // The binary is built from the locked dependencies, for a portable CPU (not native).
    let run = build.iter().find(|i| i.keyword == "RUN").unwrap();
    assert!(run.args.contains("cargo build --release --locked -p ntk-cli"), "{}", run.args);
    assert!(run.args.contains("target/release/ntk /usr/local/bin/ntk"), "{}", run.args);
    assert!(build
        .iter()
        .any(|i| i.keyword == "ENV" && i.args == "RUSTFLAGS=\"-C target-cpu=${TARGET_CPU}\""));
    let cpu = arg("TARGET_CPU");
    let cpus = Command::new("rustc").args(["--print", "target-cpus"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&cpus.stdout)
            .lines()
            .any(|l| l.split_whitespace().next() == Some(cpu.as_str())),
        "{cpu}"
    );
    let config = std::fs::read_to_string(root.join(".cargo/config.toml")).unwrap();
    assert!(config.contains("target-cpu=native"), "RUSTFLAGS is needed only while the config says native");

    // Runtime stage: the binary from the build stage, the examples, a shell, a non-root user.
    assert_eq!(runtime[0].args, "debian:bookworm-slim", "a Debian base: /bin/sh for the recipes");
    let copies: Vec<&Instruction> = runtime.iter().filter(|i| i.keyword == "COPY").collect();
    assert!(copies.iter().any(|c| c.args == "--from=build /usr/local/bin/ntk /usr/local/bin/ntk"));
    let examples = copies.iter().find(|c| !c.args.starts_with("--from")).unwrap();
    let (src, dst) = examples.args.split_once(' ').unwrap();
    assert!(root.join(src).join("cookbook_train.csv").is_file(), "{src}");
    let manifest = std::fs::read_to_string(root.join("deploy/kubernetes/ensemble-job.yaml")).unwrap();
    assert!(
        manifest.contains(&format!("value: {}", dst.trim_end_matches('/'))),
        "the manifest's DATA is {dst}"
    );
    let entry = runtime.iter().find(|i| i.keyword == "ENTRYPOINT").unwrap();
    assert_eq!(serde_json::from_str::<Vec<String>>(&entry.args).unwrap(), ["ntk"]);
    assert!(runtime.iter().any(|i| i.keyword == "USER" && i.args != "root" && i.args != "0"));

    // What the build copies: nothing it needs is ignored, the bulky outputs are.
    let ignore = std::fs::read_to_string(root.join(".dockerignore")).unwrap();
    let ignored: Vec<&str> =
        ignore.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    assert!(ignored.contains(&"target") && ignored.contains(&".git"));
    for needed in ["Cargo.lock", "Cargo.toml", "crates", "src", "xtask", "tests", ".cargo"] {
        assert!(root.join(needed).exists(), "{needed}");
        assert!(
            !ignored.iter().any(|p| *p == needed || needed.starts_with(&format!("{p}/"))),
            "{needed} is ignored"
        );
    }
    // The documented tag is this release's.
    let text = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    assert!(text.contains(&format!("docker build -t ntk:{} .", env!("CARGO_PKG_VERSION"))));
}
