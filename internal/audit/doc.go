// Package audit writes the tamper-evident audit log and verifies it.
//
// Each record is one JSON line: a sequence number, a time, the hex
// SHA-256 of the previous line ("prev"; 64 zeros for the first record of
// a chain), the event type and its fields. Changing, removing, inserting
// or reordering a line breaks the chain at that point, which Verify
// reports by file, line and sequence number.
//
// A Writer appends to one file. On open it reads the file's last line and
// continues its chain; when the file passes its size limit it is renamed
// (FILE.<first-seq>-<last-seq>) and a new file starts, its first record
// carrying the hash of the last record of the renamed one, so the chain
// runs across files (verify them in order). Events are handed to one
// writer goroutine through a bounded queue: when it is full Log either
// drops the event and counts it (the default: the query path never
// waits) or waits (back-pressure), as configured. The first event of a
// batch wakes the writer; those that follow within Options.FlushDelay
// (5ms) are queued without waking it and written with one system call
// at its end (sooner once the queue is half full, so that a busy log does
// not fill it); Close writes what is left. Event.Pairs gives a record's
// fields in key order without a map (the statement record, written at
// every statement); Event.Fields is the map form, and either form gives
// the same line. The writer encodes each record into one buffer it
// keeps, with its time, previous chain value and hash written in place
// (no allocation per record for a record given as Pairs).
//
// With Options.Key the chain is keyed: each record carries "mac", the
// HMAC-SHA-256 of the record under the key, instead of "hash", so the
// chain cannot be recomputed after an edit without the key. With
// Options.Checkpoints, the writer goroutine also appends a checkpoint
// (checkpoint.go: the head's seq and MAC, the first covered record, the
// previous checkpoint's MAC, all MACed) to a second file every
// CheckpointEvery records, every CheckpointInterval and at Close, and each
// record carries "ckpt", the checkpoints written before it. VerifyWith
// checks the key and the checkpoints, which catches records removed at
// either end and a checkpoint file cut short.
//
// Records carry what callers give them; callers mask SQL literals and
// never pass secrets.
package audit
