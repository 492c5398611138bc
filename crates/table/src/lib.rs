//! # simology-table
//!
//! The one text-table printer of the command lines: `simology-proxy report`, `orders`,
//! `webhooks list` and `settings`, the attack's summary, and `cargo xtask` bench, chaos,
//! restart and fuzz. Columns are padded to their widest cell (counted in characters),
//! text to the left and numbers to the right, two spaces apart, with an optional header
//! and a rule of dashes under it; or the same table as Markdown, for the docs.
//!
//! ```
//! use simology_table::{Align, Table};
//!
//! let mut t = Table::new(&[("target", Align::Left), ("runs", Align::Right)]);
//! t.row(["json", "1200"]);
//! t.row(["webhook", "35"]);
//! assert_eq!(t.text(), "target   runs\n-------------\njson     1200\nwebhook    35\n");
//! ```

use std::fmt;

/// Where a column's cells sit in its width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text: padded on the right.
    Left,
    /// Numbers: padded on the left, so their units line up.
    Right,
}

/// A table: its columns' alignments, an optional header (with or without a rule under
/// it), its rows, and a margin before every line.
#[derive(Debug, Clone)]
pub struct Table {
    aligns: Vec<Align>,
    header: Option<Vec<String>>,
    rule: bool,
    indent: usize,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with a header line, `(heading, alignment)` per column, and a rule under it.
    pub fn new(columns: &[(&str, Align)]) -> Self {
        Table {
            aligns: columns.iter().map(|(_, a)| *a).collect(),
            header: Some(columns.iter().map(|(h, _)| (*h).to_owned()).collect()),
            rule: true,
            indent: 0,
            rows: Vec::new(),
        }
    }

    /// A table of rows only, with these alignments.
    pub fn headless(aligns: &[Align]) -> Self {
        Table {
            aligns: aligns.to_vec(),
            header: None,
            rule: false,
            indent: 0,
            rows: Vec::new(),
        }
    }

    /// No rule under the header.
    #[must_use]
    pub fn without_rule(mut self) -> Self {
        self.rule = false;
        self
    }

    /// Every line (the rule too) starts with `spaces` spaces.
    #[must_use]
    pub fn indent(mut self, spaces: usize) -> Self {
        self.indent = spaces;
        self
    }

    /// Adds a row. A row shorter than the columns has empty cells at its end; a longer
    /// one adds columns, aligned to the left.
    pub fn row<I, S>(&mut self, cells: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rows.push(cells.into_iter().map(Into::into).collect());
        self
    }

    /// Whether the table has no row (its header aside).
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn columns(&self) -> usize {
        self.header
            .iter()
            .chain(&self.rows)
            .map(Vec::len)
            .chain([self.aligns.len()])
            .max()
            .unwrap_or(0)
    }

    fn align(&self, column: usize) -> Align {
        self.aligns.get(column).copied().unwrap_or(Align::Left)
    }

    fn cell(line: &[String], column: usize) -> &str {
        line.get(column).map_or("", String::as_str)
    }

    /// The table as aligned text, a line each (trailing spaces trimmed), ending with a
    /// newline; an empty string for a table with neither header nor rows.
    pub fn text(&self) -> String {
        let columns = self.columns();
        let lines: Vec<&Vec<String>> = self.header.iter().chain(&self.rows).collect();
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                lines
                    .iter()
                    .map(|l| Self::cell(l, c).chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let margin = " ".repeat(self.indent);
        let mut out = String::new();
        for (index, line) in lines.iter().enumerate() {
            let cells: Vec<String> = (0..columns)
                .map(|c| {
                    let text = Self::cell(line, c);
                    let pad = " ".repeat(widths[c] - text.chars().count());
                    match self.align(c) {
                        Align::Left => format!("{text}{pad}"),
                        Align::Right => format!("{pad}{text}"),
                    }
                })
                .collect();
            out.push_str(&margin);
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
            if index == 0 && self.header.is_some() && self.rule {
                let width = widths.iter().sum::<usize>() + 2 * columns.saturating_sub(1);
                out.push_str(&margin);
                out.push_str(&"-".repeat(width));
                out.push('\n');
            }
        }
        out
    }

    /// The table as a Markdown (GitHub) table: the header (empty headings, `| |`, for a
    /// headless table), the alignment line (`---`, or `---:` for a column to the right),
    /// then the rows; a `|` in a cell is escaped.
    pub fn markdown(&self) -> String {
        let columns = self.columns();
        let line = |cells: &[String]| {
            let mut out = String::from("|");
            for c in 0..columns {
                let cell = Self::cell(cells, c);
                if !cell.is_empty() {
                    out.push(' ');
                    out.push_str(&cell.replace('|', "\\|"));
                }
                out.push_str(" |");
            }
            out.push('\n');
            out
        };
        let mut out = line(self.header.as_deref().unwrap_or_default());
        out.push('|');
        for c in 0..columns {
            out.push_str(match self.align(c) {
                Align::Left => "---|",
                Align::Right => "---:|",
            });
        }
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_padded_to_their_widest_cell_text_left_numbers_right() {
        let mut t = Table::new(&[("measure", Align::Left), ("n", Align::Right)]);
        t.row(["a", "12345"]).row(["longer name", "7"]);
        assert_eq!(
            t.text(),
            "measure          n\n\
             ------------------\n\
             a            12345\n\
             longer name      7\n"
        );
    }

    #[test]
    fn widths_count_characters_not_bytes() {
        let mut t = Table::headless(&[Align::Left, Align::Right]);
        t.row(["Émirats", "1"]).row(["ab", "10"]);
        assert_eq!(t.text(), "Émirats   1\nab       10\n");
    }

    #[test]
    fn trailing_spaces_are_trimmed_and_short_rows_padded() {
        let mut t = Table::new(&[("a", Align::Left), ("b", Align::Left)]).without_rule();
        t.row(["x"]).row(["yy", "z"]);
        assert_eq!(t.text(), "a   b\nx\nyy  z\n");
    }

    #[test]
    fn an_indent_moves_every_line_and_the_rule() {
        let mut t = Table::new(&[("currency", Align::Left), ("net", Align::Right)]).indent(2);
        t.row(["USD", "1.20"]);
        assert_eq!(
            t.text(),
            "  currency   net\n  --------------\n  USD       1.20\n"
        );
    }

    #[test]
    fn a_longer_row_adds_a_column_to_the_left() {
        let mut t = Table::headless(&[Align::Right]);
        t.row(["1", "a"]).row(["22", "bb"]);
        assert_eq!(t.text(), " 1  a\n22  bb\n");
    }

    #[test]
    fn markdown_escapes_pipes_and_marks_right_columns() {
        let mut t = Table::new(&[("measure", Align::Left), ("value", Align::Right)]);
        t.row(["a | b", "3"]);
        assert_eq!(
            t.markdown(),
            "| measure | value |\n|---|---:|\n| a \\| b | 3 |\n"
        );
        let mut headless = Table::headless(&[Align::Left]);
        headless.row(["x"]);
        assert_eq!(headless.markdown(), "| |\n|---|\n| x |\n");
    }

    #[test]
    fn an_empty_table_is_empty() {
        let t = Table::headless(&[Align::Left]);
        assert!(t.is_empty());
        assert_eq!(t.text(), "");
        assert_eq!(t.to_string(), "");
    }
}
