package mysqlwire

import (
	"io"
	"net"
	"sync"

	"github.com/floe-db/floe/internal/wire/hangup"
)

// bufSize is the read and the write buffer of a PacketConn.
const bufSize = 16 << 10

// Buffers are the pools the connections of a Server take their read and
// write buffers from. A write buffer is taken at the first write of a
// reply and given back by Flush; a read buffer is given back while the
// connection waits for its next command (Conn.ReadCommandIdle), so an
// idle connection holds neither. A PacketConn without Buffers keeps its
// own.
type Buffers struct {
	reads, writes sync.Pool // *[bufSize]byte
}

// get takes a read (or write) buffer from the pools, or makes one.
func (b *Buffers) get(read bool) *[bufSize]byte {
	if b != nil {
		p := &b.writes
		if read {
			p = &b.reads
		}
		if buf, ok := p.Get().(*[bufSize]byte); ok {
			return buf
		}
	}
	return new([bufSize]byte)
}

// bufReader is bufio.Reader's Read, Peek and Discard over a buffer that
// release can give back once drained. It is not safe for concurrent use.
type bufReader struct {
	src  io.Reader
	bufs *Buffers
	buf  *[bufSize]byte
	r, w int
	err  error
}

func (b *bufReader) readErr() error {
	err := b.err
	b.err = nil
	return err
}

// fill reads once into the buffer, after what is buffered.
func (b *bufReader) fill() {
	if b.buf == nil {
		b.buf = b.bufs.get(true)
	}
	if b.r > 0 {
		copy(b.buf[:], b.buf[b.r:b.w])
		b.w -= b.r
		b.r = 0
	}
	n, err := b.src.Read(b.buf[b.w:])
	b.w += n
	if err != nil {
		b.err = err
	}
}

// Read reads into p: buffered bytes, or one read of the source (straight
// into p when p is at least a buffer long).
func (b *bufReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if b.r == b.w {
		if b.err != nil {
			return 0, b.readErr()
		}
		if len(p) >= bufSize {
			return b.src.Read(p)
		}
		b.r, b.w = 0, 0
		b.fill()
		if b.r == b.w {
			return 0, b.readErr()
		}
	}
	n := copy(p, b.buf[b.r:b.w])
	b.r += n
	return n, nil
}

// readHeader reads a frame header as io.ReadFull would (io.EOF before
// its first byte, io.ErrUnexpectedEOF inside it), returning it by value:
// an array read through io.Reader escapes to the heap, one per packet.
func (b *bufReader) readHeader() (h [4]byte, err error) {
	for i := 0; i < len(h); {
		if b.r == b.w {
			if b.err == nil {
				b.r, b.w = 0, 0
				b.fill()
			}
			if b.r == b.w {
				err = b.readErr()
				if err == nil {
					continue // a read of nothing: try again
				}
				if i > 0 && err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return h, err
			}
		}
		n := copy(h[i:], b.buf[b.r:b.w])
		b.r += n
		i += n
	}
	return h, nil
}

// Peek returns the next n (≤ bufSize) bytes without consuming them.
func (b *bufReader) Peek(n int) ([]byte, error) {
	n = min(n, bufSize)
	for b.w-b.r < n && b.err == nil {
		b.fill()
	}
	if b.w-b.r < n {
		return b.buf[b.r:b.w], b.readErr()
	}
	return b.buf[b.r : b.r+n], nil
}

// Discard skips n bytes.
func (b *bufReader) Discard(n int) (int, error) {
	done := 0
	for done < n {
		if b.r == b.w {
			if b.err != nil {
				return done, b.readErr()
			}
			b.r, b.w = 0, 0
			b.fill()
			continue
		}
		k := min(n-done, b.w-b.r)
		b.r += k
		done += k
	}
	return done, nil
}

// Buffered returns the bytes read and not yet consumed.
func (b *bufReader) Buffered() int { return b.w - b.r }

// Reset reads from src from now on, dropping what is buffered.
func (b *bufReader) Reset(src io.Reader) { b.src, b.r, b.w, b.err = src, 0, 0, nil }

// release gives the buffer back to the pools if it is drained.
func (b *bufReader) release() {
	if b.bufs == nil || b.buf == nil || b.r != b.w {
		return
	}
	b.bufs.reads.Put(b.buf)
	b.buf, b.r, b.w = nil, 0, 0
}

// bufWriter is bufio.Writer's Write and Flush; with pools, Flush gives the
// buffer back.
type bufWriter struct {
	dst  io.Writer
	bufs *Buffers
	buf  *[bufSize]byte
	n    int
	err  error
}

func (b *bufWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 && b.err == nil {
		if b.n == 0 && len(p) >= bufSize {
			// Nothing buffered: a large write goes straight out.
			m, err := b.dst.Write(p)
			b.err = err
			return written + m, err
		}
		if b.buf == nil {
			b.buf = b.bufs.get(false)
		}
		m := copy(b.buf[b.n:], p)
		b.n += m
		written += m
		p = p[m:]
		if b.n == bufSize {
			b.flush()
		}
	}
	return written, b.err
}

// writeHeader buffers a frame header. Taking it by value keeps the
// caller's array off the heap (Write hands large slices to the socket, so
// a slice given to it escapes).
func (b *bufWriter) writeHeader(h [4]byte) error {
	if b.err != nil {
		return b.err
	}
	if b.n+len(h) > bufSize {
		b.flush()
		if b.err != nil {
			return b.err
		}
	}
	if b.buf == nil {
		b.buf = b.bufs.get(false)
	}
	b.n += copy(b.buf[b.n:], h[:])
	return nil
}

func (b *bufWriter) flush() {
	if b.err != nil || b.n == 0 {
		return
	}
	m, err := b.dst.Write(b.buf[:b.n])
	if err == nil && m < b.n {
		err = io.ErrShortWrite
	}
	b.err, b.n = err, 0
}

// Flush writes what is buffered and gives the buffer back.
func (b *bufWriter) Flush() error {
	b.flush()
	if b.bufs != nil && b.buf != nil {
		b.bufs.writes.Put(b.buf)
		b.buf = nil
	}
	return b.err
}

// holds reports the bytes of read and write buffers the connection holds.
func (c *Conn) holds() int {
	n := 0
	if c.pc.br.buf != nil {
		n += bufSize
	}
	if c.pc.bw.buf != nil {
		n += bufSize
	}
	return n
}

// waitIdle is called before the next command is read between
// transactions: when nothing is buffered and the socket can be waited on
// (plain TCP or Unix; TLS may hold decrypted bytes), the connection gives
// back its read buffer and waits until the client sends, closes, or a
// deadline or CloseRead ends the wait, reading what was sent into a
// buffer taken then; after an EOF or a deadline the read that follows
// meets the same end as before.
func (c *Conn) waitIdle() {
	if c.pc.br.bufs == nil || c.pc.br.Buffered() > 0 || c.pc.br.err != nil || c.rd.Pending() {
		return
	}
	switch c.net.(type) {
	case *net.TCPConn, *net.UnixConn:
	default:
		return
	}
	c.pc.br.release()
	if c.idleHook != nil {
		c.idleHook(c.holds())
	}
	if c.idleRd == nil {
		c.idleRd, _ = hangup.NewIdleReader(c.net, c.pc.br.bufs.readSlice, c.pc.br.bufs.putReadSlice)
	}
	var buf []byte
	var n int
	if c.idleRd != nil {
		buf, n, _ = c.idleRd.Read()
	}
	if n > 0 {
		c.pc.br.buf, c.pc.br.r, c.pc.br.w = (*[bufSize]byte)(buf), 0, n
		c.rd.N += int64(n)
	}
}

// readSlice and putReadSlice are a read buffer's get and Put as slices,
// for hangup.ReadWhenReadable.
func (b *Buffers) readSlice() []byte { return b.get(true)[:] }

func (b *Buffers) putReadSlice(p []byte) { b.reads.Put((*[bufSize]byte)(p)) }
