//! The allocation slow path's policy, shared by every plan that allocates from these spaces.

/// Runs `attempt` (take a pool for a run, or pages for a large object) until it succeeds,
/// running `collect` (a full collection) at most once in between: first, if `collect_first`
/// (the plan's trigger is due), else when the first attempt is refused. A refusal after a
/// collection is final, and `None` is returned: the plan reports the heap exhausted, naming
/// what the request needed. So a request that fits under the limit after a full collection is
/// never refused, and a collection is never run twice for one request.
///
/// `plan` is handed back to both closures, so they may borrow it mutably in turn.
///
/// ```
/// let mut plan = (0, 3); // (collections run, pools free after a collection)
/// let got = gclab_space::allocate_collecting_once(
///     &mut plan,
///     false,
///     |plan| (plan.1 > 0 && plan.0 > 0).then(|| plan.1 -= 1),
///     |plan| plan.0 += 1,
/// );
/// assert_eq!((got, plan.0), (Some(()), 1));
/// ```
#[inline]
pub fn allocate_collecting_once<P: ?Sized, T>(
    plan: &mut P,
    collect_first: bool,
    mut attempt: impl FnMut(&mut P) -> Option<T>,
    mut collect: impl FnMut(&mut P),
) -> Option<T> {
    if collect_first {
        collect(plan);
    }
    if let Some(got) = attempt(plan) {
        return Some(got);
    }
    if collect_first {
        return None;
    }
    collect(plan);
    attempt(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (collections, attempts) after one request, for each case.
    fn run(collect_first: bool, succeeds_after: u32) -> (Option<u32>, u32, u32) {
        let mut plan = (0u32, 0u32);
        let got = allocate_collecting_once(
            &mut plan,
            collect_first,
            |p| {
                p.1 += 1;
                (p.0 >= succeeds_after).then_some(p.1)
            },
            |p| p.0 += 1,
        );
        (got, plan.0, plan.1)
    }

    #[test]
    fn collects_at_most_once_and_gives_up_after_a_refusal_that_followed_one() {
        assert_eq!(run(false, 0), (Some(1), 0, 1), "no collection when the first attempt succeeds");
        assert_eq!(run(false, 1), (Some(2), 1, 2), "one collection between two attempts");
        assert_eq!(run(false, 2), (None, 1, 2), "refused after the collection: final");
        assert_eq!(run(true, 1), (Some(1), 1, 1), "the due collection first");
        assert_eq!(run(true, 2), (None, 1, 1), "refused after the due collection: final");
    }
}
