// Package hangup notices a client that hangs up while the gateway waits
// on a backend for it. Reader is the read side of a client socket for
// both protocol front ends; Watch starts, after a delay, one goroutine that
// reads ahead a single byte: EOF or a reset calls onClose (which cancels
// the backend statement), while a byte that arrives is kept and handed to
// the next Read, so the protocol stream is unchanged. Stopping the watch
// interrupts that read with a deadline and waits for the goroutine.
//
// Watch arms a runtime timer per call, and arming a timer wakes the
// network poller; at one watch per statement that shows. A Sweeper (one
// per front-end server) avoids it: watches only record when they are due,
// and a goroutine that runs while any watch exists checks them every 25 ms
// and starts the read-ahead for those past due.
//
// Quiet is the backend-side counterpart: a non-blocking peek that tells a
// pool whether an idle server connection was closed by its peer.
// WaitReadable is its blocking form, for a relay that watches the backend
// connection a client session keeps while the client is idle: it returns
// when the server sends something or closes (without consuming it), or
// when a read deadline set from another goroutine stops the wait.
// ReadWhenReadable is the front ends' wait between transactions: it holds
// no buffer while the client is idle and reads into one taken when the
// socket turns readable, at the cost of a plain read (no extra peek).
package hangup
