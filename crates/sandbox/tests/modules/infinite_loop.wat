;; Never returns: fuel or the deadline must stop it.
(module
  (func (export "_start")
    (loop $forever (br $forever))))
