//! A table's display cache: cell strings, widths, filter and sort, computed when the data,
//! filter or sort change — never per frame — so drawing only slices the visible rows.
//! The selection is kept by id across refreshes.

use std::cmp::Ordering;

use unicode_width::UnicodeWidthStr;

use crate::app::columns::{Column, Tone};
use crate::i18n::Lang;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey {
    /// No figure (an instance that is not running): sorts before every value, so last when
    /// descending.
    Missing,
    Num(u64),
    Text(String),
}

#[derive(Clone, Debug, Default)]
pub struct TableView {
    pub ids: Vec<String>,
    pub cells: Vec<Vec<String>>,
    pub tones: Vec<Vec<Tone>>,
    sort_keys: Vec<Vec<SortKey>>,
    /// Keys of columns after the listing's own (live figures), one list per row, set with
    /// [`TableView::set_live_keys`] as the figures change.
    live_keys: Vec<Vec<SortKey>>,
    /// Lower-cased text of each row, for the filter.
    haystacks: Vec<String>,
    /// Widest cell of each column (display width, so CJK counts double).
    pub widths: Vec<usize>,
    /// Rows shown: indices into `cells`, filtered then sorted.
    pub visible: Vec<usize>,
    /// Position of the selection in `visible`.
    pub selected: usize,
    /// First visible row on screen, kept across frames so the view does not jump.
    pub offset: usize,
    pub sort_column: usize,
    pub sort_descending: bool,
    pub filter: String,
    /// Whether the first listing has arrived.
    pub loaded: bool,
    /// The last listing error, shown until a listing succeeds.
    pub error: Option<String>,
}

impl TableView {
    /// Replace the rows, keeping the selection on the same id when it still exists.
    pub fn set_rows<T>(
        &mut self,
        items: &[T],
        columns: &[Column<T>],
        lang: Lang,
        id: fn(&T) -> &str,
    ) {
        let keep = self.selected_id().map(str::to_string);
        self.ids = items.iter().map(|i| id(i).to_string()).collect();
        // Live keys were per row of the old listing; the owner sets them again.
        self.live_keys.clear();
        self.cells = items
            .iter()
            .map(|item| {
                // ratatui drops control characters but draws bidi overrides, which reorder
                // what the row shows: escape both visibly, as `yun list` does.
                columns
                    .iter()
                    .map(|c| crate::format::escape_controls_owned((c.cell)(item, lang)))
                    .collect()
            })
            .collect();
        self.tones = items
            .iter()
            .map(|item| columns.iter().map(|c| (c.tone)(item)).collect())
            .collect();
        self.sort_keys = items
            .iter()
            .zip(&self.cells)
            .map(|(item, cells)| {
                columns
                    .iter()
                    .zip(cells)
                    .map(|(c, text)| match c.sort_num {
                        Some(f) => SortKey::Num(f(item)),
                        None => SortKey::Text(text.to_lowercase()),
                    })
                    .collect()
            })
            .collect();
        self.haystacks = self
            .cells
            .iter()
            .map(|c| c.join("\u{1f}").to_lowercase())
            .collect();
        self.widths = (0..columns.len())
            .map(|col| {
                self.cells
                    .iter()
                    .map(|row| row.get(col).map_or(0, |c| c.width()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        self.loaded = true;
        self.error = None;
        self.recompute(keep.as_deref());
    }

    pub fn selected_id(&self) -> Option<&str> {
        self.visible
            .get(self.selected)
            .and_then(|&i| self.ids.get(i))
            .map(String::as_str)
    }

    pub fn selected_row(&self) -> Option<usize> {
        self.visible.get(self.selected).copied()
    }

    pub fn set_filter(&mut self, filter: &str) {
        let keep = self.selected_id().map(str::to_string);
        self.filter = filter.to_string();
        self.recompute(keep.as_deref());
    }

    /// Whether the table is sorted by a live column (one after the listing's own).
    pub fn sorted_by_live_column(&self) -> bool {
        self.sort_keys
            .first()
            .is_some_and(|keys| self.sort_column >= keys.len())
    }

    /// Sort keys of the live columns for every row (by row id), then sort again when the
    /// table is sorted by one of them: a top-like view, re-sorted as the figures change.
    pub fn set_live_keys(&mut self, keys_of: impl Fn(&str) -> Vec<SortKey>) {
        self.live_keys = self.ids.iter().map(|id| keys_of(id)).collect();
        if self.sorted_by_live_column() {
            let keep = self.selected_id().map(str::to_string);
            self.recompute(keep.as_deref());
        }
    }

    pub fn sort_by(&mut self, column: usize, descending: bool) {
        let keep = self.selected_id().map(str::to_string);
        self.sort_column = column;
        self.sort_descending = descending;
        self.recompute(keep.as_deref());
    }

    pub fn select_id(&mut self, id: &str) {
        if let Some(pos) = self.visible.iter().position(|&i| self.ids[i] == id) {
            self.selected = pos;
        }
    }

    /// Move the selection by `delta` rows, clamped to the table.
    pub fn move_by(&mut self, delta: isize) {
        let last = self.visible.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    pub fn select_first(&mut self) {
        self.selected = 0;
    }

    pub fn select_last(&mut self) {
        self.selected = self.visible.len().saturating_sub(1);
    }

    /// Keep the selection inside a window of `height` rows, moving `offset` as little as possible.
    pub fn scroll_into_view(&mut self, height: usize) {
        self.offset = self.offset_for(height);
    }

    /// The first row of a window of `height` rows that shows the selection, moved from
    /// `offset` as little as possible (a sticky offset: the view does not jump).
    pub fn offset_for(&self, height: usize) -> usize {
        let height = height.max(1);
        let max_offset = self.visible.len().saturating_sub(height);
        let offset = if self.selected < self.offset {
            self.selected
        } else if self.selected >= self.offset + height {
            self.selected + 1 - height
        } else {
            self.offset
        };
        offset.min(max_offset)
    }

    fn recompute(&mut self, keep: Option<&str>) {
        let needle = self.filter.trim().to_lowercase();
        let (inverse, needle) = match needle.strip_prefix('!') {
            Some(rest) => (true, rest.to_string()),
            None => (false, needle),
        };
        self.visible = (0..self.cells.len())
            .filter(|&i| needle.is_empty() || self.haystacks[i].contains(&needle) != inverse)
            .collect();
        let col = self.sort_column;
        let (keys, live) = (&self.sort_keys, &self.live_keys);
        let ids = &self.ids;
        let descending = self.sort_descending;
        // A column's key: the listing's own, else a live one (stale or absent ones count as
        // missing figures until the next tick sets them).
        let key = |row: usize| -> Option<&SortKey> {
            let own = &keys[row];
            own.get(col).or_else(|| {
                live.get(row)
                    .filter(|_| live.len() == ids.len())
                    .and_then(|l| l.get(col - own.len()))
            })
        };
        self.visible.sort_by(|&a, &b| {
            let ord = match (key(a), key(b)) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(x), None) => x.cmp(&SortKey::Missing),
                (None, Some(y)) => SortKey::Missing.cmp(y),
                (None, None) => Ordering::Equal,
            };
            let ord = if descending { ord.reverse() } else { ord };
            // Ties in the first column's order (the name), ascending whichever way the
            // column sorts, then by id so the order is total.
            ord.then_with(|| keys[a].first().cmp(&keys[b].first()))
                .then_with(|| ids[a].cmp(&ids[b]))
        });
        self.selected = keep
            .and_then(|id| self.visible.iter().position(|&i| self.ids[i] == id))
            .unwrap_or_else(|| self.selected.min(self.visible.len().saturating_sub(1)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Row {
        id: &'static str,
        name: &'static str,
        n: u64,
    }

    fn columns() -> Vec<Column<Row>> {
        vec![
            Column::text(crate::i18n::Msg::ColName, |r: &Row, _| r.name.to_string()),
            Column::text(crate::i18n::Msg::ColSize, |r: &Row, _| r.n.to_string()).numeric(|r| r.n),
        ]
    }

    fn rows() -> Vec<Row> {
        vec![
            Row {
                id: "a",
                name: "web-02",
                n: 10,
            },
            Row {
                id: "b",
                name: "db-01",
                n: 9,
            },
            Row {
                id: "c",
                name: "web-01",
                n: 100,
            },
        ]
    }

    fn table() -> TableView {
        let mut t = TableView::default();
        t.set_rows(&rows(), &columns(), Lang::En, |r| r.id);
        t
    }

    fn names(t: &TableView) -> Vec<&str> {
        t.visible.iter().map(|&i| t.cells[i][0].as_str()).collect()
    }

    #[test]
    fn console_cells_show_bidi_overrides_escaped() {
        let mut t = TableView::default();
        let hostile = [Row {
            id: "x",
            name: "evil\u{202e}gpj.exe\u{2066}",
            n: 1,
        }];
        t.set_rows(&hostile, &columns(), Lang::En, |r| r.id);
        assert_eq!(names(&t), [r"evil\u{202e}gpj.exe\u{2066}"]);
    }

    #[test]
    fn sorts_text_and_numbers() {
        let mut t = table();
        assert_eq!(names(&t), ["db-01", "web-01", "web-02"]);
        t.sort_by(1, false);
        assert_eq!(
            names(&t),
            ["db-01", "web-02", "web-01"],
            "numeric, not lexical"
        );
        t.sort_by(1, true);
        assert_eq!(names(&t), ["web-01", "web-02", "db-01"]);
    }

    #[test]
    fn live_columns_sort_and_resort_as_figures_change() {
        let mut t = table();
        let cpu = |figures: &'static [(&'static str, u64)]| {
            move |id: &str| {
                vec![
                    figures
                        .iter()
                        .find(|(i, _)| *i == id)
                        .map_or(SortKey::Missing, |(_, v)| SortKey::Num(*v)),
                ]
            }
        };
        t.set_live_keys(cpu(&[("a", 10), ("c", 90)]));
        assert!(!t.sorted_by_live_column());
        assert_eq!(
            names(&t),
            ["db-01", "web-01", "web-02"],
            "not sorted by it yet"
        );
        t.sort_by(2, true);
        assert!(t.sorted_by_live_column());
        assert_eq!(
            names(&t),
            ["web-01", "web-02", "db-01"],
            "no figure sorts last"
        );
        t.select_id("c");
        t.set_live_keys(cpu(&[("a", 95), ("b", 50), ("c", 5)]));
        assert_eq!(names(&t), ["web-02", "db-01", "web-01"]);
        assert_eq!(
            t.selected_id(),
            Some("c"),
            "the selection follows the instance"
        );
        // A new listing drops the old figures (they were per row of the old one): every row
        // is missing one until they are set again.
        t.set_rows(&rows(), &columns(), Lang::En, |r| r.id);
        assert!(t.sorted_by_live_column());
        t.set_live_keys(cpu(&[("a", 95), ("b", 50), ("c", 5)]));
        assert_eq!(names(&t), ["web-02", "db-01", "web-01"]);
    }

    #[test]
    fn filter_and_inverse_filter() {
        let mut t = table();
        t.set_filter("WEB");
        assert_eq!(names(&t), ["web-01", "web-02"]);
        t.set_filter("!web");
        assert_eq!(names(&t), ["db-01"]);
        t.set_filter("nothing");
        assert!(t.visible.is_empty());
        assert_eq!(t.selected_id(), None);
    }

    #[test]
    fn selection_follows_the_id_across_refreshes() {
        let mut t = table();
        t.select_id("a");
        let mut changed = rows();
        changed.insert(
            0,
            Row {
                id: "d",
                name: "app-01",
                n: 1,
            },
        );
        t.set_rows(&changed, &columns(), Lang::En, |r| r.id);
        assert_eq!(t.selected_id(), Some("a"));
        // When the selected row disappears the selection stays at the same position.
        changed.retain(|r| r.id != "a");
        t.set_rows(&changed, &columns(), Lang::En, |r| r.id);
        assert!(t.selected_id().is_some());
    }

    #[test]
    fn empty_table_never_underflows() {
        let mut t = TableView::default();
        t.move_by(-1);
        t.move_by(5);
        t.select_last();
        t.scroll_into_view(10);
        assert_eq!((t.selected, t.offset), (0, 0));
    }

    #[test]
    fn scrolling_keeps_selection_visible() {
        let many: Vec<Row> = (0..100)
            .map(|i| Row {
                id: Box::leak(format!("{i:03}").into_boxed_str()),
                name: "x",
                n: i,
            })
            .collect();
        let mut t = TableView::default();
        t.set_rows(&many, &columns(), Lang::En, |r| r.id);
        t.sort_by(1, false);
        t.move_by(50);
        t.scroll_into_view(10);
        assert_eq!((t.selected, t.offset), (50, 41));
        t.move_by(-45);
        t.scroll_into_view(10);
        assert_eq!(t.offset, 5);
    }
}
