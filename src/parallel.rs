//! Independent pieces of work spread over every core: each thread takes the
//! next item no thread has taken yet, and the results come back in the
//! order of the items, so what is made does not depend on the threads.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// `f` of every item, in the order of the items, or the first error in that
/// order; after an error no thread takes a new item. Each thread keeps a
/// state of its own (`S`) from one item to the next. A thread is started
/// per `per_thread` items, up to one per core; below that the caller's
/// thread does everything.
pub(crate) fn map<T: Sync, R: Send, E: Send, S: Default>(
    items: &[T],
    per_thread: usize,
    f: impl Fn(&T, &mut S) -> Result<R, E> + Sync,
) -> Result<Vec<R>, E> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(items.len().div_ceil(per_thread.max(1))).max(1);
    if threads == 1 {
        let mut state = S::default();
        return items.iter().map(|item| f(item, &mut state)).collect();
    }
    let (next, failed) = (AtomicUsize::new(0), AtomicBool::new(false));
    let work = || {
        let mut state = S::default();
        let mut done = Vec::new();
        while !failed.load(Ordering::Relaxed) {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(index) else { break };
            let result = f(item, &mut state);
            failed.fetch_or(result.is_err(), Ordering::Relaxed);
            done.push((index, result));
        }
        done
    };
    let mut slots: Vec<Option<Result<R, E>>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
        for worker in workers {
            // A panic is a bug, not an outcome: it goes on in the caller.
            let done = worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            for (index, result) in done {
                slots[index] = Some(result);
            }
        }
    });
    // Items are taken in order and every item taken is finished, so the
    // items left undone come after every item taken, the failed one too.
    let mut results = Vec::with_capacity(items.len());
    for slot in slots {
        match slot {
            Some(result) => results.push(result?),
            None => break,
        }
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::map;

    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u32> = (0..1000).collect();
        let squares = map(&items, 1, |n, _: &mut ()| Ok::<_, ()>(n * n));
        assert_eq!(squares, Ok(items.iter().map(|n| n * n).collect()));
    }

    #[test]
    fn the_first_error_in_item_order_is_returned() {
        let items: Vec<u32> = (0..1000).collect();
        let result = map(&items, 1, |&n, _: &mut ()| if n % 300 == 299 { Err(n) } else { Ok(n) });
        assert_eq!(result, Err(299));
    }
}
