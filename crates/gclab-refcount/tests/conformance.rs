//! The shared conformance suite, on the refcount backend.

gclab_conformance::conformance_suite!(refcount, gclab_refcount::RefcountHeap);
