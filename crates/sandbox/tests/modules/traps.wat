;; Reaches `unreachable`, as a Rust panic does.
(module
  (func (export "_start") unreachable))
