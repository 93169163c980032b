;; Asks for everything it may ask for and writes the answers to stdout
;; (96 bytes; errnos are i32, times i64 at 8-byte boundaries):
;; 0  clock_time_get(realtime) errno    8  its time
;; 16 clock_time_get(monotonic) errno   24 its time
;; 32 random_get errno                  36..68 the 32 bytes
;; 68 environ_sizes_get errno           72 count  76 bytes
;; 80 args_sizes_get errno              84 count  88 bytes
;; 92 fd_prestat_get(3) errno: no preopened directory
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i32.store (i32.const 0) (call $clock (i32.const 0) (i64.const 1) (i32.const 8)))
    (i32.store (i32.const 16) (call $clock (i32.const 1) (i64.const 1) (i32.const 24)))
    (i32.store (i32.const 32) (call $random (i32.const 36) (i32.const 32)))
    (i32.store (i32.const 68) (call $env (i32.const 72) (i32.const 76)))
    (i32.store (i32.const 80) (call $args (i32.const 84) (i32.const 88)))
    (i32.store (i32.const 92) (call $prestat (i32.const 3) (i32.const 200)))
    ;; iovec at 1024: the 96 bytes above
    (i32.store (i32.const 1024) (i32.const 0))
    (i32.store (i32.const 1028) (i32.const 96))
    (drop (call $fd_write (i32.const 1) (i32.const 1024) (i32.const 1) (i32.const 1032)))))
