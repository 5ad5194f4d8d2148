//! What `compile` prints about calibration.

use zkinfer::Compiled;

/// Prints the calibration outcome, the scales tried and the cost of each error target.
pub fn print_calibration(c: &Compiled) {
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
        println!("  cost per error target (rough prove time on a 2-core machine):");
        for t in &c.costs {
            println!(
                "    rel-L2 ≤ {:.0e}: scale 2^{} (error {:.1e}), k = {}, {} columns, ~{:.2} s to prove{}",
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
    }
    if !s.calibration.target_met {
        eprintln!(
            "warning: the target relative L2 error {:.1e} was not met at any scale tried; \
             outputs may deviate from float more than usual",
            s.calibration.target_rel_l2
        );
    }
}
