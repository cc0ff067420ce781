package mysqlwire

import (
	"errors"
	"fmt"
	"io"
	"net"
)

// MaxPayload is the largest payload of one frame; longer packets are split
// into frames of this size followed by a shorter one (possibly empty).
const MaxPayload = 1<<24 - 1

// ErrPacketTooLarge reports a packet over the configured limit. The
// frames are consumed, so the stream stays in sync.
var ErrPacketTooLarge = errors.New("packet larger than max_allowed_packet")

// SequenceError reports a frame whose sequence id is not the expected one.
type SequenceError struct{ Got, Want uint8 }

func (e *SequenceError) Error() string {
	return fmt.Sprintf("packets out of order: sequence id %d, expected %d", e.Got, e.Want)
}

// PacketConn frames MySQL packets over a byte stream: a 3-byte little-endian
// length and a 1-byte sequence id before each frame. It is used for both
// sides of the gateway. It is not safe for concurrent use.
type PacketConn struct {
	nc  net.Conn
	br  *bufReader
	bw  *bufWriter
	seq uint8
	// Max bounds a packet's total payload (all frames); 0: no bound.
	Max int

	// In and Out count bytes read and written.
	In, Out int64
}

// NewPacketConn wraps nc with its own buffers.
func NewPacketConn(nc net.Conn) *PacketConn { return newPacketConn(nc, nc, nil) }

// newPacketConn reads from r and writes to nc; with bufs, its buffers
// come from those pools and go back when unused.
func newPacketConn(nc net.Conn, r io.Reader, bufs *Buffers) *PacketConn {
	return &PacketConn{nc: nc, br: &bufReader{src: r, bufs: bufs}, bw: &bufWriter{dst: nc, bufs: bufs}}
}

// NetConn returns the underlying connection.
func (p *PacketConn) NetConn() net.Conn { return p.nc }

// Buffered returns the number of bytes read from the socket and not yet
// consumed.
func (p *PacketConn) Buffered() int { return p.br.Buffered() }

// ResetSeq starts a new command: the next frame has sequence id 0.
func (p *PacketConn) ResetSeq() { p.seq = 0 }

// Seq returns the next sequence id.
func (p *PacketConn) Seq() uint8 { return p.seq }

// SetSeq sets the next sequence id.
func (p *PacketConn) SetSeq(s uint8) { p.seq = s }

// ReadPacket reads one packet, joining split frames. The returned slice is
// newly allocated.
func (p *PacketConn) ReadPacket() ([]byte, error) { return p.ReadPacketInto(nil) }

// ReadPacketInto is ReadPacket reading into buf's array while it is large
// enough (the packet is buf[:0] grown): a relay forwarding rows reads
// each into the last one's buffer.
func (p *PacketConn) ReadPacketInto(buf []byte) ([]byte, error) {
	out := buf[:0]
	for frames := 0; ; frames++ {
		h, err := p.br.readHeader()
		if err != nil {
			if errors.Is(err, io.EOF) && frames > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		p.In += 4
		n := int(h[0]) | int(h[1])<<8 | int(h[2])<<16
		if h[3] != p.seq {
			want := p.seq
			p.seq = h[3] + 1 // an error answer follows the peer's numbering
			return nil, &SequenceError{Got: h[3], Want: want}
		}
		p.seq++
		if p.Max > 0 && len(out)+n > p.Max {
			if err := p.discardRest(n); err != nil {
				return nil, err
			}
			return nil, ErrPacketTooLarge
		}
		if out, err = p.readPayload(out, n); err != nil {
			return nil, err
		}
		p.In += int64(n)
		if n < MaxPayload {
			return out, nil
		}
	}
}

// firstChunk is the buffer a payload starts in; it doubles as bytes
// arrive, so a peer that declares 16 MiB and sends little costs little.
const firstChunk = 8 << 10

// readPayload appends n payload bytes to out, growing it only as they
// arrive.
func (p *PacketConn) readPayload(out []byte, n int) ([]byte, error) {
	end := len(out) + n
	if cap(out) == 0 {
		out = make([]byte, 0, min(n, firstChunk))
	}
	for len(out) < end {
		if len(out) == cap(out) {
			grown := make([]byte, len(out), min(end, max(2*cap(out), firstChunk)))
			copy(grown, out)
			out = grown
		}
		m, err := io.ReadAtLeast(p.br, out[len(out):min(cap(out), end)], 1)
		out = out[:len(out)+m]
		if err != nil && len(out) < end {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return out, nil
}

// discardRest skips the current frame of n bytes and any continuation frames.
func (p *PacketConn) discardRest(n int) error {
	for {
		if _, err := p.br.Discard(n); err != nil {
			return err
		}
		p.In += int64(n)
		if n < MaxPayload {
			return nil
		}
		h, err := p.br.readHeader()
		if err != nil {
			return err
		}
		p.In += 4
		n = int(h[0]) | int(h[1])<<8 | int(h[2])<<16
		p.seq = h[3] + 1
	}
}

// WritePacket buffers one packet, splitting it into frames as needed.
func (p *PacketConn) WritePacket(data []byte) error {
	for {
		n := min(len(data), MaxPayload)
		h := [4]byte{byte(n), byte(n >> 8), byte(n >> 16), p.seq}
		p.seq++
		if err := p.bw.writeHeader(h); err != nil {
			return err
		}
		if _, err := p.bw.Write(data[:n]); err != nil {
			return err
		}
		p.Out += int64(4 + n)
		data = data[n:]
		if n < MaxPayload {
			return nil
		}
	}
}

// Flush writes buffered packets to the socket.
func (p *PacketConn) Flush() error { return p.bw.Flush() }

// Close closes the socket.
func (p *PacketConn) Close() error { return p.nc.Close() }
