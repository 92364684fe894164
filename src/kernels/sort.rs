//! A stable least-significant-digit radix sort of values by an unsigned key: one pass to
//! count every byte of every key, then one scatter per key byte that is not the same for
//! all values. It needs a scratch slice as long as the values and nothing else, so a
//! caller can reserve exactly what it uses (the out-of-core sort's runs).

/// Sorts `values` stably by `key(value)`, looking at the low `key_bytes` bytes of each
/// key (at most 8), using `scratch` (at least as long as `values`) for the passes.
///
/// Equal keys keep their order, so sorting by [`Element::order_key`](crate::Element::order_key)
/// gives NumPy's stable sort: NaNs last, `-0.0` and `0.0` in their original order.
///
/// # Panics
///
/// When `scratch` is shorter than `values` or `key_bytes` is more than 8.
///
/// ```
/// use spillway::kernels::sort::radix_sort_by_key;
/// let mut values = [3.5f64, -1.0, f64::NAN, 0.0, -0.0, 2.0];
/// let mut scratch = [0.0; 6];
/// radix_sort_by_key(&mut values, &mut scratch, 8, spillway::Element::order_key);
/// assert_eq!(&values[..5], &[-1.0, 0.0, -0.0, 2.0, 3.5]);
/// assert!(values[0].is_sign_negative() && values[2].is_sign_negative());
/// assert!(values[5].is_nan());
/// ```
pub fn radix_sort_by_key<T: Copy>(
    values: &mut [T],
    scratch: &mut [T],
    key_bytes: usize,
    key: impl Fn(T) -> u64,
) {
    let n = values.len();
    assert!(
        scratch.len() >= n,
        "radix sort: scratch of {} for {n} values",
        scratch.len()
    );
    assert!(key_bytes <= 8, "radix sort: keys have at most 8 bytes");
    if n < 2 {
        return;
    }
    let mut counts = vec![[0usize; 256]; key_bytes];
    for &v in values.iter() {
        let k = key(v);
        for (byte, count) in counts.iter_mut().enumerate() {
            count[((k >> (8 * byte)) & 0xff) as usize] += 1;
        }
    }
    let scratch = &mut scratch[..n];
    // `in_values`: where the values are now (they move on each pass that is done)
    let mut in_values = true;
    for (byte, count) in counts.iter().enumerate() {
        let first = if in_values { values[0] } else { scratch[0] };
        if count[((key(first) >> (8 * byte)) & 0xff) as usize] == n {
            continue; // every value has this byte: the pass would change nothing
        }
        let mut offsets = [0usize; 256];
        let mut total = 0;
        for (offset, &c) in offsets.iter_mut().zip(count.iter()) {
            *offset = total;
            total += c;
        }
        let (source, target): (&[T], &mut [T]) = if in_values {
            (&*values, &mut *scratch)
        } else {
            (&*scratch, &mut *values)
        };
        for &v in source {
            let digit = ((key(v) >> (8 * byte)) & 0xff) as usize;
            target[offsets[digit]] = v;
            offsets[digit] += 1;
        }
        in_values = !in_values;
    }
    if !in_values {
        values.copy_from_slice(scratch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Element;

    fn check<T: Element + std::fmt::Debug>(values: Vec<T>) {
        let mut expected: Vec<(usize, T)> = values.iter().copied().enumerate().collect();
        expected.sort_by_key(|&(_, v)| v.order_key()); // std's sort is stable
        let mut sorted = values.clone();
        let mut scratch = values.clone();
        radix_sort_by_key(
            &mut sorted,
            &mut scratch,
            std::mem::size_of::<T>(),
            T::order_key,
        );
        let expected: Vec<u64> = expected
            .iter()
            .map(|&(i, _)| values[i].order_key())
            .collect();
        let got: Vec<u64> = sorted.iter().map(|v| v.order_key()).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn sorts_every_dtype_like_a_stable_comparison_sort() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 11
        };
        for n in [0, 1, 2, 17, 1000] {
            let raw: Vec<u64> = (0..n).map(|_| next()).collect();
            check(
                raw.iter()
                    .map(|&r| (r as f64 / 1e12) - 2.0)
                    .collect::<Vec<f64>>(),
            );
            check(
                raw.iter()
                    .map(|&r| (r % 7) as f32 - 3.0)
                    .collect::<Vec<f32>>(),
            );
            check(
                raw.iter()
                    .map(|&r| r as i64 - (1 << 52))
                    .collect::<Vec<i64>>(),
            );
            check(
                raw.iter()
                    .map(|&r| (r % 100) as i32 - 50)
                    .collect::<Vec<i32>>(),
            );
            check(raw.iter().map(|&r| r as u32).collect::<Vec<u32>>());
            check(raw.iter().map(|&r| r as u8).collect::<Vec<u8>>());
            check(raw.iter().map(|&r| r % 3 == 0).collect::<Vec<bool>>());
        }
    }

    #[test]
    fn equal_keys_keep_their_order() {
        // -0.0 and 0.0 share a key; NaNs share the largest key, payloads kept in order
        let nan_a = f64::from_bits(0x7ff8_0000_0000_0001);
        let nan_b = f64::from_bits(0xfff8_0000_0000_0002);
        let mut values = [nan_a, 0.0, -0.0, nan_b, 0.0, -1.0];
        let mut scratch = [0.0; 6];
        radix_sort_by_key(&mut values, &mut scratch, 8, f64::order_key);
        let bits: Vec<u64> = values.iter().map(|v| v.to_bits()).collect();
        let expected: Vec<u64> = [-1.0f64, 0.0, -0.0, 0.0, nan_a, nan_b]
            .iter()
            .map(|v| v.to_bits())
            .collect();
        assert_eq!(bits, expected);
    }
}
