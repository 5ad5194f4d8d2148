//! The lookup argument over fixed function tables behind [`Backend::lookup`]
//! (`(y, z) = f(x)` for a [`Table`] `f`).
//!
//! Columns: `G` groups of three advice columns `(x, y, z)` with a fixed `tag` column each,
//! and one fixed table of four columns `(t_tag, t_x, t_y, t_z)`. Each group has one lookup
//! argument:
//!
//! ```text
//!   (tag, x, y, z) ∈ { (t_tag, t_x, t_y, t_z) }     on every usable row
//! ```
//!
//! Table row 0 is `(0, 0, 0, 0)`; the `n`-th distinct table (by [`Table::key`], in order of
//! first use) has tag `n` (from 1 on) and the rows `(n, i, f(i).0, f(i).1)` for every `i` in
//! `lo..=hi`, negatives encoded as `p − |v|`. Lookup `j` of the circuit sits in group
//! `j mod G` on row `⌊j / G⌋` with that table's tag in the fixed `tag` column; every other
//! row has tag 0 and is thereby forced to `x = y = z = 0`, so no selector is needed. The tags
//! and the table contents are fixed columns, so the verifying key commits to which table
//! each lookup uses and to every table's rows. `x` is copy-constrained to the cell that
//! computed it; `y` and `z` are copy-constrained into the cells that use them.
//!
//! During layout the lookups are only recorded ([`LookupTable`]); where they land depends on
//! `G`, which the planner picks after one layout. Cells are named for halo2-base's copy
//! manager by [`LOOKUP_X`], [`LOOKUP_Y`] and [`LOOKUP_Z`] (offset = lookup index).
//!
//! [`Backend::lookup`]: crate::backend::Backend::lookup

use std::collections::HashMap;

use halo2_base::halo2_proofs::circuit::{Layouter, Region, Value};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::plonk::{
    Advice, Column, ConstraintSystem, Error, Fixed, TableColumn,
};
use halo2_base::halo2_proofs::poly::Rotation;
use halo2_base::utils::halo2::{raw_assign_advice, raw_assign_fixed};
use halo2_base::virtual_region::copy_constraints::CopyConstraintManager;
use halo2_base::ContextCell;

use super::field::i128_to_fe;
use crate::backend::Table;
use crate::error::{CircuitError, Result};

/// Virtual-region name of the looked-up inputs (offset = lookup index).
pub const LOOKUP_X: &str = "zkinfer:lookup-x";
/// Virtual-region name of the first outputs (offset = lookup index).
pub const LOOKUP_Y: &str = "zkinfer:lookup-y";
/// Virtual-region name of the second outputs (offset = lookup index).
pub const LOOKUP_Z: &str = "zkinfer:lookup-z";

/// One group of lookup columns: its own lookup argument into the shared table.
#[derive(Clone, Debug)]
struct Group {
    tag: Column<Fixed>,
    x: Column<Advice>,
    y: Column<Advice>,
    z: Column<Advice>,
}

/// The columns of the table lookups.
#[derive(Clone, Debug)]
pub struct LookupConfig {
    groups: Vec<Group>,
    table: [TableColumn; 4],
}

impl LookupConfig {
    /// Adds `groups` lookup groups and the table; `None` when `groups = 0` (no lookup
    /// argument, no columns: the constraint system of circuits without tables).
    pub fn configure(meta: &mut ConstraintSystem<Fr>, groups: usize) -> Option<Self> {
        if groups == 0 {
            return None;
        }
        let table = [
            meta.lookup_table_column(),
            meta.lookup_table_column(),
            meta.lookup_table_column(),
            meta.lookup_table_column(),
        ];
        let groups: Vec<Group> = (0..groups)
            .map(|_| Group {
                tag: meta.fixed_column(),
                x: meta.advice_column(),
                y: meta.advice_column(),
                z: meta.advice_column(),
            })
            .collect();
        for (gi, g) in groups.iter().enumerate() {
            for c in [g.x, g.y, g.z] {
                meta.enable_equality(c);
            }
            meta.lookup(format!("table lookup {gi}"), |vc| {
                let tag = vc.query_fixed(g.tag, Rotation::cur());
                let x = vc.query_advice(g.x, Rotation::cur());
                let y = vc.query_advice(g.y, Rotation::cur());
                let z = vc.query_advice(g.z, Rotation::cur());
                // (tag, x, y, z) ∈ (t_tag, t_x, t_y, t_z)
                vec![(tag, table[0]), (x, table[1]), (y, table[2]), (z, table[3])]
            });
        }
        Some(Self { groups, table })
    }

    /// Number of groups.
    pub fn groups(&self) -> usize {
        self.groups.len()
    }
}

/// One recorded lookup: `(x, y, z)` claimed to be a row of the table with tag `tag`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupRecord {
    /// The table's tag (1-based index into [`LookupTable::tables`]).
    pub tag: usize,
    /// The input, copied in from the cell that computed it.
    pub x: Fr,
    /// The first output.
    pub y: Fr,
    /// The second output.
    pub z: Fr,
}

/// Every table and every lookup of a circuit, in layout order.
#[derive(Clone, Debug, Default)]
pub struct LookupTable {
    /// The distinct tables; table `t` has tag `t + 1`.
    pub tables: Vec<Table>,
    /// The lookups.
    pub records: Vec<LookupRecord>,
    tags: HashMap<String, usize>,
}

impl LookupTable {
    /// The tag of `table`, registering it on first use. A second table under the same key
    /// must cover the same inputs (the key names the contents, see [`Table`]).
    pub fn tag_of(&mut self, table: &Table) -> Result<usize> {
        if let Some(&tag) = self.tags.get(&table.key) {
            let known = &self.tables[tag - 1];
            if (known.lo, known.hi) != (table.lo, table.hi) {
                return Err(CircuitError::unsupported(format!(
                    "two tables share the key {:?} but cover [{}, {}] and [{}, {}]; the key \
                     must name everything the table's rows depend on",
                    table.key, known.lo, known.hi, table.lo, table.hi
                )));
            }
            return Ok(tag);
        }
        self.tables.push(table.clone());
        let tag = self.tables.len();
        self.tags.insert(table.key.clone(), tag);
        Ok(tag)
    }

    /// Records a lookup and returns its index.
    pub fn record(&mut self, tag: usize, x: Fr, y: Fr, z: Fr) -> usize {
        self.records.push(LookupRecord { tag, x, y, z });
        self.records.len() - 1
    }

    /// Rows of the fixed table: the zero row plus every table's rows (0 without lookups).
    pub fn table_rows(&self) -> usize {
        if self.records.is_empty() && self.tables.is_empty() {
            return 0;
        }
        self.tables
            .iter()
            .fold(1usize, |n, t| n.saturating_add(t.rows()))
    }

    /// Rows the lookups need spread over `groups` groups (`usize::MAX` with lookups but no
    /// groups).
    pub fn rows(&self, groups: usize) -> usize {
        match (self.records.len(), groups) {
            (0, _) => 0,
            (_, 0) => usize::MAX,
            (n, g) => n.div_ceil(g),
        }
    }

    /// Whether the table and the lookups fit in `usable` rows with `groups` groups.
    pub fn fits(&self, groups: usize, usable: usize) -> bool {
        self.table_rows() <= usable && self.rows(groups) <= usable
    }

    /// A row of the table of record `i` other than the one it claims (`(x, y, z)` with a
    /// different `x`), if that table has one: a witness that satisfies the lookup argument
    /// but not the copy constraint on `x` (tests).
    pub fn other_row(&self, i: usize) -> Option<(Fr, Fr, Fr)> {
        let rec = self.records.get(i)?;
        let t = self.tables.get(rec.tag.checked_sub(1)?)?;
        let alt = [t.lo, t.lo.checked_add(1)?]
            .into_iter()
            .find(|v| *v <= t.hi && i128_to_fe(*v) != rec.x)?;
        let (y, z) = (t.f)(alt);
        Some((i128_to_fe(alt), i128_to_fe(y), i128_to_fe(z)))
    }

    /// Fills the fixed table: row 0 is zero, then every table's rows in tag order. halo2
    /// pads the rest of the columns with row 0.
    pub fn assign_table(
        &self,
        config: &LookupConfig,
        layouter: &mut impl Layouter<Fr>,
    ) -> std::result::Result<(), Error> {
        layouter.assign_table(
            || "function tables",
            |mut t| {
                let mut row = 0;
                let mut put = |row: usize, v: [Fr; 4]| -> std::result::Result<(), Error> {
                    for (col, v) in config.table.iter().zip(v) {
                        t.assign_cell(|| "", *col, row, || Value::known(v))?;
                    }
                    Ok(())
                };
                put(row, [Fr::zero(); 4])?;
                for (ti, table) in self.tables.iter().enumerate() {
                    let tag = Fr::from(ti as u64 + 1);
                    for i in table.lo..=table.hi {
                        let (y, z) = (table.f)(i);
                        row += 1;
                        put(row, [tag, i128_to_fe(i), i128_to_fe(y), i128_to_fe(z)])?;
                    }
                }
                Ok(())
            },
        )
    }

    /// Assigns every lookup (lookup `j` in group `j mod G`, row `⌊j / G⌋`). With `copy`
    /// (key generation and mock proving) it fills the tags and tells the copy manager where
    /// each [`LOOKUP_X`]/[`LOOKUP_Y`]/[`LOOKUP_Z`] cell landed; without it (proving) only
    /// advice values are written.
    pub fn assign(
        &self,
        config: &LookupConfig,
        region: &mut Region<Fr>,
        mut copy: Option<&mut CopyConstraintManager<Fr>>,
    ) -> std::result::Result<(), Error> {
        let g = config.groups();
        if g == 0 {
            return if self.records.is_empty() {
                Ok(())
            } else {
                Err(Error::Synthesis)
            };
        }
        for (j, rec) in self.records.iter().enumerate() {
            let (col, row) = (&config.groups[j % g], j / g);
            if copy.is_some() {
                raw_assign_fixed(region, col.tag, row, Fr::from(rec.tag as u64));
            }
            let x = raw_assign_advice(region, col.x, row, Value::known(rec.x)).cell();
            let y = raw_assign_advice(region, col.y, row, Value::known(rec.y)).cell();
            let z = raw_assign_advice(region, col.z, row, Value::known(rec.z)).cell();
            if let Some(cm) = copy.as_deref_mut() {
                for (name, cell) in [(LOOKUP_X, x), (LOOKUP_Y, y), (LOOKUP_Z, z)] {
                    cm.assigned_advices
                        .insert(ContextCell::new(name, 0, j), cell);
                }
            }
        }
        // The free slots of the last row: zero, as the tag-0 row of the table demands.
        let n = self.records.len();
        for j in n..n.div_ceil(g) * g {
            let (col, row) = (&config.groups[j % g], j / g);
            for c in [col.x, col.y, col.z] {
                raw_assign_advice(region, c, row, Value::known(Fr::zero()));
            }
        }
        Ok(())
    }
}
