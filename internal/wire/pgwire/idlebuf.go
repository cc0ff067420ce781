package pgwire

import (
	"io"
	"net"
	"sync"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/floe-db/floe/internal/wire/hangup"
)

// idlePools hold what a Server's connections give back while they wait
// for their client between transactions: the socket read buffer and the
// pgproto3 Backend (its own 8 KiB read buffer and its message values). A
// connection waits for its socket to become readable holding neither, and
// takes them back when the client sends; an idle connection keeps its
// structs and its goroutine only.
type idlePools struct {
	reads    sync.Pool // *[readBufSize]byte
	backends sync.Pool // *pooledBackend
}

// pooledBackend is a Backend over switchable ends, so that it can serve
// whichever connection takes it.
type pooledBackend struct {
	be *pgproto3.Backend
	io backendIO
}

type backendIO struct {
	r io.Reader
	w io.Writer
}

func (b *backendIO) Read(p []byte) (int, error)  { return b.r.Read(p) }
func (b *backendIO) Write(p []byte) (int, error) { return b.w.Write(p) }

func (p *idlePools) getRead() *[readBufSize]byte {
	if b, ok := p.reads.Get().(*[readBufSize]byte); ok {
		return b
	}
	return new([readBufSize]byte)
}

// readSlice and putReadSlice are getRead and its Put as slices, for
// hangup.ReadWhenReadable.
func (p *idlePools) readSlice() []byte { return p.getRead()[:] }

func (p *idlePools) putReadSlice(b []byte) { p.reads.Put((*[readBufSize]byte)(b)) }

func (p *idlePools) getBackend(r io.Reader, w io.Writer) *pooledBackend {
	pb, ok := p.backends.Get().(*pooledBackend)
	if !ok {
		pb = &pooledBackend{}
		pb.be = pgproto3.NewBackend(&pb.io, &pb.io)
	}
	pb.io.r, pb.io.w = r, w
	return pb
}

func (p *idlePools) putBackend(pb *pooledBackend) {
	pb.io.r, pb.io.w = nil, nil
	_ = pb.be.SetAuthType(pgproto3.AuthTypeOk)
	pb.be.SetMaxBodyLen(0)
	p.backends.Put(pb)
}

// readBuf is the socket read buffer of a connection: bufio.Reader's Read
// with a buffer taken from pools when bytes must be read and given back
// by release once every byte was consumed. Without pools the buffer is
// kept. It is used by the connection's goroutine only.
type readBuf struct {
	src   io.Reader
	pools *idlePools
	buf   *[readBufSize]byte
	r, w  int
	err   error
}

// Read implements io.Reader as bufio.Reader does: one read of the source
// at most, straight into p when p is at least a buffer long.
func (b *readBuf) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if b.r == b.w {
		if b.err != nil {
			err := b.err
			b.err = nil
			return 0, err
		}
		if len(p) >= readBufSize {
			return b.src.Read(p)
		}
		if b.buf == nil {
			if b.pools != nil {
				b.buf = b.pools.getRead()
			} else {
				b.buf = new([readBufSize]byte)
			}
		}
		b.r, b.w = 0, 0
		n, err := b.src.Read(b.buf[:])
		if n == 0 {
			return 0, err
		}
		b.w, b.err = n, err
	}
	n := copy(p, b.buf[b.r:b.w])
	b.r += n
	return n, nil
}

// fill takes buf, holding n bytes read from the socket (by a wait
// between transactions), as the buffer; it holds none before.
func (b *readBuf) fill(buf *[readBufSize]byte, n int) {
	b.buf, b.r, b.w = buf, 0, n
}

// Buffered returns the bytes read from the socket and not yet consumed.
func (b *readBuf) Buffered() int { return b.w - b.r }

// release gives the buffer back if nothing is left in it.
func (b *readBuf) release() {
	if b.pools == nil || b.buf == nil || b.r != b.w {
		return
	}
	b.pools.reads.Put(b.buf)
	b.buf, b.r, b.w = nil, 0, 0
}

// holds reports the bytes of buffers the connection holds for reading
// (the read buffer, and the Backend's when it has one).
func (c *Conn) holds() int {
	n := 0
	if c.mr.src.buf != nil {
		n += readBufSize
	}
	if c.be != nil {
		n += 8 << 10 // pgproto3's chunk reader
	}
	return n
}

// waitIdle is called at a transaction boundary before reading the next
// message: when nothing is buffered and the socket can be waited on, the
// connection gives back its read buffer and Backend, waits until the
// client sends (or closes, or a deadline or CloseRead ends the wait),
// reading what was sent into a buffer taken then, and takes a Backend
// back; after an EOF or a deadline the read that follows meets the same
// end as before. A Backend whose last Receive failed is not given
// back (it may hold half a message).
func (c *Conn) waitIdle() {
	if c.pools == nil || c.pb == nil || c.broken || c.mr.pending() || c.rd.Pending() {
		return
	}
	nc, ok := waitable(c.net)
	if !ok {
		return
	}
	// The previous message lives in the Backend: it is released before
	// another connection may take the Backend.
	c.releaseLast()
	c.mr.src.release()
	c.pools.putBackend(c.pb)
	c.pb, c.be = nil, nil
	if c.idleHook != nil {
		c.idleHook(c.holds())
	}
	if c.idleRd == nil {
		c.idleRd, _ = hangup.NewIdleReader(nc, c.pools.readSlice, c.pools.putReadSlice)
	}
	var buf []byte
	var n int
	if c.idleRd != nil {
		buf, n, _ = c.idleRd.Read()
	}
	if n > 0 {
		c.mr.src.fill((*[readBufSize]byte)(buf), n)
		c.rd.N += int64(n)
	}
	c.pb = c.pools.getBackend(c.mr, c.wr)
	c.be = c.pb.be
	c.be.SetMaxBodyLen(c.mr.max)
}

// waitable returns the socket to wait on: plain TCP and Unix sockets. A
// TLS connection may hold decrypted bytes the socket no longer shows, so
// it keeps its buffers.
func waitable(nc net.Conn) (net.Conn, bool) {
	switch nc.(type) {
	case *net.TCPConn, *net.UnixConn:
		return nc, true
	}
	return nil, false
}

// giveBack returns the connection's buffers to the pools when it ends
// (its goroutine is the last to use them).
func (c *Conn) giveBack() {
	if c.pools == nil || c.pb == nil || c.broken {
		return
	}
	c.releaseLast()
	c.mr.src.release()
	c.pools.putBackend(c.pb)
	c.pb, c.be = nil, nil
}
