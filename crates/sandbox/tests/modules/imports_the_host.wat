;; Imports a function from a module that is not WASI at all.
(module
  (import "env" "system" (func $system (param i32) (result i32)))
  (func (export "_start")
    (drop (call $system (i32.const 0)))))
