package pgwire

import (
	"encoding/binary"
	"io"

	"github.com/jackc/pgx/v5/pgproto3"
)

// Sizes of the message reader.
const (
	// readBufSize is the socket read buffer of a connection.
	readBufSize = 8 << 10
	// smallBody is the largest body handed to pgproto3 as it arrives;
	// pgproto3 allocates a message's whole declared body before reading
	// it, so a longer one is first assembled here as its bytes come.
	smallBody = 8 << 10
	// maxStartupLen is pgproto3's bound on startup packets.
	maxStartupLen = 10000
)

// Startup request codes that keep the stream in the untyped startup format.
const (
	codeCancel = 80877102
	codeSSL    = 80877103
	codeGSSEnc = 80877104
)

// msgReader sits between the socket and pgproto3 and follows the message
// framing of the stream: untyped startup packets (length first) until a
// StartupMessage, then typed messages. A message whose body is over
// smallBody is read into a buffer that grows, doubling from 8 KiB, as
// bytes actually arrive, and handed to pgproto3 only when complete: a
// client that declares a 64 MiB message and sends a few bytes costs a few
// KiB, not 64 MiB. The buffer is dropped once handed over (pgproto3's own
// copy goes back to its pool at the next Receive). Between transactions the
// read buffer itself goes back to the server's pools (see waitIdle). Bodies over max (pgproto3's limit) are
// passed through unbuffered for pgproto3 to refuse. Reads never cross a
// message boundary. It is used by the connection's goroutine only.
type msgReader struct {
	src   *readBuf
	typed bool // past the StartupMessage
	max   int  // pgproto3's body limit; 0: none

	hdr  [5]byte
	hdrN int    // header bytes read
	out  []byte // bytes ready for pgproto3 (the header, or a whole message)
	off  int    // of out, handed over
	pass int    // body bytes to pass straight from src

	body []byte // a large body being assembled
	want int    // its declared length
}

func newMsgReader(r io.Reader, pools *idlePools) *msgReader {
	return &msgReader{src: &readBuf{src: r, pools: pools}}
}

// pending reports bytes buffered or a message begun: the next Receive
// needs no wait for the client.
func (r *msgReader) pending() bool {
	return r.src.Buffered() > 0 || r.src.err != nil || r.off < len(r.out) || r.pass > 0 || r.body != nil || r.hdrN > 0
}

// Read implements io.Reader for pgproto3.
func (r *msgReader) Read(p []byte) (int, error) {
	for {
		if r.off < len(r.out) {
			n := copy(p, r.out[r.off:])
			r.off += n
			if r.off == len(r.out) {
				r.out, r.off = nil, 0 // release an assembled message
			}
			return n, nil
		}
		if r.pass > 0 {
			n, err := r.src.Read(p[:min(len(p), r.pass)])
			r.pass -= n
			return n, err
		}
		if err := r.next(); err != nil {
			return 0, err
		}
	}
}

// next reads the next message's header and, for a large body, the body;
// after an error (a read deadline) it resumes where it stopped.
func (r *msgReader) next() error {
	if r.body != nil {
		return r.assemble()
	}
	size := 4
	if r.typed {
		size = 5
	}
	for r.hdrN < size {
		n, err := r.src.Read(r.hdr[r.hdrN:size])
		r.hdrN += n
		if err != nil && r.hdrN < size {
			return err
		}
	}
	r.hdrN = 0
	length := int(int32(binary.BigEndian.Uint32(r.hdr[size-4 : size])))
	bodyLen := max(length-4, 0)
	if !r.typed {
		if length < 8 || length > maxStartupLen {
			r.out, r.pass = r.hdr[:4], bodyLen // pgproto3 refuses it
			return nil
		}
		r.body, r.want = make([]byte, 4, length), length
		copy(r.body, r.hdr[:4])
		return r.assemble()
	}
	if bodyLen <= smallBody || (r.max > 0 && bodyLen > r.max) {
		r.out, r.pass = r.hdr[:5], bodyLen
		return nil
	}
	r.body, r.want = make([]byte, 5, 5+min(bodyLen, readBufSize)), 5+bodyLen
	copy(r.body, r.hdr[:5])
	return r.assemble()
}

// assemble reads the rest of r.body, growing it as bytes arrive.
func (r *msgReader) assemble() error {
	for len(r.body) < r.want {
		if len(r.body) == cap(r.body) {
			grown := make([]byte, len(r.body), min(r.want, 2*cap(r.body)))
			copy(grown, r.body)
			r.body = grown
		}
		n, err := r.src.Read(r.body[len(r.body):min(cap(r.body), r.want)])
		r.body = r.body[:len(r.body)+n]
		if err != nil && len(r.body) < r.want {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	if !r.typed && len(r.body) >= 8 {
		switch binary.BigEndian.Uint32(r.body[4:8]) {
		case codeCancel, codeSSL, codeGSSEnc:
		default:
			r.typed = true // a StartupMessage: typed messages follow
		}
	}
	r.out, r.off, r.body, r.want = r.body, 0, nil, 0
	return nil
}

// releaseLast drops what the previous message referenced (pgproto3 keeps
// one message value per type, so a 16 MiB query text would otherwise stay
// with an idle connection until the next query). Messages are valid only
// until the next Receive.
func (c *Conn) releaseLast() {
	switch m := c.last.(type) {
	case *pgproto3.Query:
		m.String = ""
	case *pgproto3.Parse:
		m.Query, m.ParameterOIDs = "", nil
	case *pgproto3.Bind:
		m.Parameters, m.ParameterFormatCodes, m.ResultFormatCodes = nil, nil, nil
	case *pgproto3.CopyData:
		m.Data = nil
	case *pgproto3.FunctionCall:
		m.Arguments = nil
	}
	c.last = nil
}
