//! Boxes of the index space: the unit every evaluator works on.
//!
//! A [`Region`] is a hyper-rectangle `start .. start + shape` of an array's index space.
//! Tasks cover a chunk's region; inside a task, [`Region::tiles`] cuts it into row-major
//! tiles small enough to stay in cache, and evaluators fill one tile at a time.

/// The most dimensions an array may have.
pub const MAX_NDIM: usize = 8;

/// A small fixed-capacity list of extents or indices (no heap allocation per tile).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Dims {
    len: u8,
    values: [usize; MAX_NDIM],
}

impl Dims {
    /// Dims from a slice; `None` when it has more than [`MAX_NDIM`] entries.
    pub fn from_slice(values: &[usize]) -> Option<Dims> {
        if values.len() > MAX_NDIM {
            return None;
        }
        let mut dims = Dims {
            len: values.len() as u8,
            values: [0; MAX_NDIM],
        };
        dims.values[..values.len()].copy_from_slice(values);
        Some(dims)
    }

    /// `n` zeros.
    pub fn zeros(n: usize) -> Dims {
        Dims {
            len: n.min(MAX_NDIM) as u8,
            values: [0; MAX_NDIM],
        }
    }

    /// The entries.
    pub fn as_slice(&self) -> &[usize] {
        &self.values[..self.len as usize]
    }

    /// The entries, mutable.
    pub fn as_mut_slice(&mut self) -> &mut [usize] {
        &mut self.values[..self.len as usize]
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// True when there are no entries (a 0-d array).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Product of the entries (1 for none).
    pub fn product(&self) -> usize {
        self.as_slice().iter().product()
    }
}

impl std::ops::Index<usize> for Dims {
    type Output = usize;
    fn index(&self, i: usize) -> &usize {
        &self.as_slice()[i]
    }
}

impl std::ops::IndexMut<usize> for Dims {
    fn index_mut(&mut self, i: usize) -> &mut usize {
        &mut self.as_mut_slice()[i]
    }
}

impl std::fmt::Debug for Dims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

/// A box `start .. start + shape` in an array's index space.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Region {
    /// First index on each axis.
    pub start: Dims,
    /// Extent on each axis.
    pub shape: Dims,
}

impl Region {
    /// The box from `start` with extents `shape` (both of equal length, at most MAX_NDIM).
    pub fn new(start: &[usize], shape: &[usize]) -> Region {
        debug_assert_eq!(start.len(), shape.len());
        Region {
            start: Dims::from_slice(start).expect("region rank checked at array creation"),
            shape: Dims::from_slice(shape).expect("region rank checked at array creation"),
        }
    }

    /// The whole index space of an array of `shape`.
    pub fn full(shape: &[usize]) -> Region {
        Region::new(&vec![0; shape.len()], shape)
    }

    /// Number of axes.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// Number of elements.
    pub fn size(&self) -> usize {
        self.shape.product()
    }

    /// Cuts the box into row-major tiles of at most `max_elems` elements (at least one
    /// element each). Trailing axes are kept whole while they fit, so tiles of a
    /// C-contiguous array are contiguous runs of it whenever possible.
    pub fn tiles(&self, max_elems: usize) -> TileIter {
        let ndim = self.ndim();
        let max_elems = max_elems.max(1);
        let mut tile = Dims::zeros(ndim);
        let mut prod = 1usize;
        for axis in (0..ndim).rev() {
            let extent = self.shape[axis];
            if prod.saturating_mul(extent) <= max_elems {
                tile[axis] = extent;
                prod *= extent.max(1);
            } else {
                tile[axis] = (max_elems / prod).max(1);
                for outer in 0..axis {
                    tile[outer] = 1;
                }
                break;
            }
        }
        TileIter {
            region: *self,
            tile,
            next: Dims::zeros(ndim),
            done: self.size() == 0,
            first: true,
        }
    }

    /// Calls `run(flat_start, offset, len)` for each maximal C-contiguous run of this box
    /// within an array of `array_shape`: `flat_start` is the run's row-major index in the
    /// array, `offset` its position in the box's own row-major order.
    pub fn for_each_run(&self, array_shape: &[usize], mut run: impl FnMut(usize, usize, usize)) {
        let ndim = self.ndim();
        if self.size() == 0 {
            return;
        }
        if ndim == 0 {
            run(0, 0, 1);
            return;
        }
        // merge trailing axes that the box covers whole into one contiguous run
        let mut run_len = self.shape[ndim - 1];
        let mut inner = ndim - 1;
        while inner > 0 && self.shape[inner] == array_shape[inner] && self.start[inner] == 0 {
            run_len *= self.shape[inner - 1];
            inner -= 1;
        }
        let mut strides = [0usize; MAX_NDIM];
        let mut acc = 1;
        for axis in (0..ndim).rev() {
            strides[axis] = acc;
            acc *= array_shape[axis];
        }
        let outer_axes = inner; // axes 0..inner are iterated one index at a time
        let mut index = [0usize; MAX_NDIM];
        let mut offset = 0;
        loop {
            let mut flat = 0;
            for axis in 0..ndim {
                let i = if axis < outer_axes { index[axis] } else { 0 };
                flat += (self.start[axis] + i) * strides[axis];
            }
            run(flat, offset, run_len);
            offset += run_len;
            // advance the odometer over the outer axes
            let mut axis = outer_axes;
            loop {
                if axis == 0 {
                    return;
                }
                axis -= 1;
                index[axis] += 1;
                if index[axis] < self.shape[axis] {
                    break;
                }
                index[axis] = 0;
            }
        }
    }
}

impl Region {
    /// The box both regions cover, or `None` when they do not overlap (or either is empty).
    ///
    /// ```
    /// use spillway::graph::region::Region;
    /// let a = Region::new(&[0, 0], &[4, 4]);
    /// let b = Region::new(&[2, 3], &[5, 5]);
    /// let both = a.intersect(&b).unwrap();
    /// assert_eq!((both.start.as_slice(), both.shape.as_slice()), (&[2, 3][..], &[2, 1][..]));
    /// assert!(a.intersect(&Region::new(&[4, 0], &[1, 1])).is_none());
    /// ```
    pub fn intersect(&self, other: &Region) -> Option<Region> {
        let ndim = self.ndim();
        let mut out = *self;
        for axis in 0..ndim {
            let lo = self.start[axis].max(other.start[axis]);
            let hi =
                (self.start[axis] + self.shape[axis]).min(other.start[axis] + other.shape[axis]);
            if hi <= lo {
                return None;
            }
            out.start[axis] = lo;
            out.shape[axis] = hi - lo;
        }
        Some(out)
    }

    /// `self` expressed relative to `origin`'s start (`self` must lie inside `origin`).
    pub fn relative_to(&self, origin: &Region) -> Region {
        let mut out = *self;
        for axis in 0..self.ndim() {
            out.start[axis] -= origin.start[axis];
        }
        out
    }
}

/// Copies the part `part` (in global coordinates) from `src`, the row-major values of the
/// box `src_box`, into `dst`, the row-major values of the box `dst_box`; `part` must lie
/// inside both boxes.
///
/// ```
/// use spillway::graph::region::{copy_between_boxes, Region};
/// let src_box = Region::new(&[0, 0], &[2, 3]);
/// let src = [1, 2, 3, 4, 5, 6];
/// let dst_box = Region::new(&[1, 1], &[1, 2]);
/// let mut dst = [0; 2];
/// copy_between_boxes(&src, &src_box, &mut dst, &dst_box, &dst_box);
/// assert_eq!(dst, [5, 6]);
/// ```
pub fn copy_between_boxes<T: Copy>(
    src: &[T],
    src_box: &Region,
    dst: &mut [T],
    dst_box: &Region,
    part: &Region,
) {
    let ndim = part.ndim();
    if part.size() == 0 {
        return;
    }
    if ndim == 0 {
        dst[0] = src[0];
        return;
    }
    let src_part = part.relative_to(src_box);
    let dst_part = part.relative_to(dst_box);
    // destination runs, and the matching source position of each run's first element
    let mut src_strides = [0usize; MAX_NDIM];
    let mut acc = 1;
    for axis in (0..ndim).rev() {
        src_strides[axis] = acc;
        acc *= src_box.shape[axis];
    }
    let row = part.shape[ndim - 1];
    let mut index = [0usize; MAX_NDIM];
    loop {
        let mut s = 0;
        let mut d = 0;
        let mut d_acc = 1;
        for axis in (0..ndim).rev() {
            let i = if axis + 1 == ndim { 0 } else { index[axis] };
            s += (src_part.start[axis] + i) * src_strides[axis];
            d += (dst_part.start[axis] + i) * d_acc;
            d_acc *= dst_box.shape[axis];
        }
        dst[d..d + row].copy_from_slice(&src[s..s + row]);
        let mut axis = ndim - 1;
        loop {
            if axis == 0 {
                return;
            }
            axis -= 1;
            index[axis] += 1;
            if index[axis] < part.shape[axis] {
                break;
            }
            index[axis] = 0;
        }
    }
}

/// Iterator over the tiles of a region (see [`Region::tiles`]).
#[derive(Clone)]
pub struct TileIter {
    region: Region,
    tile: Dims,
    next: Dims,
    done: bool,
    first: bool,
}

impl Iterator for TileIter {
    type Item = Region;

    fn next(&mut self) -> Option<Region> {
        if self.done {
            return None;
        }
        let ndim = self.region.ndim();
        if !self.first {
            // advance the tile odometer, last axis fastest
            let mut axis = ndim;
            loop {
                if axis == 0 {
                    self.done = true;
                    return None;
                }
                axis -= 1;
                self.next[axis] += self.tile[axis];
                if self.next[axis] < self.region.shape[axis] {
                    break;
                }
                self.next[axis] = 0;
            }
        }
        self.first = false;
        if ndim == 0 {
            self.done = true;
            return Some(self.region);
        }
        let mut start = self.region.start;
        let mut shape = self.tile;
        for axis in 0..ndim {
            start[axis] += self.next[axis];
            shape[axis] = self.tile[axis].min(self.region.shape[axis] - self.next[axis]);
        }
        Some(Region { start, shape })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covered(region: &Region, max: usize) -> Vec<usize> {
        let shape = region.shape.as_slice().to_vec();
        let mut seen = vec![0usize; region.size()];
        for tile in region.tiles(max) {
            assert!(tile.size() <= max.max(1) || tile.size() == 1);
            // mark each element of the tile
            let local = Region {
                start: {
                    let mut s = tile.start;
                    for a in 0..s.len() {
                        s[a] -= region.start[a];
                    }
                    s
                },
                shape: tile.shape,
            };
            local.for_each_run(&shape, |flat, _, len| {
                for x in &mut seen[flat..flat + len] {
                    *x += 1;
                }
            });
        }
        seen
    }

    #[test]
    fn tiles_cover_every_element_once() {
        for (start, shape, max) in [
            (vec![3, 1], vec![10, 7], 9),
            (vec![0, 0, 0], vec![4, 5, 6], 1),
            (vec![2], vec![17], 5),
            (vec![0, 0], vec![3, 100], 32),
            (vec![1, 2, 3], vec![2, 3, 4], 1000),
        ] {
            let region = Region::new(&start, &shape);
            assert!(
                covered(&region, max).iter().all(|&c| c == 1),
                "{shape:?} {max}"
            );
        }
    }

    #[test]
    fn zero_d_region_has_one_tile_and_one_run() {
        let region = Region::new(&[], &[]);
        assert_eq!(region.tiles(8).count(), 1);
        let mut runs = vec![];
        region.for_each_run(&[], |f, o, l| runs.push((f, o, l)));
        assert_eq!(runs, vec![(0, 0, 1)]);
    }

    #[test]
    fn empty_region_has_no_tiles() {
        assert_eq!(Region::new(&[0, 0], &[0, 5]).tiles(8).count(), 0);
    }

    #[test]
    fn runs_merge_whole_trailing_axes() {
        let region = Region::new(&[2, 0], &[3, 4]);
        let mut runs = vec![];
        region.for_each_run(&[10, 4], |f, o, l| runs.push((f, o, l)));
        assert_eq!(runs, vec![(8, 0, 12)]);
        let region = Region::new(&[2, 1], &[2, 2]);
        let mut runs = vec![];
        region.for_each_run(&[10, 4], |f, o, l| runs.push((f, o, l)));
        assert_eq!(runs, vec![(9, 0, 2), (13, 2, 2)]);
    }
}
