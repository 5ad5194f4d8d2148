//! Binding the free dimensions of the graph inputs to numbers ([`resolve`]).

use std::collections::BTreeMap;

use super::{DimBinding, DimKey, DimSource, HintTarget, ImportOptions, ShapeHint};

/// One declared dimension of a graph input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DimDecl {
    /// A known size.
    Fixed(usize),
    /// A named symbolic dimension.
    Param(String),
    /// Neither value nor name (or a negative value).
    Free,
}

/// A runtime graph input as declared.
#[derive(Clone, Debug)]
pub(crate) struct InputDecl {
    pub name: String,
    /// `None` when the model declares no shape.
    pub dims: Option<Vec<DimDecl>>,
}

/// A dimension's identity after resolution: params are shared, free axes are per input.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Slot {
    Param(String),
    Axis(usize, usize),
}

/// The outcome of [`resolve`].
pub(crate) struct Resolved {
    /// Each input's static shape, or `None` where it could not be resolved (see `errors`).
    pub shapes: Vec<Option<Vec<usize>>>,
    /// Every binding, in order of first appearance.
    pub bindings: Vec<DimBinding>,
    /// Problems, each a complete message.
    pub errors: Vec<String>,
}

struct Bound {
    value: usize,
    source: DimSource,
    /// Where the value came from, for conflict messages.
    why: String,
}

fn slot_of(inputs: &[InputDecl], i: usize, axis: usize) -> Option<Slot> {
    match inputs[i].dims.as_ref()?.get(axis)? {
        DimDecl::Fixed(_) => None,
        DimDecl::Param(p) => Some(Slot::Param(p.clone())),
        DimDecl::Free => Some(Slot::Axis(i, axis)),
    }
}

fn describe_free(inputs: &[InputDecl]) -> String {
    let mut params: Vec<&str> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for inp in inputs {
        for (axis, d) in inp.dims.iter().flatten().enumerate() {
            match d {
                DimDecl::Fixed(_) => {}
                DimDecl::Param(p) if params.contains(&p.as_str()) => {}
                DimDecl::Param(p) => {
                    params.push(p);
                    seen.push(format!("{p} (input \"{}\" axis {axis})", inp.name));
                }
                DimDecl::Free => seen.push(format!("{}:{axis}", inp.name)),
            }
        }
    }
    if seen.is_empty() {
        "the model has none".into()
    } else {
        format!("the model's free dimensions are: {}", seen.join(", "))
    }
}

/// Binds every free dimension of `inputs`; see the module documentation for the order.
pub(crate) fn resolve(inputs: &[InputDecl], opts: &ImportOptions) -> Resolved {
    let mut errors = Vec::new();
    let mut bound: BTreeMap<Slot, Bound> = BTreeMap::new();
    let index_of = |t: &HintTarget| -> Option<usize> {
        match t {
            HintTarget::Name(n) => inputs.iter().position(|i| &i.name == n),
            HintTarget::Position(p) => (*p < inputs.len()).then_some(*p),
        }
    };

    // 1. Explicit bindings.
    for (key, value) in &opts.dims {
        let slot = match key {
            DimKey::Param(p) => {
                let known = inputs
                    .iter()
                    .flat_map(|i| i.dims.iter().flatten())
                    .any(|d| matches!(d, DimDecl::Param(q) if q == p));
                known.then(|| Slot::Param(p.clone()))
            }
            DimKey::Axis { input, axis } => inputs
                .iter()
                .position(|i| &i.name == input)
                .and_then(|i| slot_of(inputs, i, *axis)),
        };
        let Some(slot) = slot else {
            errors.push(format!(
                "--dim {key}={value}: the model has no free dimension {key} (give a dim_param \
                 name, or INPUT:AXIS for a dimension without one); {}",
                describe_free(inputs)
            ));
            continue;
        };
        match bound.get(&slot) {
            Some(b) if b.value != *value => errors.push(format!(
                "conflicting values for dimension {key}: {} ({}) and {value} (--dim {key}={value})",
                b.value, b.why
            )),
            Some(_) => {}
            None => {
                bound.insert(
                    slot,
                    Bound {
                        value: *value,
                        source: DimSource::Flag,
                        why: format!("--dim {key}={value}"),
                    },
                );
            }
        }
    }

    // 2. Full shapes from input files.
    let mut full_shapes: Vec<Option<Vec<usize>>> = vec![None; inputs.len()];
    for h in &opts.hints {
        let ShapeHint::Shape {
            input,
            shape,
            origin,
        } = h
        else {
            continue;
        };
        let Some(i) = index_of(input) else { continue };
        let inp = &inputs[i];
        let Some(dims) = &inp.dims else {
            if full_shapes[i].is_none() {
                full_shapes[i] = Some(shape.clone());
            }
            continue;
        };
        if dims.len() != shape.len() {
            errors.push(format!(
                "graph input \"{}\": {origin} gives shape {shape:?} (rank {}), but the model \
                 declares rank {} ({})",
                inp.name,
                shape.len(),
                dims.len(),
                describe_decl(dims)
            ));
            continue;
        }
        for (axis, &v) in shape.iter().enumerate() {
            let Some(slot) = slot_of(inputs, i, axis) else {
                continue;
            };
            let why = format!("{origin}: input \"{}\" has shape {shape:?}", inp.name);
            match bound.get(&slot) {
                Some(b) if b.source == DimSource::Flag => {}
                Some(b) if b.value != v => errors.push(format!(
                    "conflicting values for dimension {}: {} ({}) and {v} ({why})",
                    slot_name(inputs, &slot),
                    b.value,
                    b.why
                )),
                Some(_) => {}
                None => {
                    bound.insert(
                        slot,
                        Bound {
                            value: v,
                            source: DimSource::InputFile,
                            why,
                        },
                    );
                }
            }
        }
    }

    // 3. Flat-list lengths, until nothing changes; then 4. the batch default, then 3 again.
    let flat: Vec<(usize, usize, &str)> = opts
        .hints
        .iter()
        .filter_map(|h| match h {
            ShapeHint::FlatLen { input, len, origin } => {
                index_of(input).map(|i| (i, *len, origin.as_str()))
            }
            ShapeHint::Shape { .. } => None,
        })
        .collect();
    let flat_pass = |bound: &mut BTreeMap<Slot, Bound>, errors: &mut Vec<String>| loop {
        let mut progress = false;
        for &(i, len, origin) in &flat {
            let Some(dims) = &inputs[i].dims else {
                continue;
            };
            let mut open = Vec::new();
            let mut known: usize = 1;
            for (axis, d) in dims.iter().enumerate() {
                let v = match d {
                    DimDecl::Fixed(v) => Some(*v),
                    _ => slot_of(inputs, i, axis).and_then(|s| bound.get(&s).map(|b| b.value)),
                };
                match v {
                    Some(v) => known = known.saturating_mul(v),
                    None => {
                        let s = slot_of(inputs, i, axis);
                        if let Some(s) = s {
                            if !open.contains(&s) {
                                open.push(s);
                            }
                        }
                    }
                }
            }
            let [slot] = &open[..] else { continue };
            let count = dims
                .iter()
                .enumerate()
                .filter(|(a, _)| slot_of(inputs, i, *a).as_ref() == Some(slot))
                .count() as u32;
            let value = (known > 0 && len % known == 0)
                .then(|| len / known)
                .and_then(|q| exact_root(q, count));
            match value {
                Some(v) if v > 0 => {
                    bound.insert(
                        slot.clone(),
                        Bound {
                            value: v,
                            source: DimSource::InputFile,
                            why: format!(
                                "{origin}: the input_data list of \"{}\" holds {len} values",
                                inputs[i].name
                            ),
                        },
                    );
                    progress = true;
                }
                _ => {
                    let m = format!(
                        "graph input \"{}\" ({}): {origin} holds {len} values in its input_data \
                         list, which does not give a whole positive value for dimension {} \
                         (the other dimensions hold {known} values); check the file or pass \
                         --dim {}=VALUE",
                        inputs[i].name,
                        describe_decl(dims),
                        slot_name(inputs, slot),
                        slot_name(inputs, slot),
                    );
                    if !errors.contains(&m) {
                        errors.push(m);
                    }
                }
            }
        }
        if !progress {
            break;
        }
    };
    flat_pass(&mut bound, &mut errors);
    for i in 0..inputs.len() {
        if let Some(slot) = slot_of(inputs, i, 0) {
            bound.entry(slot).or_insert_with(|| Bound {
                value: 1,
                source: DimSource::Default,
                why: "the default for a leading batch dimension".into(),
            });
        }
    }
    flat_pass(&mut bound, &mut errors);

    // Shapes, bindings in order of appearance, and what is left unbound.
    let mut shapes = Vec::with_capacity(inputs.len());
    let mut bindings: Vec<DimBinding> = Vec::new();
    let mut listed: Vec<Slot> = Vec::new();
    let mut failed: Vec<Slot> = Vec::new();
    for (i, inp) in inputs.iter().enumerate() {
        let Some(dims) = &inp.dims else {
            if full_shapes[i].is_none() {
                errors.push(format!(
                    "graph input \"{}\" declares no shape; give it in the input file \
                     ({{\"inputs\": {{\"{}\": {{\"shape\": [...], \"data\": [...]}}}}}}) or \
                     re-export the model with input shapes",
                    inp.name, inp.name
                ));
            }
            shapes.push(full_shapes[i].take());
            continue;
        };
        let mut shape = Vec::with_capacity(dims.len());
        let mut ok = true;
        for (axis, d) in dims.iter().enumerate() {
            let slot = match d {
                DimDecl::Fixed(v) => {
                    shape.push(*v);
                    continue;
                }
                _ => slot_of(inputs, i, axis).unwrap_or(Slot::Axis(i, axis)),
            };
            match bound.get(&slot) {
                Some(b) => {
                    shape.push(b.value);
                    if !listed.contains(&slot) {
                        listed.push(slot.clone());
                        bindings.push(DimBinding {
                            key: key_of(inputs, &slot),
                            value: b.value,
                            source: b.source,
                        });
                    }
                }
                None if failed.contains(&slot) => ok = false,
                None => {
                    ok = false;
                    failed.push(slot);
                    let m = match d {
                        DimDecl::Param(p) => format!(
                            "graph input \"{}\" axis {axis} has the symbolic dimension \"{p}\", \
                             which has no value (only a leading batch axis defaults to 1); \
                             pass --dim {p}=VALUE or give the input's shape in the input file",
                            inp.name
                        ),
                        _ => format!(
                            "graph input \"{}\" axis {axis} has an unknown dimension (no value \
                             and no dim_param); pass --dim {}:{axis}=VALUE or give the \
                             input's shape in the input file",
                            inp.name, inp.name
                        ),
                    };
                    if !errors.contains(&m) {
                        errors.push(m);
                    }
                }
            }
        }
        shapes.push(ok.then_some(shape));
    }
    Resolved {
        shapes,
        bindings,
        errors,
    }
}

/// `r` with `r^n == q`, when one exists (a dim_param repeated `n` times in one input).
fn exact_root(q: usize, n: u32) -> Option<usize> {
    if n <= 1 {
        return Some(q);
    }
    let guess = (q as f64).powf(1.0 / f64::from(n)).round() as usize;
    (guess.saturating_sub(1)..=guess + 1).find(|r| r.checked_pow(n) == Some(q))
}

fn key_of(inputs: &[InputDecl], slot: &Slot) -> DimKey {
    match slot {
        Slot::Param(p) => DimKey::Param(p.clone()),
        Slot::Axis(i, axis) => DimKey::Axis {
            input: inputs[*i].name.clone(),
            axis: *axis,
        },
    }
}

fn slot_name(inputs: &[InputDecl], slot: &Slot) -> String {
    key_of(inputs, slot).to_string()
}

/// `[batch, 3, ?]`.
pub(crate) fn describe_decl(dims: &[DimDecl]) -> String {
    let parts: Vec<String> = dims
        .iter()
        .map(|d| match d {
            DimDecl::Fixed(v) => v.to_string(),
            DimDecl::Param(p) => p.clone(),
            DimDecl::Free => "?".into(),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn decl(name: &str, dims: &[&str]) -> InputDecl {
        InputDecl {
            name: name.into(),
            dims: Some(
                dims.iter()
                    .map(|d| match d.parse::<usize>() {
                        Ok(v) => DimDecl::Fixed(v),
                        Err(_) if *d == "?" => DimDecl::Free,
                        Err(_) => DimDecl::Param(d.to_string()),
                    })
                    .collect(),
            ),
        }
    }

    fn flat(pos: usize, len: usize) -> ShapeHint {
        ShapeHint::FlatLen {
            input: HintTarget::Position(pos),
            len,
            origin: "in.json".into(),
        }
    }

    fn shape(name: &str, s: &[usize]) -> ShapeHint {
        ShapeHint::Shape {
            input: HintTarget::Name(name.into()),
            shape: s.to_vec(),
            origin: "in.json".into(),
        }
    }

    #[test]
    fn batch_defaults_to_one_and_flags_win() {
        let ins = [decl("x", &["batch", "3"])];
        let r = resolve(&ins, &ImportOptions::default());
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.shapes, vec![Some(vec![1, 3])]);
        assert_eq!(r.bindings[0].to_string(), "batch = 1 (default)");
        let opts = ImportOptions {
            dims: vec![(DimKey::parse("batch"), 4)],
            hints: vec![shape("x", &[2, 3])],
        };
        let r = resolve(&ins, &opts);
        assert_eq!(r.shapes, vec![Some(vec![4, 3])]);
        assert_eq!(r.bindings[0].to_string(), "batch = 4 (--dim)");
    }

    #[test]
    fn shapes_and_flat_lists_bind_from_the_file() {
        let ins = [decl("x", &["batch", "3"]), decl("y", &["batch", "?"])];
        let r = resolve(
            &ins,
            &ImportOptions {
                dims: vec![],
                hints: vec![shape("x", &[4, 3]), flat(1, 20)],
            },
        );
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.shapes, vec![Some(vec![4, 3]), Some(vec![4, 5])]);
        assert_eq!(r.bindings[1].to_string(), "y:1 = 5 (input file)");
        // A flat list with two free dims: batch defaults to 1, then the list gives the rest.
        let ins = [decl("x", &["batch", "seq"])];
        let r = resolve(
            &ins,
            &ImportOptions {
                dims: vec![],
                hints: vec![flat(0, 12)],
            },
        );
        assert_eq!(r.shapes, vec![Some(vec![1, 12])]);
        let r = resolve(
            &ins,
            &ImportOptions {
                dims: vec![],
                hints: vec![flat(0, 0)],
            },
        );
        assert!(!r.errors.is_empty());
    }

    #[test]
    fn conflicts_and_unbound_dims_are_errors() {
        let ins = [decl("x", &["batch", "3"]), decl("y", &["batch", "2"])];
        let r = resolve(
            &ins,
            &ImportOptions {
                dims: vec![],
                hints: vec![shape("x", &[4, 3]), shape("y", &[2, 2])],
            },
        );
        assert!(
            r.errors[0].contains("conflicting values for dimension batch"),
            "{:?}",
            r.errors
        );
        let r = resolve(
            &ins,
            &ImportOptions::with_dims(vec![
                (DimKey::parse("batch"), 4),
                (DimKey::parse("batch"), 5),
            ]),
        );
        assert!(r.errors[0].contains("conflicting"), "{:?}", r.errors);
        let r = resolve(&[decl("x", &["1", "seq"])], &ImportOptions::default());
        assert!(r.errors[0].contains("\"x\" axis 1") && r.errors[0].contains("--dim seq=VALUE"));
        let r = resolve(&[decl("x", &["1", "?"])], &ImportOptions::default());
        assert!(r.errors[0].contains("--dim x:1=VALUE"), "{:?}", r.errors);
        let r = resolve(
            &ins,
            &ImportOptions::with_dims(vec![(DimKey::parse("bach"), 4)]),
        );
        assert!(
            r.errors[0].contains("no free dimension bach"),
            "{:?}",
            r.errors
        );
    }
}
