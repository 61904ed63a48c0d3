//! What the last frame looked like, as far as input and `update` need to know: where the
//! clickable things were drawn, how many rows a page holds and how far the detail scrolls.
//! `ui::draw` returns it; the event loop hands it to `update::on_frame`.

use ratatui::layout::Rect;

use crate::model::ResourceKind;

/// Rows a page holds before anything was drawn.
const ROWS_BEFORE_FIRST_FRAME: usize = 10;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutFacts {
    pub tabs: Vec<(Rect, ResourceKind)>,
    /// Header row of the table: y and each column's x range.
    pub header: Option<(u16, Vec<(u16, u16)>)>,
    /// Table body area and the index (in the visible rows) of its first row.
    pub body: Option<(Rect, usize)>,
    /// The table drawn and the first of its visible rows on screen.
    pub first_row: Option<(ResourceKind, usize)>,
    /// Rows Page Up/Down move by: one less than the body shows, so a row stays in view.
    pub rows_per_page: usize,
    /// How far the detail drawn can scroll (none drawn: `None`).
    pub detail_scroll_max: Option<u16>,
}

impl Default for LayoutFacts {
    fn default() -> Self {
        Self {
            tabs: Vec::new(),
            header: None,
            body: None,
            first_row: None,
            rows_per_page: ROWS_BEFORE_FIRST_FRAME,
            detail_scroll_max: None,
        }
    }
}

impl LayoutFacts {
    /// Rows of the table body: the window the selection is kept inside.
    pub fn table_rows(&self) -> usize {
        self.rows_per_page + 1
    }

    pub fn tab_at(&self, x: u16, y: u16) -> Option<ResourceKind> {
        self.tabs
            .iter()
            .find(|(r, _)| contains(*r, x, y))
            .map(|(_, k)| *k)
    }

    pub fn header_column_at(&self, x: u16, y: u16) -> Option<usize> {
        let (hy, cols) = self.header.as_ref()?;
        if *hy != y {
            return None;
        }
        cols.iter().position(|(start, end)| x >= *start && x < *end)
    }

    pub fn row_at(&self, x: u16, y: u16) -> Option<usize> {
        let (area, offset) = self.body?;
        contains(area, x, y).then(|| offset + usize::from(y - area.y))
    }
}

fn contains(r: Rect, x: u16, y: u16) -> bool {
    x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_resolve_rows_tabs_and_headers() {
        let facts = LayoutFacts {
            tabs: vec![(Rect::new(0, 1, 10, 1), ResourceKind::Overview)],
            header: Some((3, vec![(1, 10), (11, 20)])),
            body: Some((Rect::new(1, 4, 70, 10), 5)),
            ..LayoutFacts::default()
        };
        assert_eq!(facts.tab_at(3, 1), Some(ResourceKind::Overview));
        assert_eq!(facts.header_column_at(12, 3), Some(1));
        assert_eq!(facts.header_column_at(12, 4), None);
        assert_eq!(facts.row_at(2, 6), Some(7));
        assert_eq!(facts.row_at(2, 20), None);
    }
}
