//! What `compile` prints about calibration and the EVM plan.

use zkinfer::{Compiled, EvmCandidate, Layout, Part};

/// How many candidates after the chosen one the EVM plan shows.
const SHOWN_CANDIDATES: usize = 5;

/// `1234567` as `1,234,567` (the NatSpec's formatting, so both say the same number).
pub use solidity::natspec::thousands;

/// Prints the calibration outcome, the scales tried and the cost of each error target (with
/// `layout`, the one compiled with).
pub fn print_calibration(c: &Compiled, layout: Layout) {
    let s = &c.settings;
    println!(
        "calibrated on {} sample(s): input scale 2^{}, param scale 2^{}, range ±2^{}, k = {}",
        s.calibration.samples, s.quant.input_scale, s.quant.param_scale, s.quant.bits, s.circuit.k
    );
    for e in &s.calibration.errors {
        println!(
            "  output {:?}: max abs error {:.3e}, relative L2 error {:.3e}",
            e.name, e.max_abs_err, e.rel_l2
        );
    }
    if let Some(h) = &s.calibration.held_out {
        for e in &h.errors {
            println!(
                "  held out ({} sample(s), not used to choose the scale) {:?}: max abs error \
                 {:.3e}, relative L2 error {:.3e}",
                h.samples, e.name, e.max_abs_err, e.rel_l2
            );
        }
    }
    if !s.calibration.trials.is_empty() {
        let tried: Vec<String> = s
            .calibration
            .trials
            .iter()
            .map(|t| match t.worst_rel_l2 {
                Some(w) => format!("2^{} → {w:.1e}", t.scale),
                None => format!("2^{} → overflow", t.scale),
            })
            .collect();
        println!(
            "  scales tried (worst relative L2 error; larger scales cost more rows): {}",
            tried.join(", ")
        );
    }
    if !c.costs.is_empty() {
        println!(
            "  cost per error target ({} layout; rough prove time on a 2-core machine):",
            layout_name(layout)
        );
        for t in &c.costs {
            let gas = match t.predicted_gas {
                Some(g) => format!(", ~{} gas to verify", thousands(g)),
                None => String::new(),
            };
            println!(
                "    rel-L2 ≤ {:.0e}: scale 2^{} (error {:.1e}), k = {}, {} columns, ~{:.2} s to prove{gas}{}",
                t.target,
                t.scale,
                t.worst_rel_l2,
                t.k,
                t.columns,
                t.predicted_prove_s,
                if t.scale == s.quant.input_scale {
                    "  ← chosen"
                } else {
                    ""
                }
            );
        }
        if c.evm_plan
            .as_ref()
            .is_some_and(|p| p.shape.k > zkinfer::cost::EVM_TABLE_MAX_K)
        {
            println!(
                "    (other scales not planned: the evm layout lays a model out at several \
                 sizes, which takes a while above k = {}; --input-scale S plans scale S)",
                zkinfer::cost::EVM_TABLE_MAX_K
            );
        }
    }
    if !s.calibration.target_met {
        eprintln!(
            "warning: the target relative L2 error {:.1e} was not met at any scale tried; \
             outputs may deviate from float more than usual",
            s.calibration.target_rel_l2
        );
    }
}

/// A candidate's label without its leading `k=N, ` (shown in its own column).
pub fn columns_label(c: &EvmCandidate) -> &str {
    c.label
        .strip_prefix(&format!("k={}, ", c.k))
        .unwrap_or(&c.label)
}

/// A gas-per-second weight: whole numbers with thousands separators.
fn weight(g: f64) -> String {
    if g.fract() == 0.0 && (0.0..1e15).contains(&g) {
        thousands(g as u64)
    } else {
        format!("{g}")
    }
}

/// `speed`, `gas`, `evm` or `memory`.
fn layout_name(layout: Layout) -> &'static str {
    match layout {
        Layout::Speed => "speed",
        Layout::Gas => "gas",
        Layout::Evm => "evm",
        Layout::Memory => "memory",
    }
}

/// Above this many instances the verifier is likely split (see [`print_evm_plan`]).
const SPLIT_WARNING_INSTANCES: usize = 100;

/// Prints the EVM plan of a model compiled for the EVM: the chosen layout's size, predicted
/// verify gas and prove time, the next candidates and the weight used; nothing otherwise.
pub fn print_evm_plan(c: &Compiled, layout: Layout) {
    let Some(target) = &c.settings.evm else {
        return;
    };
    if c.settings.num_instances > SPLIT_WARNING_INSTANCES {
        println!(
            "warning: {} public instances: the generated verifier grows by about 170 bytes per \
             instance and will likely be split into several contracts that hand their memory to \
             each other, which the gas prediction does not include (LeNet-5 with 794 public \
             inputs: 1.9M predicted, 4.35M measured); hash the inputs or outputs \
             (--input-visibility hashed) to keep verification cheap",
            c.settings.num_instances
        );
    }
    let shape = &c.settings.circuit;
    let Some(plan) = &c.evm_plan else {
        println!(
            "EVM target ({} layout, as --layout asked): k = {}, {} columns, ~{} gas to \
             verify on chain, ~{:.2} s to prove (the `evm` layout would weigh them at {} gas per \
             second of proving)",
            layout_name(layout),
            shape.k,
            zkinfer::cost::columns(shape),
            thousands(target.predicted_gas),
            target.predicted_prove_s,
            weight(target.gas_per_second)
        );
        return;
    };
    let chosen = plan.candidates.first().map_or("", columns_label);
    println!(
        "EVM plan: k = {}, {} columns ({chosen}), ~{} gas to verify on chain, ~{:.2} s to \
         prove (chosen for the lowest gas + {} gas per second of proving; --gas-per-second to \
         change)",
        shape.k,
        zkinfer::cost::columns(shape),
        thousands(plan.predicted_gas),
        plan.predicted_prove_s,
        weight(plan.gas_per_second)
    );
    let next: Vec<_> = plan
        .candidates
        .iter()
        .skip(1)
        .take(SHOWN_CANDIDATES)
        .collect();
    if next.is_empty() {
        return;
    }
    let width = next
        .iter()
        .map(|c| columns_label(c).chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    println!("  next best:");
    println!(
        "    {:<width$}  {:>3}  {:>7}  {:>10}  {:>7}",
        "layout", "k", "columns", "gas", "prove s"
    );
    for cand in next {
        println!(
            "    {:<width$}  {:>3}  {:>7}  {:>10}  {:>7.2}",
            columns_label(cand),
            cand.k,
            cand.columns,
            thousands(cand.predicted_gas),
            cand.predicted_prove_s
        );
    }
}

/// Prints one line per part `compile` made hashed for the EVM: which, why, how to keep it
/// public.
pub fn print_auto_hashed(c: &Compiled) {
    for a in &c.auto_hashed {
        let (what, flag) = match a.part {
            Part::Input => ("inputs", "--input-visibility"),
            Part::Output => ("outputs", "--output-visibility"),
        };
        println!(
            "{what} hashed for the EVM: {} values, more than the {} kept public by default, and \
             each public value costs gas on every on-chain verification, so only their \
             Poseidon hash is an instance; pass {flag} public to keep them public",
            a.values, a.limit
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_groups_digits() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1_000), "1,000");
        assert_eq!(super::thousands(312_456), "312,456");
        assert_eq!(super::thousands(1_234_567), "1,234,567");
    }
}
