package mysqlwire

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/wire/wiretest"
)

type rwConn struct {
	net.Conn
	r io.Reader
}

func (c rwConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c rwConn) Write(p []byte) (int, error) { return len(p), nil }

// FuzzReadPacket checks framing: sequence ids, split frames and the size
// bound never panic or read past a bound.
func FuzzReadPacket(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 3})
	f.Add([]byte{0xff, 0xff, 0xff, 0, 1, 2, 3})
	f.Add([]byte{5, 0, 0, 7, 1, 2, 3, 4, 5})
	f.Add([]byte{0, 0, 0, 0, 1, 0, 0, 1, 9})
	f.Fuzz(func(t *testing.T, in []byte) {
		// ReadPacketInto, reading each packet into the last one's buffer,
		// reads what ReadPacket reads.
		pc := NewPacketConn(rwConn{r: bytes.NewReader(in)})
		into := NewPacketConn(rwConn{r: bytes.NewReader(in)})
		pc.Max, into.Max = 1<<16, 1<<16
		var buf []byte
		for range 8 {
			p, err := pc.ReadPacket()
			q, err2 := into.ReadPacketInto(buf)
			if (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() || !bytes.Equal(p, q) {
				t.Fatalf("ReadPacket %q %v, ReadPacketInto %q %v", p, err, q, err2)
			}
			if err != nil {
				return
			}
			buf = q
			if len(p) > pc.Max {
				t.Fatalf("packet of %d bytes over the bound", len(p))
			}
		}
	})
}

// FuzzHandshakeResponse decodes arbitrary handshake responses.
func FuzzHandshakeResponse(f *testing.F) {
	f.Add(handshakeResponse(clientCaps, "u", []byte("0123456789abcdefghij"), "db", PluginNative))
	f.Add(handshakeResponse(clientCaps|CapConnectAttrs, "u", nil, "", PluginCachingSHA))
	f.Add(append(handshakeResponse(clientCaps|CapConnectAttrs, "u", nil, "db", PluginCachingSHA), 0x0a, 3, 'k', 'e', 'y', 5, 'v', 'a', 'l', 'u', 'e'))
	f.Add([]byte{0, 2, 0, 0, 0, 0, 0, 1, 45})
	f.Fuzz(func(t *testing.T, in []byte) {
		hr, err := ParseHandshakeResponse(in)
		if err == nil && hr.SSLRequest && len(in) != 32 {
			t.Fatalf("SSL request of %d bytes", len(in))
		}
	})
}

// FuzzExecute decodes COM_STMT_EXECUTE packets and their values, then
// checks that re-encoding keeps the header fields.
func FuzzExecute(f *testing.F) {
	e := &Execute{StatementID: 7, Iterations: 1, Nulls: []bool{false, true, false}, NewBound: true,
		Types: []uint16{uint16(TypeLongLong), uint16(TypeVarString), uint16(TypeDateTime)}}
	e.Values = append(e.Values, 1, 0, 0, 0, 0, 0, 0, 0)
	e.Values = append(e.Values, 7, 0xe8, 0x07, 2, 29, 23, 59, 59)
	f.Add(byte(3), AppendExecute(nil, e))
	f.Add(byte(1), []byte{ComStmtExecute, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, byte(TypeTime), 0, 12, 1, 1, 0, 0, 0, 2, 3, 4, 5, 0, 0, 0})
	f.Add(byte(2), []byte{ComStmtExecute, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, n byte, in []byte) {
		ex, err := ParseExecute(in, int(n))
		if err != nil {
			return
		}
		types := ex.Types
		if types == nil {
			types = make([]uint16, len(ex.Nulls))
			for i := range types {
				types[i] = uint16(TypeVarString)
			}
		}
		_, _ = DecodeValues(ex, types, map[int][]byte{0: []byte("long")})
		again, err := ParseExecute(AppendExecute(nil, ex), int(n))
		if err != nil || again.StatementID != ex.StatementID || len(again.Nulls) != len(ex.Nulls) || !bytes.Equal(again.Values, ex.Values) {
			t.Fatalf("re-encoding changed the packet: %+v vs %+v (%v)", again, ex, err)
		}
	})
}

// FuzzServerConn feeds arbitrary bytes to a server connection from the
// greeting on.
func FuzzServerConn(f *testing.F) {
	f.Add([]byte{})
	f.Add(append([]byte{byte(len(handshakeResponse(clientCaps, "u", nil, "db", PluginNative))), 0, 0, 1}, handshakeResponse(clientCaps, "u", nil, "db", PluginNative)...))
	f.Add([]byte{32, 0, 0, 1, 0, 0xa, 0, 0, 0, 0, 0, 1, 45})
	users, _ := authn.NewStore([]authn.Spec{{Name: "u", Password: "p"}})
	log := slog.New(slog.DiscardHandler)
	m := observe.NewMetrics()
	f.Fuzz(func(t *testing.T, in []byte) {
		s := NewServer(Config{StartupTimeout: time.Second, MaxPacket: 4096}, fakeGateway{users}, log, m)
		wiretest.Feed(t, in, 5*time.Second, func(server net.Conn) { s.serveConn(context.Background(), server) })
		if s.Conns() != 0 {
			t.Fatal("connection left registered")
		}
	})
}

// FuzzRows feeds the row decoders (rows come from servers, which the
// gateway must not trust to be well formed) and checks that what decodes
// encodes back to the same bytes.
func FuzzRows(f *testing.F) {
	f.Add(AppendTextRow(nil, [][]byte{[]byte("1"), nil}), byte(TypeLong), byte(TypeVarString))
	f.Add([]byte{0, 0, 7, 0, 0, 0}, byte(TypeLong), byte(TypeDate))
	f.Add([]byte{0, 0, 1, 0, 0, 0, 4, 0xe6, 0x07, 5, 1}, byte(TypeLong), byte(TypeDateTime))
	f.Fuzz(func(t *testing.T, p []byte, t1, t2 byte) {
		if vals, err := TextRow(p, 2); err == nil && !bytes.Equal(AppendTextRow(nil, vals), p) {
			// 0xfb (NULL) and short length forms re-encode alike; only
			// canonical encodings must round-trip.
			if again, err := TextRow(AppendTextRow(nil, vals), 2); err != nil || len(again) != 2 {
				t.Fatalf("text row does not re-decode: %v", err)
			}
		}
		cols := []Column{{Type: t1}, {Type: t2, Decimals: 6}}
		vals, err := ParseBinaryRow(p, cols)
		if err != nil {
			return
		}
		for i, v := range vals {
			if v != nil {
				_, _ = BinaryText(cols[i], v)
			}
		}
		again, err := ParseBinaryRow(AppendBinaryRow(nil, vals), cols)
		if err != nil || len(again) != len(vals) {
			t.Fatalf("binary row does not re-decode: %v", err)
		}
	})
}
